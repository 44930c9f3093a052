// Python exceptions as text: the summary line, the formatted traceback and where it happened.
#pragma once

#include <string>
#include <string_view>

#include "agent/engines/engine.hpp"
#include "agent/engines/support/call_text.hpp"

namespace spoa::python {

/// A Python exception turned into plain text (taken out of the interpreter, which no longer holds it).
struct PythonError {
  std::string summary;    ///< "ValueError: bad value" (the last line Python itself would print)
  std::string traceback;  ///< "Traceback (most recent call last):\n ... ValueError: bad value"; no final newline
  std::string file;       ///< see take_error(); may be empty
  long line = 0;          ///< 0 when unknown
};

/// Takes the current exception (the error indicator is clear afterwards). `file`/`line` are a SyntaxError's
/// own location; otherwise the innermost traceback entry that runs in `focus_file`, or, if none does, the
/// innermost entry. Formats with the `traceback` module; falls back to str(exception) if that fails.
PythonError take_error(std::string_view focus_file = {});

/// "message 'check-client-ip' (stream 1, frame 2)": the prefix of call errors and of spoa.log() records.
using spoa::describe;

}  // namespace spoa::python
