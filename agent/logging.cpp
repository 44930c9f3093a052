// spdlog configuration. The pattern is rebuilt after fork so that each line names its worker and pid.
#include "agent/logging.hpp"

#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

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

void set_pattern_for(const std::string& who) {
  // Example: 2026-01-31 12:00:00.123 [info] [w2 1234] c17: ...
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] [" + who + "] %v");
}

}  // namespace

void setup_logging(LogLevel level) {
  // The multi-threaded sink: engines may log from a watchdog thread.
  auto logger = spdlog::stderr_logger_mt("spoa");
  spdlog::set_default_logger(logger);
  spdlog::set_level(to_spdlog(level));
  // Warnings and errors must reach the terminal or journal at once; info lines can wait a little.
  spdlog::flush_on(spdlog::level::warn);
  set_pattern_for("main " + std::to_string(::getpid()));
}

void set_log_worker(int index) {
  std::string who = index < 0 ? std::string("sup") : "w" + std::to_string(index);
  set_pattern_for(who + " " + std::to_string(::getpid()));
}

bool log_enabled(LogLevel level) noexcept { return spdlog::should_log(to_spdlog(level)); }

LogSink engine_log_sink() {
  return [](LogLevel level, std::string_view text) { spdlog::log(to_spdlog(level), "{}", text); };
}

void flush_logs() { spdlog::default_logger_raw()->flush(); }

}  // namespace spoa
