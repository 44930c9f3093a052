#include "agent/engines/lua/lua_state_api.hpp"

#include <cmath>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_errors.hpp"
#include "agent/engines/shared_store.hpp"

// As in lua_setters.cpp: a Lua error is a longjmp that must not cross a live object with a destructor, and
// no C++ exception may cross Lua's frames. So the store is called from noexcept helpers that leave their
// result (or error text) in a per-thread scratch area, and the Lua functions raise with plain pointers only.

namespace spoa::lua {

namespace {

struct Scratch {
  std::optional<StateValue> value;
  std::int64_t integer = 0;
  bool existed = false;
  std::string error;
};

thread_local Scratch scratch;

[[noreturn]] void raise_scratch_error(lua_State* L) {
  lua_pushlstring(L, scratch.error.data(), scratch.error.size());
  lua_error(L);
  std::abort();
}

std::string_view check_key(lua_State* L, const char* fn) {
  const int type = lua_type(L, 1);
  if (type != LUA_TSTRING && type != LUA_TNUMBER) raise_type_error(L, fn, 1, "string");
  std::size_t length = 0;
  const char* key = lua_tolstring(L, 1, &length);
  return {key, length};
}

/// An optional TTL in seconds (fractions allowed): nil or absent = no expiry.
std::chrono::milliseconds check_ttl(lua_State* L, const char* fn, int arg) {
  if (lua_isnoneornil(L, arg)) return std::chrono::milliseconds{0};
  int is_number = 0;
  const lua_Number seconds = lua_tonumberx(L, arg, &is_number);
  if (is_number == 0) raise_type_error(L, fn, arg, "number of seconds");
  const auto ttl = state_ttl_from_seconds(static_cast<double>(seconds));
  if (!ttl) {
    luaL_error(L, "%s: bad TTL %s (expected 0..%d seconds; 0 or nil = no expiry)", fn, luaL_tolstring(L, arg, nullptr),
               static_cast<int>(state_limits::max_ttl.count() / 1000));
  }
  return *ttl;
}

SharedStore* check_store(lua_State* L, const char* fn) {
  SharedStore* store = context(L).options.state.get();
  if (store == nullptr) luaL_error(L, "%s: no shared store is configured", fn);
  return store;
}

/// Runs `body` against the store; false with scratch.error set ("<fn>: <store error>") on failure.
template <typename Body>
bool run(const char* fn, Body&& body) noexcept {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    try {
      scratch.error = std::string(fn) + ": " + e.what();
    } catch (...) {
      scratch.error.clear();
    }
  } catch (...) {
    scratch.error.clear();
  }
  if (scratch.error.empty()) {
    // Assigning cannot fail for a string this short once the buffer has been used, but be safe.
    scratch.error.assign(fn);
  }
  return false;
}

int state_get(lua_State* L) {
  constexpr const char* fn = "state_get";
  const std::string_view key = check_key(L, fn);
  SharedStore* store = check_store(L, fn);
  if (!run(fn, [&] { scratch.value = store->get(key); })) raise_scratch_error(L);
  if (!scratch.value) {
    lua_pushnil(L);
  } else if (scratch.value->is_integer()) {
    lua_pushinteger(L, static_cast<lua_Integer>(scratch.value->integer));
  } else {
    lua_pushlstring(L, scratch.value->data.data(), scratch.value->data.size());
  }
  return 1;
}

int state_set(lua_State* L) {
  constexpr const char* fn = "state_set";
  const std::string_view key = check_key(L, fn);
  const std::chrono::milliseconds ttl = check_ttl(L, fn, 3);
  SharedStore* store = check_store(L, fn);
  const int type = lua_type(L, 2);
  lua_Integer integer = 0;
  std::string_view text;
  if (type == LUA_TNUMBER) {
    int is_integer = 0;
    integer = lua_tointegerx(L, 2, &is_integer);
    if (is_integer == 0) {
      luaL_error(L, "%s: value %s has no integer representation (store floats as strings)", fn,
                 luaL_tolstring(L, 2, nullptr));
    }
  } else if (type == LUA_TSTRING) {
    std::size_t length = 0;
    const char* bytes = lua_tolstring(L, 2, &length);
    text = {bytes, length};
  } else {
    raise_type_error(L, fn, 2, "string or integer");
  }
  const bool ok = run(fn, [&] {
    store->set(key, type == LUA_TNUMBER ? StateValue::of_integer(integer) : StateValue::of_text(text), ttl);
  });
  if (!ok) raise_scratch_error(L);
  return 0;
}

int state_incr(lua_State* L) {
  constexpr const char* fn = "state_incr";
  const std::string_view key = check_key(L, fn);
  lua_Integer delta = 1;
  if (!lua_isnoneornil(L, 2)) {
    int is_integer = 0;
    delta = lua_tointegerx(L, 2, &is_integer);
    if (is_integer == 0) raise_type_error(L, fn, 2, "integer delta");
  }
  const std::chrono::milliseconds ttl = check_ttl(L, fn, 3);
  SharedStore* store = check_store(L, fn);
  if (!run(fn, [&] { scratch.integer = store->incr(key, delta, ttl); })) raise_scratch_error(L);
  lua_pushinteger(L, static_cast<lua_Integer>(scratch.integer));
  return 1;
}

int state_del(lua_State* L) {
  constexpr const char* fn = "state_del";
  const std::string_view key = check_key(L, fn);
  SharedStore* store = check_store(L, fn);
  if (!run(fn, [&] { scratch.existed = store->del(key); })) raise_scratch_error(L);
  lua_pushboolean(L, scratch.existed ? 1 : 0);
  return 1;
}

constexpr luaL_Reg state_api_functions[] = {
    {"state_get", state_get},
    {"state_set", state_set},
    {"state_incr", state_incr},
    {"state_del", state_del},
    {nullptr, nullptr},
};

}  // namespace

const luaL_Reg* state_functions() noexcept { return state_api_functions; }

}  // namespace spoa::lua
