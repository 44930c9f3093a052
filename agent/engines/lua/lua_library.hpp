// The global `spoa` table scripts see (script-api.md): registration, setters, scopes, and the log extension.
#pragma once

#include <lua.hpp>

namespace spoa::lua {

/// lua_CFunction (run it under lua_pcall: it allocates) that creates the `spoa` table, stores it as the
/// global `spoa` and as package.loaded.spoa (so `require "spoa"` also works). The standard libraries
/// must already be open.
///
/// Contents: register_message(name, fn); set_var_null/boolean/int32/uint32/int64/uint64/ipv4/ipv6/str/bin;
/// the extensions unset_var(name, scope) and log(level, text); scope = {proc=0, sess=1, txn=2, req=3, res=4}.
int open_spoa_library(lua_State* L);

}  // namespace spoa::lua
