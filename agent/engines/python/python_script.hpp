// Running a script file the way `python3 script.py` does: as `__main__`, its directory first on sys.path.
#pragma once

#include <filesystem>

#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

/// Runs `file` once in a fresh module named `__main__` (__file__ = its absolute path; sys.modules['__main__']
/// and sys.argv[0] point at it) after putting the script's real directory at the front of sys.path if it is
/// not there yet. Returns the module, which the caller keeps alive as long as its handlers.
///
/// Throws spoa::LoadError: "<file>:<line>: <Type>: <message>" then the traceback, where file:line is a
/// SyntaxError's location or the innermost line of the script itself that was running. A file that cannot
/// be read gives "<file>: cannot read script: <reason>".
Ref run_script(const std::filesystem::path& file);

}  // namespace spoa::python
