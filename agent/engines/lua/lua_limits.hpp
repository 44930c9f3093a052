// The two limits a Lua state runs under: a byte cap (custom allocator) and a per-call time budget
// (the agent's call watchdog, and a hook installed only when the deadline has passed).
#pragma once

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
/// runs. The main thread runs without any hook (a count hook slows every VM instruction): when a call
/// passes its deadline, the CallWatchdog signals the thread and the signal handler installs the hook
/// that stops the call (lua_sethook is safe in a signal handler). A coroutine is another Lua thread,
/// which that signal does not reach: coroutine.create and coroutine.wrap are replaced by versions
/// whose coroutines carry a count hook checking the deadline every time_check_interval instructions.
void set_up_time_budget(lua_State* L);

/// Starts the budget of one handler call (with a positive budget only).
void arm_time_budget(lua_State* L, TimeBudget& time);

/// Ends it, and removes the stopping hook from the main thread if the deadline had passed.
void disarm_time_budget(lua_State* L, TimeBudget& time) noexcept;

}  // namespace spoa::lua
