// Per-state bookkeeping of the Lua engine: what the `spoa` functions need to reach from C.
//
// One LuaContext lives beside each lua_State. A pointer to it sits in the state's extra space
// (LUA_EXTRASPACE), which Lua copies into every coroutine, so a setter finds the current call's
// AckBuilder in O(1) whichever thread runs it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <lua.hpp>

#include "agent/engines/engine.hpp"
#include "agent/engines/lua/lua_values.hpp"
#include "spop/ack_builder.hpp"

namespace spoa::lua {

/// Bytes allocated by one state, and the cap EngineOptions::memory_limit puts on them.
struct MemoryAccount {
  std::size_t used = 0;
  std::size_t limit = 0;   ///< 0 = no cap
  bool enforce = false;    ///< off while the engine itself builds the state
};

/// The per-call time budget (EngineOptions::call_budget), kept by the process's CallWatchdog.
struct TimeBudget {
  std::chrono::milliseconds budget{0};  ///< 0 = unlimited: no watchdog, no hook at all
  bool active = false;   ///< a handler call is running
  bool expired = false;  ///< the hook stopped this call
};

struct Task;  // lua_task.hpp: one handler call running as a coroutine

/// The coroutines whose resume passes a wait through (lua_coroutines.cpp): each entry is the thread
/// that resumed the next one. A wait may only start if every one of them can yield.
struct ResumeChain {
  static constexpr int capacity = 200;  ///< deeper nesting cannot wait (Lua's own C-call limit is 200)
  lua_State* resumers[capacity] = {};
  int depth = 0;
};

/// A registered handler: the function stays in the Lua registry under `ref` (no lookup by name per call).
struct Handler {
  int ref = LUA_NOREF;
  std::size_t registration = 0;  ///< index into LuaContext::registrations
};

/// Hash that accepts std::string_view, so the per-call lookup needs no std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// The last address text a setter parsed and its result: scripts set the same constant address over
/// and over, and comparing a few bytes is far cheaper than parsing them again.
template <typename Address>
struct ParsedAddress {
  std::string text;
  Address address{};
  bool valid = false;
};

struct LuaContext {
  EngineOptions options;
  MemoryAccount memory;
  TimeBudget time;

  spop::AckBuilder* actions = nullptr;  ///< the running call's ACK; null outside call()
  const CallInfo* call = nullptr;       ///< the running call; null outside call()
  Task* task = nullptr;                 ///< the running call's coroutine; null outside call()
  ResumeChain chain;                    ///< script coroutines being resumed now
  const std::filesystem::path* loading = nullptr;  ///< the file load() is running; null otherwise

  ParsedAddress<spop::Ipv4Address> parsed_ipv4;
  ParsedAddress<spop::Ipv6Address> parsed_ipv6;

  std::vector<Registration> registrations;
  std::unordered_map<std::string, Handler, NameHash, std::equal_to<>> handlers;

  std::string warning;         ///< pieces of a Lua warning (warn("a", "b")) until the last one arrives
  bool warnings_enabled = true;  ///< warn("@off") / warn("@on")
};

/// The context of the state `L` belongs to (any of its threads).
inline LuaContext& context(lua_State* L) noexcept {
  return **static_cast<LuaContext**>(lua_getextraspace(L));
}

inline void attach_context(lua_State* L, LuaContext* ctx) noexcept {
  *static_cast<LuaContext**>(lua_getextraspace(L)) = ctx;
}

/// Sends a record to EngineOptions::log if there is one. Never throws (it runs under Lua's C frames).
void log_record(const LuaContext& ctx, LogLevel level, std::string_view text) noexcept;

}  // namespace spoa::lua
