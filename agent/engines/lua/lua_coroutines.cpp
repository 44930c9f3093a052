// coroutine.resume and coroutine.wrap that pass waits through (see lua_coroutines.hpp).
#include "agent/engines/lua/lua_coroutines.hpp"

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_task.hpp"

// No C++ object with a destructor is alive in these functions: Lua errors and yields are longjmps.

namespace spoa::lua {

namespace {

// resume_once() outcomes besides a count of results.
constexpr int resume_failed = -1;  // the error value is on top of L
constexpr int resume_waits = -2;   // the coroutine waits on the event loop: yield on

/// Resumes `co` from `L` with the `narg` values on top of L. Returns how many values it yielded or
/// returned (moved onto L), resume_failed (its error value moved onto L) or resume_waits.
int resume_once(lua_State* L, lua_State* co, int narg) {
  if (lua_checkstack(co, narg) == 0) {
    lua_pushliteral(L, "too many arguments to resume");
    return resume_failed;
  }
  lua_xmove(L, co, narg);
  ResumeChain& chain = context(L).chain;
  if (chain.depth < ResumeChain::capacity) chain.resumers[chain.depth] = L;
  ++chain.depth;  // beyond the capacity only counted: check_can_wait() then refuses to wait
  int results = 0;
  const int status = lua_resume(co, L, narg, &results);
  --chain.depth;
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_xmove(co, L, 1);
    return resume_failed;
  }
  if (status == LUA_YIELD && results == 1 && lua_touserdata(co, -1) == wait_marker()) {
    lua_pop(co, 1);
    return resume_waits;
  }
  if (lua_checkstack(L, results + 1) == 0) {
    lua_pop(co, results);
    lua_pushliteral(L, "too many results to resume");
    return resume_failed;
  }
  lua_xmove(co, L, results);
  return results;
}

int resume_continued(lua_State* L, int status, lua_KContext ctx);

int finish_resume(lua_State* L, int outcome) {
  if (outcome == resume_waits) return yield_to_loop(L, resume_continued);
  if (outcome == resume_failed) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;  // false, error
  }
  lua_pushboolean(L, 1);
  lua_insert(L, -(outcome + 1));
  return outcome + 1;  // true, values
}

// coroutine.resume(co, ...)
int resume(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  luaL_argexpected(L, co != nullptr, 1, "coroutine");
  return finish_resume(L, resume_once(L, co, lua_gettop(L) - 1));
}

// The handler was resumed at the end of the wait that `co` (still at index 1) passed on: resume it.
int resume_continued(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  return finish_resume(L, resume_once(L, lua_tothread(L, 1), 0));
}

int wrap_continued(lua_State* L, int status, lua_KContext ctx);

int finish_wrap(lua_State* L, lua_State* co, int outcome) {
  if (outcome == resume_waits) return yield_to_loop(L, wrap_continued);
  if (outcome >= 0) return outcome;
  int status = lua_status(co);
  if (status != LUA_OK && status != LUA_YIELD) {  // the coroutine failed: close its to-be-closed variables
    status = lua_resetthread(co);
    lua_xmove(co, L, 1);
  }
  if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {  // as Lua's wrap: add where it was called
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

// The function coroutine.wrap returns; upvalue 1 is its coroutine.
int wrapped(lua_State* L) {
  lua_State* co = lua_tothread(L, lua_upvalueindex(1));
  return finish_wrap(L, co, resume_once(L, co, lua_gettop(L)));
}

int wrap_continued(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  lua_State* co = lua_tothread(L, lua_upvalueindex(1));
  return finish_wrap(L, co, resume_once(L, co, 0));
}

// coroutine.wrap(f); upvalue 1 is coroutine.create as it was when the state was set up.
int wrap(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  lua_pushcclosure(L, wrapped, 1);
  return 1;
}

}  // namespace

void install_coroutine_functions(lua_State* L) {
  if (lua_getglobal(L, "coroutine") != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  lua_pushcfunction(L, resume);
  lua_setfield(L, -2, "resume");
  lua_getfield(L, -1, "create");
  lua_pushcclosure(L, wrap, 1);
  lua_setfield(L, -2, "wrap");
  lua_pop(L, 1);
}

}  // namespace spoa::lua
