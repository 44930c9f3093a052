// PHP exceptions and fatal errors as text, and the prefix of every call-related record.
#pragma once

#include <cstdint>
#include <string>

#include "agent/engines/engine.hpp"
#include "agent/engines/support/call_text.hpp"

namespace spoa::php {

/// The pending PHP exception, taken out of PHP (EG(exception) is clear afterwards).
struct PhpException {
  bool present = false;
  bool unwind_exit = false;  ///< exit() or the time budget's unwinding, not a Throwable
  std::string summary;       ///< "RuntimeException: boom"
  std::string text;          ///< PHP's own rendering: "RuntimeException: boom in /a.php:3\nStack trace:\n#0 ..."
  std::string file;          ///< where it was thrown
  std::uint32_t line = 0;
};

/// Takes EG(exception) (if any). Needs a running request; never throws into PHP.
PhpException take_exception();

/// "message 'check-client-ip' (stream 1, frame 2)": the prefix of call errors and of spoa\log() records.
using spoa::describe;

}  // namespace spoa::php
