// The per-call time budget shared by the engines: a watchdog thread that interrupts a handler running
// past its deadline, with one deadline per thread that runs handlers (the worker's executor threads run
// calls side by side, each under its own budget).
//
// The engine arms the watchdog before a handler call and disarms it afterwards, on the thread running
// the handler. When that call's deadline passes, the watchdog thread (which never touches the script
// runtime's data, only atomics) runs the engine's `on_expiry` hook (PHP: the "VM interrupt" flag; Python
// on an executor thread: an asynchronous exception for that thread) and sends the engine's real-time
// signal to the thread running the handler, so that a blocking system call (sleep, select, socket reads)
// returns EINTR. The signal is sent again every `refire` interval (10-100 ms, from the budget) until the
// call returns, which covers a signal that landed just before a blocking call and handlers that defeat
// one interruption. What the signal does is the engine's business (Lua: installs a stopping hook;
// Python's main thread: a Python-level handler raises; PHP: nothing, the EINTR is enough).
//
// One watchdog per process, one thread, started at the first arm() (so a process that forks after
// loading scripts gets its own thread in each child). Calls do not nest within a thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include <pthread.h>

namespace spoa {

class CallWatchdog {
 public:
  /// How to interrupt the armed call.
  struct Interrupt {
    int signal = 0;  ///< sent to the calling thread at expiry; 0 = none
    /// Run in the watchdog thread (without its lock) before each signal, with `context` and the
    /// sequence number arm() returned for the call (to tell a late expiry from the current call).
    void (*on_expiry)(void* context, std::uint64_t call) noexcept = nullptr;
    void* context = nullptr;
  };

  /// The process's watchdog.
  static CallWatchdog& instance();

  /// Starts the budget of a call running in the calling thread. `budget` must be positive. Returns the
  /// call's sequence number (never 0), which on_expiry receives.
  std::uint64_t arm(std::chrono::milliseconds budget, const Interrupt& how);
  /// Ends the calling thread's call; true if its deadline passed (it was or is being interrupted).
  bool disarm() noexcept;
  /// The calling thread runs a call that is past its deadline (async-signal-safe: a thread-local
  /// pointer and two atomic loads).
  bool interrupting() const noexcept;
  /// The budget of the calling thread's running (or last) call, for messages.
  std::chrono::milliseconds budget() const noexcept;

  CallWatchdog(const CallWatchdog&) = delete;
  CallWatchdog& operator=(const CallWatchdog&) = delete;

 private:
  /// One thread's deadline. Slots are never freed (a thread keeps its slot for its life; a pool of
  /// threads reuses them), so the signal path can hold a plain pointer.
  struct Slot {
    // Guarded by mutex_:
    bool armed = false;
    bool in_use = true;  // false once its thread ended: a new thread may take it
    std::chrono::steady_clock::time_point deadline{};
    std::chrono::milliseconds refire{};
    pthread_t target{};
    Interrupt how{};
    std::uint64_t call = 0;
    // Read by signal handlers and interrupt hooks without the mutex:
    std::atomic<bool> active{false};
    std::atomic<bool> expired{false};
    std::chrono::milliseconds budget{};  // written and read by the slot's thread only
  };

  CallWatchdog() = default;
  Slot& own_slot();     // the calling thread's, taken on first use
  void start_thread();  // with mutex_ held
  void run();
  static void release_slot(Slot* slot) noexcept;
  static void before_fork() noexcept;
  static void after_fork_in_parent() noexcept;
  static void after_fork_in_child() noexcept;

  std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_:
  bool thread_running_ = false;
  std::deque<Slot> slots_;  // a deque: growing it never moves a slot
  std::chrono::steady_clock::time_point sleeping_until_ = std::chrono::steady_clock::time_point::max();
  std::uint64_t next_call_ = 1;
};

}  // namespace spoa
