// The per-call time budget shared by the engines that cannot check a clock themselves (Python, PHP):
// a watchdog thread that interrupts a handler running past its deadline.
//
// The engine arms the watchdog before a handler call and disarms it afterwards. When the deadline passes,
// the watchdog thread (which never touches the script runtime's data, only atomics) runs the engine's
// `on_expiry` hook (e.g. PHP's "VM interrupt" flag) and sends the engine's real-time signal to the thread
// running the handler, so that a blocking system call (sleep, select, socket reads) returns EINTR. The
// signal is sent again every `refire` interval (10-100 ms, from the budget) until the call returns, which
// covers a signal that landed just before a blocking call and handlers that defeat one interruption.
// What the signal does is the engine's business (Python: a Python-level handler raises; PHP: nothing,
// the EINTR is enough).
//
// One watchdog per process, one thread, started at the first arm() (so a process that forks after
// loading scripts gets its own thread in each child). Calls do not nest: one deadline at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <pthread.h>

namespace spoa {

class CallWatchdog {
 public:
  /// How to interrupt the armed call.
  struct Interrupt {
    int signal = 0;                        ///< sent to the calling thread at expiry; 0 = none
    void (*on_expiry)() noexcept = nullptr;  ///< run in the watchdog thread before each signal; may be null
  };

  /// The process's watchdog.
  static CallWatchdog& instance();

  /// Starts the budget of a call running in the calling thread. `budget` must be positive.
  void arm(std::chrono::milliseconds budget, const Interrupt& how);
  /// Ends it; true if the deadline passed before (the handler was or is being interrupted).
  bool disarm() noexcept;
  /// A call is running and is past its deadline (async-signal-safe: two atomic loads).
  bool interrupting() const noexcept {
    return active_.load(std::memory_order_relaxed) && expired_.load(std::memory_order_acquire);
  }
  /// The budget of the running (or last) call, for messages.
  std::chrono::milliseconds budget() const noexcept { return budget_; }

  CallWatchdog(const CallWatchdog&) = delete;
  CallWatchdog& operator=(const CallWatchdog&) = delete;

 private:
  CallWatchdog() = default;
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
  Interrupt how_{};
  // Read by signal handlers and interrupt hooks without the mutex:
  std::atomic<bool> active_{false};
  std::atomic<bool> expired_{false};
  std::chrono::milliseconds budget_{};  // written and read by the engine's thread only
};

}  // namespace spoa
