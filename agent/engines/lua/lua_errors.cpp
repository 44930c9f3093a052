#include "agent/engines/lua/lua_errors.hpp"

#include <cstddef>
#include <cstdlib>

namespace spoa::lua {

int traceback_handler(lua_State* L) {
  const char* message = nullptr;
  if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
    message = lua_tostring(L, 1);
  } else if (luaL_callmeta(L, 1, "__tostring") != 0 && lua_type(L, -1) == LUA_TSTRING) {
    message = lua_tostring(L, -1);
  } else {
    message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  // Level 1 starts the traceback at the function that raised (skipping this handler).
  luaL_traceback(L, L, message, 1);
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
