// The per-call time budget: a watchdog thread that interrupts a handler running past its deadline.
//
// How a handler is stopped: when the deadline passes, the watchdog thread (which never touches Python)
// sends a real-time signal to the thread running the handler. The signal has a Python-level handler
// (installed through the `signal` module), so CPython's own C handler records it and:
//  * a busy loop notices it at the next bytecode boundary (the eval breaker) and runs the handler;
//  * a blocking call (time.sleep, select, socket reads) returns EINTR, and CPython's retry loop runs the
//    handler (PEP 475) before retrying.
// The Python-level handler raises spoa.TimeBudgetExceeded (a BaseException) while a call is past its
// deadline and does nothing otherwise (a late signal arriving after the call ended is ignored). The signal
// is sent again every `refire` interval until the call returns, which covers a signal that landed just
// before a blocking syscall and handlers that catch BaseException once.
//
// Limits: CPython runs signal handlers only in its main thread (the one that started the interpreter, which
// is also the one that drives the engines), and C code that blocks without checking for signals (a long
// regex match, a C extension's loop) cannot be interrupted before it returns.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <pthread.h>

namespace spoa::python {

/// The signal the watchdog uses: SIGRTMIN + 6 (the agent uses SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE).
int watchdog_signal() noexcept;

class Watchdog {
 public:
  /// The process's watchdog. The first use needs the GIL in the interpreter's main thread: it installs the
  /// signal's Python-level handler. The thread itself starts at the first arm() (so a process that forks
  /// after loading scripts gets its own thread in each child).
  static Watchdog& instance();

  /// Starts the budget of a call running in the calling thread. `budget` must be positive.
  void arm(std::chrono::milliseconds budget);
  /// Ends it; true if the deadline passed before (the handler was or is being interrupted).
  bool disarm() noexcept;
  /// For the Python-level handler: a call is running and is past its deadline.
  bool interrupting() const noexcept { return active_.load(std::memory_order_relaxed) && expired_.load(std::memory_order_acquire); }
  /// The budget of the running (or last) call, for the exception's message.
  std::chrono::milliseconds budget() const noexcept { return budget_; }

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  Watchdog() = default;
  void start_thread();  // with mutex_ held
  void run();
  static void before_fork() noexcept;
  static void after_fork_in_parent() noexcept;
  static void after_fork_in_child() noexcept;

  std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_:
  bool thread_running_ = false;
  bool armed_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point sleeping_until_ = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds refire_{};
  pthread_t target_{};
  // Read by the Python-level handler without the mutex:
  std::atomic<bool> active_{false};
  std::atomic<bool> expired_{false};
  std::chrono::milliseconds budget_{};  // written and read by the Python thread only
};

}  // namespace spoa::python
