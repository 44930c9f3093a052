// PHP 8 engine (embed SAPI): handlers registered with spoa\register_message() in `.php` scripts.
#pragma once

#include <memory>

#include "agent/engines/engine.hpp"

namespace spoa {

/// The PHP runtime of this process with the `spoa` functions, in a request of its own; one per worker
/// process (a second one while the first exists throws std::runtime_error).
std::unique_ptr<Engine> make_php_engine(const EngineOptions& options);

}  // namespace spoa
