#include "agent/engines/lua/lua_errors.hpp"

#include <cstddef>
#include <cstdlib>

namespace spoa::lua {

namespace {

/// The text of the error value at `index` (pushing what it builds).
const char* message_of(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TSTRING || lua_type(L, index) == LUA_TNUMBER) return lua_tostring(L, index);
  if (luaL_callmeta(L, index, "__tostring") != 0 && lua_type(L, -1) == LUA_TSTRING) return lua_tostring(L, -1);
  return lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, index));
}

}  // namespace

int traceback_handler(lua_State* L) {
  const char* message = message_of(L, 1);
  // Level 1 starts the traceback at the function that raised (skipping this handler).
  luaL_traceback(L, L, message, 1);
  return 1;
}

int thread_traceback(lua_State* L) {
  auto* co = static_cast<lua_State*>(lua_touserdata(L, 1));
  lua_pushvalue(co, -1);
  lua_xmove(co, L, 1);
  const char* message = message_of(L, lua_gettop(L));
  // The coroutine's stack still holds the frames of the error: level 0 is the function that raised.
  luaL_traceback(L, co, message, 0);
  return 1;
}

std::string error_text(lua_State* L, int index) {
  // lua_type first: lua_tolstring would convert a number in place, harmless, but a table has no text.
  if (lua_type(L, index) == LUA_TSTRING) {
    std::size_t length = 0;
    const char* text = lua_tolstring(L, index, &length);
    return std::string(text, length);
  }
  return std::string("(error object is a ") + luaL_typename(L, index) + " value)";
}

std::string shown_source(lua_State* L, const std::string& chunkname) {
  // Ask Lua itself (lua_Debug::short_src of an empty chunk with that name) rather than copying its
  // truncation rule.
  if (luaL_loadbufferx(L, "", 0, chunkname.c_str(), "t") != LUA_OK) {
    lua_pop(L, 1);
    return {};
  }
  lua_Debug info;
  lua_getinfo(L, ">S", &info);  // pops the function
  return info.short_src;
}

[[noreturn]] void raise_type_error(lua_State* L, const char* fn, int arg, const char* expected) {
  luaL_error(L, "%s: bad argument #%d (%s expected, got %s)", fn, arg, expected, luaL_typename(L, arg));
  std::abort();  // not reached: luaL_error does not return
}

}  // namespace spoa::lua
