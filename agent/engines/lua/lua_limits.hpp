// The two limits a Lua state runs under: a byte cap (custom allocator) and a per-call time budget
// (the agent's call watchdog, and a hook installed only when the deadline has passed).
#pragma once

#include <chrono>
#include <cstddef>

#include <lua.hpp>

#include "agent/engines/lua/lua_context.hpp"

namespace spoa::lua {

/// Instructions between two checks of the deadline hook in coroutines (an atomic load each).
inline constexpr int time_check_interval = 1000;

/// lua_Alloc over malloc/realloc/free that keeps MemoryAccount::used exact and refuses any growth past
/// MemoryAccount::limit while `enforce` is set. Lua answers a refusal with an emergency collection and,
/// if that does not help, a "not enough memory" error (LUA_ERRMEM) that unwinds to the call's lua_pcall.
void* counting_alloc(void* account, void* ptr, std::size_t old_size, std::size_t new_size) noexcept;

/// Sets up the time budget of a state whose EngineOptions::call_budget is positive, before any script
/// runs. A handler's coroutine runs without any hook (a count hook slows every VM instruction): when a
/// call passes its deadline, the CallWatchdog signals the thread and the signal handler installs the
/// hook that stops the call (lua_sethook is safe in a signal handler). The handler's own coroutines are
/// other Lua threads, which that signal does not reach: coroutine.create and coroutine.wrap are
/// replaced by versions whose coroutines carry a count hook checking the deadline every
/// time_check_interval instructions.
void set_up_time_budget(lua_State* L);

/// Starts the budget of one run of handler coroutine `L` (with a positive budget only): until
/// `deadline` (the call's, its waits included; time_point::max(): a whole budget from now).
void arm_time_budget(lua_State* L, TimeBudget& time, std::chrono::steady_clock::time_point deadline);

/// Ends it, and removes the stopping hook from `L` if the deadline had passed.
void disarm_time_budget(lua_State* L, TimeBudget& time) noexcept;

}  // namespace spoa::lua
