// SPOP values to Lua values: the `args` array a handler receives (script-api.md, "Callback").
#pragma once

#include <span>

#include <lua.hpp>

#include "spop/value.hpp"

namespace spoa::lua {

/// Pushes one SPOP value, or nothing for NULL; returns how many values were pushed (0 or 1).
///
/// BOOL -> boolean; INT32/UINT32/INT64/UINT64 -> integer with all 64 wire bits (a UINT64 above
/// 2^63-1 therefore reads as a negative integer); IPV4/IPV6 -> address text; STRING/BINARY -> string.
/// May raise a Lua error (memory), so call it only under lua_pcall.
int push_value(lua_State* L, const spop::Value& value);

/// Pushes the array `{ {name=..., value=...}, ... }` in argument order. Tables are created at their
/// final size, so building the array costs one allocation per table and nothing else.
/// May raise a Lua error (memory), so call it only under lua_pcall.
void push_arguments(lua_State* L, std::span<const spop::Argument> args);

}  // namespace spoa::lua
