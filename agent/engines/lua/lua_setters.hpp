// The action writers of the `spoa` table: the ten set_var_* functions and unset_var.
#pragma once

#include <lua.hpp>

namespace spoa::lua {

/// luaL_Reg list (ends with {nullptr, nullptr}) for luaL_setfuncs.
///
/// Each function checks its arguments (name, scope 0..4, value of the named type and range), then
/// appends one SET-VAR/UNSET-VAR to the running call's AckBuilder. Every failure is a Lua error whose
/// text starts with the function name, e.g. "set_var_int32: value 4294967296 out of range for int32";
/// called outside a handler, or when the action does not fit in the ACK, they raise as well.
const luaL_Reg* action_functions() noexcept;

}  // namespace spoa::lua
