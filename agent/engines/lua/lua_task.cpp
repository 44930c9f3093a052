// Waits of handler coroutines: who may wait, yielding to the event loop, taking the result (lua_task.hpp).
#include "agent/engines/lua/lua_task.hpp"

#include <cstdlib>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_engine_impl.hpp"

// As in lua_setters.cpp: no object with a destructor is alive where a Lua error or a yield (both
// longjmps) may happen.

namespace spoa::lua {

namespace {

char marker_byte;

/// The nearest C function on `L`'s stack above level 0 (the waiting function itself), by the name its
/// caller used; false if none.
bool c_function_in_the_way(lua_State* L, lua_Debug& found) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar) != 0; ++level) {
    if (lua_getinfo(L, "Sn", &ar) == 0) break;
    if (ar.what != nullptr && ar.what[0] == 'C') {
      found = ar;
      return true;
    }
  }
  return false;
}

[[noreturn]] void refuse_wait_here(lua_State* L, const char* fn, lua_State* blocked) {
  lua_Debug ar{};
  const char* where = "a C function";
  if (c_function_in_the_way(blocked, ar) && ar.name != nullptr) where = lua_pushfstring(L, "'%s'", ar.name);
  luaL_error(L, "%s: cannot wait inside %s: Lua cannot suspend a handler across a C function (a string.gsub or "
                "table.sort callback, a metamethod called by a library function such as tostring, require, "
                "__gc); wait outside it",
             fn, where);
  std::abort();  // not reached: luaL_error does not return
}

}  // namespace

void* wait_marker() noexcept { return &marker_byte; }

void Wait::complete() noexcept {
  Task* t = task;
  if (t == nullptr) return;  // abandoned: the call was cancelled
  task = nullptr;
  done = true;
  t->engine->resume(*t);
}

Task& check_can_wait(lua_State* L, const char* fn) {
  LuaContext& ctx = context(L);
  if (ctx.task == nullptr) {
    luaL_error(L, "%s: can only wait inside a message handler (not while a script loads)", fn);
  }
  if (ctx.task->pending == nullptr) luaL_error(L, "%s: cannot wait: this call runs without an event loop", fn);
  if (lua_isyieldable(L) == 0) refuse_wait_here(L, fn, L);
  const ResumeChain& chain = ctx.chain;
  if (chain.depth >= ResumeChain::capacity) luaL_error(L, "%s: cannot wait: coroutines nested too deeply", fn);
  for (int i = chain.depth - 1; i >= 0; --i) {
    if (lua_isyieldable(chain.resumers[i]) == 0) refuse_wait_here(L, fn, chain.resumers[i]);
  }
  return *ctx.task;
}

Task* task_that_can_wait(lua_State* L) noexcept {
  LuaContext& ctx = context(L);
  if (ctx.task == nullptr || ctx.task->pending == nullptr || lua_isyieldable(L) == 0) return nullptr;
  const ResumeChain& chain = ctx.chain;
  if (chain.depth >= ResumeChain::capacity) return nullptr;
  for (int i = 0; i < chain.depth; ++i) {
    if (lua_isyieldable(chain.resumers[i]) == 0) return nullptr;
  }
  return ctx.task;
}

void begin_wait(Task& task, std::shared_ptr<Wait> wait, lua_State* waiter) noexcept {
  wait->task = &task;
  wait->waiter = waiter;
  task.wait = std::move(wait);
}

int yield_to_loop(lua_State* L, lua_KFunction k) {
  lua_pushlightuserdata(L, wait_marker());
  return lua_yieldk(L, 1, 0, k);
}

Wait& waited(lua_State* L, const char* fn) {
  Task* task = context(L).task;
  if (task == nullptr || !task->wait || task->wait->waiter != L || !task->wait->done) {
    luaL_error(L, "%s: this coroutine was resumed while it waits (only the end of its wait may resume it)", fn);
  }
  return *task->wait;
}

void Task::cancel(void* task, CallResult::Kind why) noexcept {
  auto* t = static_cast<Task*>(task);
  t->engine->cancel(*t, why);
}

}  // namespace spoa::lua
