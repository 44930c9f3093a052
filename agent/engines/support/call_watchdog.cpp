// The watchdog thread (see call_watchdog.hpp).
#include "agent/engines/support/call_watchdog.hpp"

#include <algorithm>
#include <csignal>
#include <new>
#include <thread>

namespace spoa {

namespace {

// Never deleted: the detached thread may still run during static destruction at exit.
CallWatchdog* g_watchdog = nullptr;

}  // namespace

CallWatchdog& CallWatchdog::instance() {
  if (g_watchdog == nullptr) {
    g_watchdog = new CallWatchdog;
    pthread_atfork(&CallWatchdog::before_fork, &CallWatchdog::after_fork_in_parent,
                   &CallWatchdog::after_fork_in_child);
  }
  return *g_watchdog;
}

void CallWatchdog::arm(std::chrono::milliseconds budget, const Interrupt& how) {
  budget_ = budget;
  // A mask inherited from a parent that blocks signals (e.g. around fork) must not silence the watchdog.
  // Once per thread and signal: the system call costs more than the rest of arm() and disarm() together.
  thread_local int unblocked_signal = 0;
  if (how.signal != 0 && how.signal != unblocked_signal) {
    sigset_t own;
    sigemptyset(&own);
    sigaddset(&own, how.signal);
    pthread_sigmask(SIG_UNBLOCK, &own, nullptr);
    unblocked_signal = how.signal;
  }
  const auto now = std::chrono::steady_clock::now();
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!thread_running_) start_thread();
    armed_ = true;
    deadline_ = now + budget;
    // Re-send often enough to catch a signal lost just before a blocking syscall, rarely enough to let a
    // handler's clean-up run.
    refire_ = std::clamp(budget, std::chrono::milliseconds(10), std::chrono::milliseconds(100));
    target_ = pthread_self();
    how_ = how;
    expired_.store(false, std::memory_order_relaxed);
    active_.store(true, std::memory_order_relaxed);
    // Only wake the thread if it would otherwise sleep past this deadline (idle, or waiting for a later
    // deadline of an engine with a longer budget); in steady state no notification is needed.
    wake = deadline_ < sleeping_until_;
  }
  if (wake) wake_.notify_one();
}

bool CallWatchdog::disarm() noexcept {
  std::lock_guard lock(mutex_);
  armed_ = false;
  active_.store(false, std::memory_order_relaxed);
  return expired_.load(std::memory_order_relaxed);
}

void CallWatchdog::start_thread() {
  // The thread must never receive the agent's process-directed signals (SIGTERM, SIGCHLD...): start it with
  // every signal blocked (a new thread inherits the creator's mask).
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  try {
    std::thread([this] { run(); }).detach();
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  thread_running_ = true;
}

void CallWatchdog::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!armed_) {
      sleeping_until_ = std::chrono::steady_clock::time_point::max();
      wake_.wait(lock);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now < deadline_) {
      sleeping_until_ = deadline_;
      wake_.wait_until(lock, deadline_);
      continue;
    }
    expired_.store(true, std::memory_order_release);
    if (how_.on_expiry != nullptr) how_.on_expiry();
    if (how_.signal != 0) pthread_kill(target_, how_.signal);
    deadline_ = now + refire_;
  }
}

// fork(): the child has no watchdog thread, and the mutex/condition variable may be in a state that only
// the vanished thread could undo. Hold the mutex across fork() and give the child fresh, idle state; its
// next arm() starts a new thread.
void CallWatchdog::before_fork() noexcept { g_watchdog->mutex_.lock(); }

void CallWatchdog::after_fork_in_parent() noexcept { g_watchdog->mutex_.unlock(); }

void CallWatchdog::after_fork_in_child() noexcept {
  CallWatchdog& w = *g_watchdog;
  new (&w.wake_) std::condition_variable;  // the old one may count the parent's waiting thread
  w.thread_running_ = false;
  w.armed_ = false;
  w.sleeping_until_ = std::chrono::steady_clock::time_point::max();
  w.active_.store(false, std::memory_order_relaxed);
  w.expired_.store(false, std::memory_order_relaxed);
  w.mutex_.unlock();
}

}  // namespace spoa
