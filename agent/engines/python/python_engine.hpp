// CPython 3 engine: runs the original spoa_server Python scripts (the built-in `spoa` module of script-api.md).
#pragma once

#include <memory>

#include "agent/engines/engine.hpp"

namespace spoa {

/// The embedded interpreter of this process with the `spoa` module; one per worker process.
std::unique_ptr<Engine> make_python_engine(const EngineOptions& options);

}  // namespace spoa
