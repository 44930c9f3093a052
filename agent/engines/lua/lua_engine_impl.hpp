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
#include "agent/engines/lua/lua_task.hpp"

namespace spoa::lua {

/// One lua_State with the standard libraries and the `spoa` table, its limits, and its handlers.
///
/// Every call runs its handler as a coroutine (a pooled Task, lua_task.hpp), so a script error, a
/// timeout or a memory error ends that call only; the state stays usable and the main Lua stack is left
/// as it was. Building the `args` table happens inside the coroutine too: under a memory cap it may
/// fail. Called with CallInfo::pending on an executor thread (PendingCall::thread_loop()), a handler that
/// waits is suspended and resumed from the executor thread's event loop; calls of one state then interleave, each with its own coroutine and `args`.
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

  /// From the completion of `task`'s wait, on its thread: runs the handler on (or ends it at its budget).
  void resume(Task& task) noexcept;
  /// Task::cancel() (PendingCall::cancel): ends a waiting handler now (its wait abandoned, its coroutine closed).
  void cancel(Task& task, CallResult::Kind why) noexcept;
  /// Handler calls in progress (suspended ones included), and pooled coroutines (tests).
  std::size_t tasks_in_progress() const noexcept { return tasks_.size() - idle_.size(); }
  /// Lua stack height of the pooled coroutines (0 for each between calls; tests check it).
  int pooled_stack_tops() const noexcept {
    int sum = 0;
    for (const Task* task : idle_) sum += task->thread != nullptr ? lua_gettop(task->thread) : 0;
    return sum;
  }
  std::size_t tasks_pooled() const noexcept { return idle_.size(); }

  /// Lua stack height between calls (constant for a balanced engine; tests check it).
  int stack_top() const noexcept { return lua_gettop(state_); }
  /// Bytes the state holds now (what EngineOptions::memory_limit caps).
  std::size_t memory_in_use() const noexcept { return context_->memory.used; }

 private:
  /// Prepends "<dir>/?.lua;<dir>/?/init.lua;" to package.path once per directory.
  void add_to_package_path(const std::filesystem::path& script);
  /// A pooled coroutine, or a new one; null without memory.
  Task* acquire_task() noexcept;
  /// Runs the Task's coroutine until it ends or waits, with `nargs` values on its stack (`first`: the
  /// handler's start). Returns the outcome (Kind::pending: it waits).
  CallResult run_slice(Task& task, int nargs, bool first) noexcept;
  /// The outcome of a slice that returned `status` with `results` values on the coroutine.
  CallResult settle(Task& task, int status, int results) noexcept;
  /// Ends the call: closes what it opened, gives the coroutine back to the pool (closed first when
  /// `reset`), then finishes its PendingCall if it had waited (`report`).
  void end(Task& task, CallResult result, bool reset, bool report) noexcept;
  CallResult failure(const Task& task, int status);
  void release(Task& task) noexcept;
  void drop_thread(Task& task) noexcept;
  /// Lua shortens long file names in messages ("...ripts/ps_lua.lua:3:"); put the full names back.
  std::string with_full_names(std::string text) const;

  std::unique_ptr<LuaContext> context_;  // heap: the state keeps a pointer to it
  lua_State* state_ = nullptr;
  std::vector<std::unique_ptr<Task>> tasks_;  // every coroutine made (pooled, or running a call)
  std::vector<Task*> idle_;                    // the pooled ones
  std::vector<std::filesystem::path> script_dirs_;
  std::vector<std::pair<std::string, std::string>> shortened_names_;  // (as Lua shows it, full path)
};

}  // namespace spoa::lua
