#include "agent/engines/lua/lua_library.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_setters.hpp"
#include "agent/engines/lua/lua_sleep.hpp"
#include "agent/engines/lua/lua_socket.hpp"
#include "agent/engines/lua/lua_state_api.hpp"

// As in lua_setters.cpp: no object with a destructor is alive when a Lua error may be raised, and no
// C++ exception leaves a function that Lua calls.

namespace spoa::lua {

void log_record(const LuaContext& ctx, LogLevel level, std::string_view text) noexcept {
  if (!ctx.options.log) return;
  try {
    ctx.options.log(level, text);
  } catch (...) {  // a failing sink must not unwind through Lua
  }
}

namespace {

enum class Added { yes, duplicate, failed };

Added add_handler(LuaContext& ctx, std::string_view name, int ref, std::size_t& existing) noexcept {
  if (auto it = ctx.handlers.find(name); it != ctx.handlers.end()) {
    existing = it->second.registration;
    return Added::duplicate;
  }
  try {
    ctx.registrations.push_back(Registration{std::string(name), *ctx.loading});
    try {
      ctx.handlers.emplace(std::string(name), Handler{ref, ctx.registrations.size() - 1});
    } catch (...) {
      ctx.registrations.pop_back();
      throw;
    }
    return Added::yes;
  } catch (...) {
    return Added::failed;
  }
}

int register_message(lua_State* L) {
  LuaContext& ctx = context(L);
  const int name_type = lua_type(L, 1);
  if (name_type != LUA_TSTRING && name_type != LUA_TNUMBER) {
    return luaL_error(L, "register_message: bad argument #1 (string expected, got %s)", luaL_typename(L, 1));
  }
  if (lua_type(L, 2) != LUA_TFUNCTION) {
    return luaL_error(L, "register_message: bad argument #2 (function expected, got %s)", luaL_typename(L, 2));
  }
  std::size_t length = 0;
  const char* name = lua_tolstring(L, 1, &length);
  if (ctx.loading == nullptr) {
    return luaL_error(L, "register_message: message '%s' registered outside of a script load "
                         "(register handlers at the top level of the script)", name);
  }
  lua_pushvalue(L, 2);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  std::size_t existing = 0;
  switch (add_handler(ctx, {name, length}, ref, existing)) {
    case Added::yes:
      return 0;
    case Added::duplicate:
      luaL_unref(L, LUA_REGISTRYINDEX, ref);
      return luaL_error(L, "register_message: message '%s' is already registered by %s", name,
                        ctx.registrations[existing].file.c_str());
    case Added::failed:
      break;
  }
  luaL_unref(L, LUA_REGISTRYINDEX, ref);
  return luaL_error(L, "register_message: not enough memory");
}

// spoa.log levels: the LogLevel names, or their numbers 0 (trace) .. 5 (critical).
constexpr const char* level_names[] = {"trace", "debug", "info", "warning", "error", "critical"};
constexpr int level_count = static_cast<int>(sizeof level_names / sizeof level_names[0]);

LogLevel check_level(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING) {
    const char* given = lua_tostring(L, 1);
    for (int i = 0; i < level_count; ++i) {
      if (std::strcmp(given, level_names[i]) == 0) return static_cast<LogLevel>(i);
    }
    if (std::strcmp(given, "warn") == 0) return LogLevel::warning;
  } else {
    int is_integer = 0;
    const lua_Integer number = lua_tointegerx(L, 1, &is_integer);
    if (is_integer != 0 && number >= 0 && number < level_count) return static_cast<LogLevel>(number);
  }
  luaL_error(L, "log: bad level '%s' (expected \"trace\", \"debug\", \"info\", \"warning\", \"error\", "
                "\"critical\" or 0..5)", luaL_tolstring(L, 1, nullptr));
  std::abort();  // not reached: luaL_error does not return
}

/// "[<message> sid=<n> fid=<n>] <text>" inside a handler, plain "<text>" at load time.
void send_log(const LuaContext& ctx, LogLevel level, std::string_view text) noexcept {
  if (!ctx.options.log) return;
  if (ctx.call == nullptr) {
    log_record(ctx, level, text);
    return;
  }
  try {
    std::string line = "[";
    line += ctx.call->message;
    line += " sid=" + std::to_string(ctx.call->stream_id);
    line += " fid=" + std::to_string(ctx.call->frame_id);
    line += "] ";
    line += text;
    log_record(ctx, level, line);
  } catch (...) {
  }
}

int log(lua_State* L) {
  const LogLevel level = check_level(L);
  std::size_t length = 0;
  const char* text = luaL_tolstring(L, 2, &length);  // any value, rendered like tostring()
  send_log(context(L), level, {text, length});
  return 0;
}

constexpr luaL_Reg library_functions[] = {
    {"register_message", register_message},
    {"log", log},
    {nullptr, nullptr},
};

void add_scopes(lua_State* L) {
  constexpr const char* scopes[] = {"proc", "sess", "txn", "req", "res"};  // wire values 0..4
  lua_createtable(L, 0, 5);
  for (int i = 0; i < 5; ++i) {
    lua_pushinteger(L, i);
    lua_setfield(L, -2, scopes[i]);
  }
  lua_setfield(L, -2, "scope");
}

}  // namespace

int open_spoa_library(lua_State* L) {
  lua_createtable(L, 0, 16);
  luaL_setfuncs(L, library_functions, 0);
  luaL_setfuncs(L, action_functions(), 0);
  luaL_setfuncs(L, state_functions(), 0);  // shared state extension (lua_state_api.cpp)
  luaL_setfuncs(L, sleep_functions(), 0);  // waiting without holding the thread (lua_sleep.cpp)
  luaL_setfuncs(L, socket_functions(), 0);  // spoa.tcp() (lua_socket.cpp)
  register_socket_type(L);
  add_scopes(L);

  lua_pushvalue(L, -1);
  lua_setglobal(L, "spoa");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "spoa");
  lua_pop(L, 2);
  return 0;
}

}  // namespace spoa::lua
