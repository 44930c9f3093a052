// spoa.tcp(): a non-blocking socket for handlers (the LuaSocket / OpenResty cosocket API), on the
// executor thread's event loop. Outgoing connections only (TCP by name or address, or "unix:/path");
// no address filtering is done: a script may connect wherever the agent's user may.
//
//   sock = spoa.tcp()
//   ok, err = sock:connect(host, port) | sock:connect("unix:/path")   -- 1, or nil and the error
//   n, err = sock:send(data)             -- data: a string, a number, or an array of them
//   data, err, partial = sock:receive("*l" | "*a" | n)   -- a line (CRs dropped), all until closed, n bytes
//   sock:settimeout(seconds)             -- per operation (default 60 s); the call's budget bounds it too
//   ok, err = sock:setkeepalive([idle_seconds [, pool_size]])  -- to the per-thread pool (60 s, 30)
//   n = sock:getreusedtimes()            -- how often this connection came out of the pool
//   sock:close()
//
// Errors are values: nil and "timeout", "closed", "connection refused", "<host> could not be resolved
// (...)", "socket busy", or the system's message in lower case. A connection left open when its handler
// ends is closed (never pooled); so is one whose call is cancelled.
#pragma once

#include <lua.hpp>

namespace spoa::lua {

/// spoa.tcp, for the `spoa` table.
const luaL_Reg* socket_functions() noexcept;

/// Creates the metatable of spoa.tcp() sockets (under lua_pcall, once per state).
void register_socket_type(lua_State* L);

}  // namespace spoa::lua
