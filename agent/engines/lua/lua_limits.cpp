#include "agent/engines/lua/lua_limits.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>

#include "agent/engines/support/call_watchdog.hpp"

namespace spoa::lua {

void* counting_alloc(void* account, void* ptr, std::size_t old_size, std::size_t new_size) noexcept {
  auto& mem = *static_cast<MemoryAccount*>(account);
  // For a new block Lua passes the object's type in old_size, not a size.
  const std::size_t old_bytes = ptr != nullptr ? old_size : 0;
  if (new_size == 0) {
    std::free(ptr);
    mem.used -= old_bytes;
    return nullptr;
  }
  if (mem.enforce && mem.limit != 0 && new_size > old_bytes) {
    const std::size_t growth = new_size - old_bytes;
    const std::size_t room = mem.used < mem.limit ? mem.limit - mem.used : 0;
    if (growth > room) return nullptr;  // shrinking is never refused: Lua requires it to succeed
  }
  void* block = std::realloc(ptr, new_size);
  if (block != nullptr) mem.used = mem.used - old_bytes + new_size;
  return block;
}

namespace {

// The signal the watchdog sends to a Lua handler past its deadline (Python uses SIGRTMIN + 6, PHP + 7).
int watchdog_signal() noexcept { return SIGRTMIN + 8; }

// The Lua thread running the budgeted call on this OS thread, for the signal handler (which the watchdog
// sends to that OS thread; calls do not nest within a thread). Trivially destructible: safe to read there.
thread_local std::atomic<lua_State*> g_running{nullptr};

bool is_main_thread(lua_State* L) {
  const bool main = lua_pushthread(L) == 1;
  lua_pop(L, 1);
  return main;
}

void deadline_hook(lua_State* L, lua_Debug* /*unused*/) {
  LuaContext& ctx = context(L);
  if (!ctx.time.active) {
    if (is_main_thread(L)) {
      lua_sethook(L, nullptr, 0, 0);  // the main thread runs hook-free between calls
    } else if (lua_gethookcount(L) != time_check_interval) {
      // A coroutine stopped by a tightened hook runs again in a later call or at load time: give it
      // its normal interval back.
      lua_sethook(L, deadline_hook, LUA_MASKCOUNT, time_check_interval);
    }
    return;
  }
  if (!CallWatchdog::instance().interrupting()) return;
  ctx.time.expired = true;
  // From now on every instruction of this thread fails, so a script cannot swallow the error with
  // pcall and keep looping: the first instruction outside the pcall raises again.
  lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
  // Stopped in a coroutine: coroutine.resume returns the error like pcall would, so the handler's own
  // thread must stop at its next instruction too (it is suspended in resume, not running).
  lua_State* handler_thread = g_running.load(std::memory_order_relaxed);
  if (handler_thread != nullptr && handler_thread != L) lua_sethook(handler_thread, deadline_hook, LUA_MASKCOUNT, 1);
  luaL_error(L, "handler stopped: time budget of %d ms exceeded", static_cast<int>(ctx.time.budget.count()));
}

void on_watchdog_signal(int /*signal*/) {
  lua_State* L = g_running.load(std::memory_order_acquire);
  if (L != nullptr && CallWatchdog::instance().interrupting()) lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
}

void install_signal_handler() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = &on_watchdog_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // a script's own I/O is not disturbed; the hook does the stopping
    return sigaction(watchdog_signal(), &action, nullptr) == 0;
  }();
  (void)installed;
}

// coroutine.create: the original (upvalue 1) runs with the deadline hook set on the calling thread, so
// the new coroutine inherits it (lua_newthread copies its creator's hook).
int create_with_deadline_hook(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);  // the original's own check would not know its name any more
  const lua_Hook hook = lua_gethook(L);
  const int mask = lua_gethookmask(L);
  const int count = lua_gethookcount(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_sethook(L, deadline_hook, LUA_MASKCOUNT, time_check_interval);
  const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  lua_sethook(L, hook, mask, count);
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

}  // namespace

void set_up_time_budget(lua_State* L) {
  install_signal_handler();
  if (lua_getglobal(L, "coroutine") == LUA_TTABLE) {
    // coroutine.wrap is replaced later (install_coroutine_functions) by one that creates through this.
    lua_getfield(L, -1, "create");
    lua_pushcclosure(L, create_with_deadline_hook, 1);
    lua_setfield(L, -2, "create");
  }
  lua_pop(L, 1);
}

void arm_time_budget(lua_State* L, TimeBudget& time, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  milliseconds left = time.budget;
  if (deadline != steady_clock::time_point::max()) {
    // What is left of the call's budget after its waits, rounded up (at least 1 ms: a call resumed just
    // before its deadline may still finish within it).
    left = std::max(ceil<milliseconds>(deadline - steady_clock::now()), milliseconds(1));
  }
  CallWatchdog::instance().arm(left, {watchdog_signal(), nullptr, nullptr});  // may throw: nothing set yet
  time.expired = false;
  time.active = true;
  g_running.store(L, std::memory_order_release);
}

void disarm_time_budget(lua_State* L, TimeBudget& time) noexcept {
  g_running.store(nullptr, std::memory_order_release);  // first: a late signal then changes nothing
  CallWatchdog::instance().disarm();
  time.active = false;
  if (lua_gethook(L) != nullptr) lua_sethook(L, nullptr, 0, 0);
}

}  // namespace spoa::lua
