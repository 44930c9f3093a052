// spoa's log setup: one spdlog logger writing to stderr, syslog or the systemd journal, as text or JSON
// lines. Every record carries the worker and, where relevant, the connection, stream/frame ids and the
// SPOP message name, taken from the LogScope active on the logging thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/engines/engine.hpp"

namespace spoa {

enum class LogTarget : std::uint8_t { stderr_stream, syslog, journal };
enum class LogFormat : std::uint8_t { text, json };

/// Where records go and how they look (--log-target, --log-format, --syslog-*).
struct LogOutput {
  LogTarget target = LogTarget::stderr_stream;
  LogFormat format = LogFormat::text;  ///< stderr and syslog; the journal always gets fields
  int syslog_facility = 3 << 3;        ///< LOG_DAEMON
  std::filesystem::path syslog_socket = "/dev/log";
};

/// "stderr", "syslog", "journal"; "text", "json"; "daemon", "user", "local0".."local7".
std::optional<LogTarget> parse_log_target(std::string_view text);
std::optional<LogFormat> parse_log_format(std::string_view text);
std::optional<int> parse_syslog_facility(std::string_view text);
std::string_view log_target_name(LogTarget target) noexcept;
/// "trace" .. "critical", as --log-level takes them.
std::string_view log_level_name(LogLevel level) noexcept;

/// Installs the default spdlog logger at `level`. Call once at start; worker processes call
/// set_log_worker() after fork so their records say which worker wrote them.
void setup_logging(LogLevel level, const LogOutput& output = {});

/// Tags every later record with "w<index>" and this process's pid ("sup" for the supervisor: index < 0).
void set_log_worker(int index);

/// What a record is about. Ids are 0 when unknown (SPOP stream and frame ids start at 0 too, hence
/// has_ids); `message` must outlive the LogScope that installs it.
struct LogContext {
  std::uint64_t connection = 0;  ///< 0: no connection
  bool has_ids = false;
  std::uint64_t stream = 0;
  std::uint64_t frame = 0;
  std::string_view message;  ///< SPOP message name being handled, if any

  static LogContext of_connection(std::uint64_t connection) noexcept {
    LogContext c;
    c.connection = connection;
    return c;
  }
  static LogContext of_frame(std::uint64_t connection, std::uint64_t stream, std::uint64_t frame,
                             std::string_view message = {}) noexcept {
    LogContext c = of_connection(connection);
    c.has_ids = true;
    c.stream = stream;
    c.frame = frame;
    c.message = message;
    return c;
  }
};

/// Installs a context for records written on this thread until destroyed (restores the previous one).
/// Only around synchronous code: never keep one across a co_await.
class LogScope {
 public:
  explicit LogScope(const LogContext& context) noexcept;
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogContext saved_;
};

/// The context of records written now on this thread.
const LogContext& current_log_context() noexcept;
/// "w2", "sup" or "main", and the pid, as set by set_log_worker().
std::string_view log_worker_name() noexcept;
int log_worker_pid() noexcept;

/// True if records at `level` are written (to skip building debug details on the hot path).
bool log_enabled(LogLevel level) noexcept;

/// A LogSink for engines that writes to the same logger.
LogSink engine_log_sink();

/// Writes buffered records (before fork and exit).
void flush_logs();

}  // namespace spoa
