// spdlog configuration: picks the sink and formatter, keeps the worker name and the per-thread context
// that the formatters and the journal sink read.
#include "agent/logging.hpp"

#include <syslog.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "agent/log_format.hpp"
#include "agent/log_sinks.hpp"

namespace spoa {

namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warning: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
    case LogLevel::critical: return spdlog::level::critical;
  }
  return spdlog::level::info;
}

thread_local LogContext t_context;
// Set before workers exist and after each fork: one process, one value, read by any thread.
std::string g_worker = "main";
int g_pid = 0;

constexpr std::array<std::pair<std::string_view, int>, 10> facilities{{
    {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
}};

}  // namespace

std::optional<LogTarget> parse_log_target(std::string_view text) {
  if (text == "stderr") return LogTarget::stderr_stream;
  if (text == "syslog") return LogTarget::syslog;
  if (text == "journal") return LogTarget::journal;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  return std::nullopt;
}

std::optional<int> parse_syslog_facility(std::string_view text) {
  for (const auto& [name, value] : facilities) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view log_target_name(LogTarget target) noexcept {
  switch (target) {
    case LogTarget::stderr_stream: return "stderr";
    case LogTarget::syslog: return "syslog";
    case LogTarget::journal: return "journal";
  }
  return "?";
}

std::string_view log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
    case LogLevel::critical: return "critical";
  }
  return "?";
}

void setup_logging(LogLevel level, const LogOutput& output) {
  g_pid = static_cast<int>(::getpid());
  // Multi-threaded sinks: engines may log from a watchdog thread.
  spdlog::sink_ptr sink;
  switch (output.target) {
    case LogTarget::stderr_stream: sink = std::make_shared<spdlog::sinks::stderr_sink_mt>(); break;
    case LogTarget::syslog:
      sink = std::make_shared<SyslogSocketSink>(output.syslog_socket, output.syslog_facility);
      break;
    case LogTarget::journal: sink = std::make_shared<JournalSink>(); break;
  }
  auto logger = std::make_shared<spdlog::logger>("spoa", sink);
  if (output.format == LogFormat::json) {
    logger->set_formatter(make_json_formatter());
  } else {
    logger->set_formatter(make_text_formatter(output.target == LogTarget::stderr_stream));
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(to_spdlog(level));
  // Warnings and errors must reach the terminal or journal at once; info lines can wait a little.
  spdlog::flush_on(spdlog::level::warn);
}

void set_log_worker(int index) {
  g_worker = index < 0 ? std::string("sup") : "w" + std::to_string(index);
  g_pid = static_cast<int>(::getpid());
}

std::string_view log_worker_name() noexcept { return g_worker; }
int log_worker_pid() noexcept { return g_pid; }

LogScope::LogScope(const LogContext& context) noexcept : saved_(t_context) { t_context = context; }
LogScope::~LogScope() { t_context = saved_; }
const LogContext& current_log_context() noexcept { return t_context; }

bool log_enabled(LogLevel level) noexcept { return spdlog::should_log(to_spdlog(level)); }

LogSink engine_log_sink() {
  return [](LogLevel level, std::string_view text) { spdlog::log(to_spdlog(level), "{}", text); };
}

void flush_logs() { spdlog::default_logger_raw()->flush(); }

}  // namespace spoa
