// The worker's asyncio event loop, where `async def` handlers run. It runs on the interpreter's own
// thread (see python_runtime.hpp), so that CPython delivers the watchdog's signal there: a coroutine that
// blocks the loop in time.sleep() or a busy loop can be interrupted.
//
// Other threads hand it work with post(), which takes no GIL: a mutex-guarded list plus an eventfd that
// the loop watches (loop.add_reader); the first post after a wake-up writes the eventfd, later ones only
// append. Everything else here runs on the loop's thread, with the GIL held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

class AsyncLoop final : public EventLoop {
 public:
  /// Creates the process's loop: on the interpreter's thread, with the GIL. Throws std::runtime_error,
  /// also when uvloop is asked for and cannot be imported.
  static AsyncLoop& create(AsyncioLoop kind);
  /// The process's loop; only valid after start_runtime() succeeded.
  static AsyncLoop& instance() noexcept;

  /// Runs the asyncio loop until stop() (interpreter thread, GIL held). A task that lets SystemExit
  /// or KeyboardInterrupt escape stops asyncio's run_forever(): it is logged and the loop goes on.
  void run();
  /// Stops the loop and waits up to `grace` for run() to return. Not on the loop's thread.
  void stop(std::chrono::milliseconds grace);

  bool post(void (*task)(void* context), void* context) override;
  bool on_loop_thread() const noexcept override;

  // --- loop thread, GIL held ---
  PyObject* loop() const noexcept { return loop_.get(); }  ///< the asyncio loop (borrowed)
  /// asyncio.Task(coro, loop=loop), as loop.create_task(coro) makes it without a task factory, minus
  /// a Python frame: a new reference, or null with an exception set.
  PyObject* create_task(PyObject* coro) const;
  /// loop.call_at(when, callback): the TimerHandle (new reference), or null with an exception set.
  /// `when` is in the loop's clock, which is std::chrono::steady_clock (CLOCK_MONOTONIC).
  PyObject* call_at(std::chrono::steady_clock::time_point when, PyObject* callback) const;
  /// loop.create_future(): a new reference, or null with an exception set.
  PyObject* create_future() const;
  /// Which loop this is: "uvloop 0.17.0 (--asyncio-loop auto)", for the log and --check.
  const std::string& description() const noexcept { return description_; }

  AsyncLoop(const AsyncLoop&) = delete;
  AsyncLoop& operator=(const AsyncLoop&) = delete;

 private:
  AsyncLoop() = default;
  ~AsyncLoop() = default;  // never destroyed: the loop lives as long as the process
 public:
  /// The eventfd's reader callback (a METH_NOARGS function); not for other callers.
  static PyObject* on_wake_entry(PyObject* self, PyObject* unused);

 private:
  void run_posted();

  Ref loop_;
  Ref task_type_;      // asyncio.Task (its C implementation)
  Ref task_kwnames_;   // ("loop",)
  Ref call_at_;        // bound methods of loop_, looked up once
  Ref create_future_;
  Ref run_forever_;
  int wake_fd_ = -1;
  std::string description_;

  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  // Guarded by mutex_:
  std::vector<std::pair<void (*)(void*), void*>> posted_;
  bool signalled_ = false;  // the eventfd was written since the last wake-up
  bool stopping_ = false;
  bool stopped_ = false;
  // Loop thread only:
  std::vector<std::pair<void (*)(void*), void*>> running_;
};

/// While a script loads (on a thread other than the loop's, GIL held): asyncio.get_event_loop() there
/// returns the worker's loop, so that what the script makes at load time and binds to "the current
/// loop" (a redis.asyncio client, asyncio.Lock in old libraries) belongs to the loop its handlers run on.
class CurrentLoopScope {
 public:
  CurrentLoopScope();
  ~CurrentLoopScope();
  CurrentLoopScope(const CurrentLoopScope&) = delete;
  CurrentLoopScope& operator=(const CurrentLoopScope&) = delete;

 private:
  bool set_ = false;
};

}  // namespace spoa::python
