// sd_notify(3), sd_watchdog_enabled(3) and sd_listen_fds(3) wrappers.
#include "agent/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace spoa {

namespace {

void send(std::string_view state, std::string_view status) {
  std::string text(state);
  if (!status.empty()) {
    if (!text.empty()) text += '\n';
    text += "STATUS=";
    text += status;
  }
  ::sd_notify(0, text.c_str());
}

}  // namespace

void notify_ready(std::string_view status) { send("READY=1", status); }
void notify_reloading(std::string_view status) { send("RELOADING=1", status); }
void notify_stopping(std::string_view status) { send("STOPPING=1", status); }
void notify_status(std::string_view status) { send("", status); }
void notify_watchdog() { send("WATCHDOG=1", ""); }

std::optional<std::chrono::milliseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 1));
}

void forget_notify_socket() { ::unsetenv("NOTIFY_SOCKET"); }

std::vector<int> inherited_sockets() {
  int n = ::sd_listen_fds(1);
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) fds.push_back(SD_LISTEN_FDS_START + i);
  return fds;
}

}  // namespace spoa
