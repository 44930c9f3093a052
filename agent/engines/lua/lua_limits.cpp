#include "agent/engines/lua/lua_limits.hpp"

#include <chrono>
#include <cstdlib>

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

void deadline_hook(lua_State* L, lua_Debug* /*unused*/) {
  LuaContext& ctx = context(L);
  if (!ctx.time.active) {
    // A coroutine that was stopped by a tightened hook runs again in a later call or at load time:
    // give it the normal interval back.
    if (lua_gethookcount(L) != time_check_interval) {
      lua_sethook(L, deadline_hook, LUA_MASKCOUNT, time_check_interval);
    }
    return;
  }
  if (std::chrono::steady_clock::now() < ctx.time.deadline) return;
  ctx.time.expired = true;
  // From now on every instruction of this thread fails, so a script cannot swallow the error with
  // pcall and keep looping: the first instruction outside the pcall raises again.
  lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
  luaL_error(L, "handler stopped: time budget of %d ms exceeded", static_cast<int>(ctx.time.budget.count()));
}

}  // namespace

void install_time_hook(lua_State* L, const TimeBudget& time) {
  if (time.budget.count() > 0) lua_sethook(L, deadline_hook, LUA_MASKCOUNT, time_check_interval);
}

void arm_time_budget(TimeBudget& time) noexcept {
  if (time.budget.count() <= 0) return;
  time.deadline = std::chrono::steady_clock::now() + time.budget;
  time.expired = false;
  time.active = true;
}

void disarm_time_budget(lua_State* L, TimeBudget& time) noexcept {
  time.active = false;
  if (time.budget.count() > 0 && lua_gethookcount(L) != time_check_interval) {
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, time_check_interval);
  }
}

}  // namespace spoa::lua
