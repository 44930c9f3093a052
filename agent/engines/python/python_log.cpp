// The process-wide log sink of the Python engine (see python_log.hpp).
#include "agent/engines/python/python_log.hpp"

namespace spoa::python {

namespace {

LogSink* g_sink = nullptr;  // never freed: records may come until the process ends

}  // namespace

void set_log_sink(const LogSink& sink) {
  if (g_sink == nullptr && sink) g_sink = new LogSink(sink);
}

void log_record(LogLevel level, std::string_view text) {
  if (g_sink != nullptr) (*g_sink)(level, text);
}

}  // namespace spoa::python
