// The two limits a Lua state runs under: a byte cap (custom allocator) and a per-call time budget (count hook).
#pragma once

#include <cstddef>

#include <lua.hpp>

#include "agent/engines/lua/lua_context.hpp"

namespace spoa::lua {

/// Instructions between two deadline checks. A check costs one steady_clock read (~20 ns), so this
/// keeps the overhead far below 1% while stopping a runaway loop within microseconds of its deadline.
inline constexpr int time_check_interval = 1000;

/// lua_Alloc over malloc/realloc/free that keeps MemoryAccount::used exact and refuses any growth past
/// MemoryAccount::limit while `enforce` is set. Lua answers a refusal with an emergency collection and,
/// if that does not help, a "not enough memory" error (LUA_ERRMEM) that unwinds to the call's lua_pcall.
void* counting_alloc(void* account, void* ptr, std::size_t old_size, std::size_t new_size) noexcept;

/// Installs the deadline hook on the main thread when a budget is set. Done before any script runs,
/// so coroutines (which inherit their creator's hook) are stopped too.
void install_time_hook(lua_State* L, const TimeBudget& time);

/// Starts the budget of one handler call.
void arm_time_budget(TimeBudget& time) noexcept;

/// Ends it, and restores the normal hook interval on the main thread if the hook had tightened it.
void disarm_time_budget(lua_State* L, TimeBudget& time) noexcept;

}  // namespace spoa::lua
