// Turning Lua errors into text: the traceback message handler and the reading of an error value.
#pragma once

#include <string>

#include <lua.hpp>

namespace spoa::lua {

/// lua_pcall message handler: replaces the error value with "<message>\nstack traceback:\n...".
/// Non-string error values are rendered with __tostring or as "(error object is a <type> value)".
int traceback_handler(lua_State* L);

/// lua_CFunction (run it under lua_pcall on the main thread) taking a light userdata: a coroutine
/// that ended in an error (its stack not unwound). Returns "<message>\nstack traceback:\n..." as
/// traceback_handler would have; the error value stays on the coroutine.
int thread_traceback(lua_State* L);

/// The error value at `index` as text (what lua_pcall left there), for CallResult and LoadError.
/// Does not raise; may throw std::bad_alloc (call it from C++, not from inside Lua).
std::string error_text(lua_State* L, int index);

/// How Lua shows the chunk name `chunkname` in messages and tracebacks ("@/a/b.lua" -> "/a/b.lua", or
/// "...<end of the path>" when it is longer than LUA_IDSIZE). Empty if it cannot tell (no memory).
std::string shown_source(lua_State* L, const std::string& chunkname);

/// Raises "<fn>: bad argument #<arg> (<expected> expected, got <type>)", the error of the API functions.
[[noreturn]] void raise_type_error(lua_State* L, const char* fn, int arg, const char* expected);

}  // namespace spoa::lua
