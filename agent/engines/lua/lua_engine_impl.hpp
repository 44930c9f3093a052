// The Lua Engine class behind make_lua_engine(); internal, visible to tests for its diagnostics.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lua.hpp>

#include "agent/engines/engine.hpp"
#include "agent/engines/lua/lua_context.hpp"

namespace spoa::lua {

/// One lua_State with the standard libraries and the `spoa` table, its limits, and its handlers.
///
/// call() runs the handler under lua_pcall with a traceback handler, so a script error, a timeout or a
/// memory error ends that call only; the state stays usable and the Lua stack is left as it was.
/// Building the `args` table happens inside the protected call too: under a memory cap it may fail.
class LuaEngine final : public Engine {
 public:
  /// Throws std::runtime_error if the state cannot be created.
  explicit LuaEngine(const EngineOptions& options);
  ~LuaEngine() override;
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  std::string_view language() const noexcept override { return "lua"; }
  ThreadModel thread_model() const noexcept override { return ThreadModel::per_thread; }
  void load(const std::filesystem::path& file) override;
  std::vector<Registration> registrations() const override;
  CallResult call(const CallInfo& info, std::span<const spop::Argument> args,
                  spop::AckBuilder& actions) override;

  /// Lua stack height between calls (constant for a balanced engine; tests check it).
  int stack_top() const noexcept { return lua_gettop(state_); }
  /// Bytes the state holds now (what EngineOptions::memory_limit caps).
  std::size_t memory_in_use() const noexcept { return context_->memory.used; }

 private:
  /// Prepends "<dir>/?.lua;<dir>/?/init.lua;" to package.path once per directory.
  void add_to_package_path(const std::filesystem::path& script);
  CallResult failure(const CallInfo& info, int status);
  /// Lua shortens long file names in messages ("...ripts/ps_lua.lua:3:"); put the full names back.
  std::string with_full_names(std::string text) const;

  std::unique_ptr<LuaContext> context_;  // heap: the state keeps a pointer to it
  lua_State* state_ = nullptr;
  std::vector<std::filesystem::path> script_dirs_;
  std::vector<std::pair<std::string, std::string>> shortened_names_;  // (as Lua shows it, full path)
};

}  // namespace spoa::lua
