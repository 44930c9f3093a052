// Lua 5.4 engine: runs the original spoa_server Lua scripts (the `spoa` table API of script-api.md).
#pragma once

#include <memory>

#include "agent/engines/engine.hpp"

namespace spoa {

/// A fresh Lua state with every standard library and the `spoa` table; one per worker.
std::unique_ptr<Engine> make_lua_engine(const EngineOptions& options);

}  // namespace spoa
