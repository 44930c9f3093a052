// Where the interpreter's own records go when no engine call is running (the asyncio loop's reports,
// a start-up hook's background work): the log sink of the first Python engine of the process.
#pragma once

#include <string_view>

#include "agent/engines/engine.hpp"

namespace spoa::python {

/// Sets the sink once (later calls keep the first). With the GIL held.
void set_log_sink(const LogSink& sink);
/// Writes one record (dropped if no sink was set). With the GIL held.
void log_record(LogLevel level, std::string_view text);

}  // namespace spoa::python
