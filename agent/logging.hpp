// spoa's log setup: one spdlog logger on stderr whose lines carry the time, level, worker and pid.
#pragma once

#include <string_view>

#include "agent/engines/engine.hpp"

namespace spoa {

/// Installs the default spdlog logger (stderr, one line per record) at `level`. Call once at start;
/// worker processes call set_log_worker() after fork so their lines say which worker wrote them.
void setup_logging(LogLevel level);

/// Tags every later line with "w<index>" and this process's pid ("sup" for the supervisor: index < 0).
void set_log_worker(int index);

/// True if records at `level` are written (to skip building debug details on the hot path).
bool log_enabled(LogLevel level) noexcept;

/// A LogSink for engines that writes to the same logger.
LogSink engine_log_sink();

/// Writes buffered records (before fork and exit).
void flush_logs();

}  // namespace spoa
