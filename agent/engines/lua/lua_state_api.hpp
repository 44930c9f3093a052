// The Lua side of the shared state (issue #11): spoa.state_get/set/incr/del over EngineOptions::state.
#pragma once

#include <lua.hpp>

namespace spoa::lua {

/// spoa.state_get(key) -> string | integer | nil
/// spoa.state_set(key, value [, ttl_seconds])       value: string or integer; ttl 0/nil = no expiry
/// spoa.state_incr(key [, delta [, ttl_seconds]])   -> the new integer; delta defaults to 1
/// spoa.state_del(key) -> true if the key existed
/// Keys are strings (numbers are taken as their text). Every failure is a Lua error starting with the
/// function name; errors of the store name it ("state_incr: embedded store: value of key 'k' is not an
/// integer", "state_get: redis 127.0.0.1:6379: connection lost: ...").
const luaL_Reg* state_functions() noexcept;

}  // namespace spoa::lua
