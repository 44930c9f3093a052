// systemd integration through libsystemd: readiness and state notifications (Type=notify), the
// watchdog, and the sockets of socket activation. Every call is a no-op when systemd did not ask for
// it (no NOTIFY_SOCKET, no WATCHDOG_USEC, no LISTEN_FDS), so spoa runs the same way by hand.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace spoa {

/// READY=1 with a STATUS= line: every worker is serving.
void notify_ready(std::string_view status);
/// RELOADING=1 (a SIGHUP reload has started; send notify_ready() when it is done).
void notify_reloading(std::string_view status);
/// STOPPING=1: shutdown has begun.
void notify_stopping(std::string_view status);
/// A STATUS= line alone (a worker restarting, ...).
void notify_status(std::string_view status);
/// WATCHDOG=1.
void notify_watchdog();

/// How often to send WATCHDOG=1 (half of WatchdogSec) when the service manager expects it from
/// this process; nullopt otherwise.
std::optional<std::chrono::milliseconds> watchdog_interval();

/// Makes later notify_*() calls in this process no-ops (forked workers: only the main pid may
/// notify, and a worker must not pretend the service is ready).
void forget_notify_socket();

/// The listening sockets passed by systemd (LISTEN_FDS, for this pid). The environment variables
/// are removed so that workers do not see them. Empty when there are none.
std::vector<int> inherited_sockets();

}  // namespace spoa
