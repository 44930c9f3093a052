// A handler call of the Lua engine running as a coroutine of its state, and what it may wait for.
//
// Every handler runs in a Task: a pooled Lua thread (coroutine) with its own `args` tables, reused call
// after call (no allocation for a call that does not wait). A function that waits (spoa.sleep, a socket
// operation, a Redis state call) starts a Wait on the executor thread's event loop and yields; when the
// wait completes, the engine resumes the Task from that loop. The handler's own coroutines
// (coroutine.resume/wrap) pass such a yield through to the Task (lua_coroutines.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <lua.hpp>

#include "agent/engines/engine.hpp"
#include "agent/engines/lua/lua_values.hpp"

namespace spoa::lua {

class LuaEngine;
struct Task;

/// Something a suspended handler waits for: operations on its thread's event loop with a time limit.
/// Shared: the completion handlers of its operations keep it alive until they have run, whatever
/// happened to the call meanwhile (cancelled, finished, its engine gone).
class Wait : public std::enable_shared_from_this<Wait> {
 public:
  explicit Wait(const char* what) noexcept : what_(what) {}
  virtual ~Wait() = default;
  Wait(const Wait&) = delete;
  Wait& operator=(const Wait&) = delete;

  /// The call is cancelled: stop the operations now. Their handlers still run (operation_aborted) but
  /// resume nothing. Called with task already null.
  virtual void abandon() noexcept = 0;

  /// "spoa.sleep", "sock:receive": names the wait in messages.
  const char* what() const noexcept { return what_; }

  Task* task = nullptr;         ///< the call to resume when done; null once done or abandoned
  lua_State* waiter = nullptr;  ///< the coroutine that waits: only its continuation may take the result
  bool done = false;            ///< the result is in: the waiter may read it

 protected:
  /// The operations are over: resumes the call (if it still waits for this). From a completion handler.
  void complete() noexcept;

 private:
  const char* what_;
};

/// Something a handler opened that its end must close (a socket).
class Closeable {
 public:
  virtual ~Closeable() = default;
  /// Closes it now, if still open (idempotent); never kept for reuse.
  virtual void close_at_end() noexcept = 0;
};

/// One handler call in progress (or a pooled, idle coroutine).
struct Task final {
  LuaEngine* engine = nullptr;
  lua_State* thread = nullptr;  ///< the coroutine (anchored in the registry under thread_ref); null: make one
  int thread_ref = LUA_NOREF;
  bool thread_spent = false;    ///< it ended in an error or was closed: replace it, never reuse it
  int runner_ref = LUA_NOREF;   ///< the C closure that builds `args` (its upvalues) and calls the handler
  std::size_t argument_count = 0;  ///< `args` length of this coroutine's previous call
  ArgumentCache argument_cache;    ///< strings of this coroutine's previous calls' arguments

  // The call (valid from start to end):
  CallInfo info;
  spop::AckBuilder* actions = nullptr;
  PendingCall* pending = nullptr;       ///< null: the call cannot wait (a wait raises an error)
  boost::asio::io_context* loop = nullptr;  ///< pending->thread_loop(): where its waits run
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::shared_ptr<Wait> wait;      ///< what it waits for, or the wait whose result its waiter takes next
  /// Things to close when the call ends (its sockets): closed, never pooled, when it ends in any way.
  std::vector<std::shared_ptr<Closeable>> open;

  /// PendingCall::cancel while it waits: ends the handler now (LuaEngine::cancel).
  static void cancel(void* task, CallResult::Kind why) noexcept;
};

/// The light userdata a wait yields with, so that resumers tell it from a script's own yield.
void* wait_marker() noexcept;

/// Can the running coroutine `L` start a wait now (a handler that can be resumed on an event loop,
/// every resumer up the chain able to yield)? If not, raises "<fn>: cannot wait ..." naming why (the C
/// function in the way, or "outside a handler"). Returns the running Task.
Task& check_can_wait(lua_State* L, const char* fn);

/// The running Task if the coroutine `L` can wait now (what check_can_wait() checks), else null.
Task* task_that_can_wait(lua_State* L) noexcept;

/// Makes `wait` (its operations started) the Task's wait, resumed in coroutine `waiter`. Never throws.
void begin_wait(Task& task, std::shared_ptr<Wait> wait, lua_State* waiter) noexcept;

/// Yields the running coroutine to the event loop (with the marker); `k` runs when its wait completes
/// and must start with take_result(). Call as `return yield_to_loop(L, k)` after begin_wait(), with no
/// C++ object alive in the calling frame (the yield is a longjmp).
int yield_to_loop(lua_State* L, lua_KFunction k);

/// In a continuation: the wait this coroutine started, now done. Raises if the coroutine was resumed by
/// anything but its wait's completion (a script resuming another call's coroutine while it waits). The
/// Task keeps the wait (and its result) until its next wait or its end.
Wait& waited(lua_State* L, const char* fn);

template <typename W>
W& take_result(lua_State* L, const char* fn) {
  return static_cast<W&>(waited(L, fn));
}

}  // namespace spoa::lua
