// The watchdog thread (see call_watchdog.hpp).
#include "agent/engines/support/call_watchdog.hpp"

#include <algorithm>
#include <csignal>
#include <new>
#include <thread>
#include <vector>

namespace spoa {

namespace {

// Never deleted: the detached thread may still run during static destruction at exit.
CallWatchdog* g_watchdog = nullptr;

// The calling thread's slot, read by signal handlers: a trivially destructible thread_local (no lazy
// initialisation on access). The holder beside it gives the slot back when the thread ends.
thread_local void* t_slot = nullptr;

struct SlotHolder {
  void (*release)(void*) noexcept = nullptr;
  ~SlotHolder() {
    if (t_slot != nullptr && release != nullptr) release(t_slot);
  }
};
thread_local SlotHolder t_slot_holder;

}  // namespace

CallWatchdog& CallWatchdog::instance() {
  // A function-local static: executor threads may make the first call at the same time.
  static CallWatchdog* const watchdog = [] {
    g_watchdog = new CallWatchdog;
    pthread_atfork(&CallWatchdog::before_fork, &CallWatchdog::after_fork_in_parent,
                   &CallWatchdog::after_fork_in_child);
    return g_watchdog;
  }();
  return *watchdog;
}

CallWatchdog::Slot& CallWatchdog::own_slot() {
  if (t_slot != nullptr) return *static_cast<Slot*>(t_slot);
  Slot* slot = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (auto& s : slots_) {
      if (!s.in_use) {
        slot = &s;
        break;
      }
    }
    if (slot == nullptr) slot = &slots_.emplace_back();
    slot->in_use = true;
    slot->armed = false;
  }
  t_slot = slot;
  t_slot_holder.release = [](void* s) noexcept { release_slot(static_cast<Slot*>(s)); };
  return *slot;
}

void CallWatchdog::release_slot(Slot* slot) noexcept {
  if (g_watchdog == nullptr) return;
  std::lock_guard lock(g_watchdog->mutex_);
  slot->armed = false;
  slot->active.store(false, std::memory_order_relaxed);
  slot->in_use = false;
}

bool CallWatchdog::interrupting() const noexcept {
  const auto* slot = static_cast<const Slot*>(t_slot);
  return slot != nullptr && slot->active.load(std::memory_order_relaxed) &&
         slot->expired.load(std::memory_order_acquire);
}

std::chrono::milliseconds CallWatchdog::budget() const noexcept {
  const auto* slot = static_cast<const Slot*>(t_slot);
  return slot != nullptr ? slot->budget : std::chrono::milliseconds{0};
}

std::uint64_t CallWatchdog::arm(std::chrono::milliseconds budget, const Interrupt& how) {
  Slot& slot = own_slot();
  slot.budget = budget;
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
  std::uint64_t call = 0;
  {
    std::lock_guard lock(mutex_);
    if (!thread_running_) start_thread();
    call = next_call_++;
    slot.armed = true;
    slot.call = call;
    slot.deadline = now + budget;
    // Re-send often enough to catch a signal lost just before a blocking syscall, rarely enough to let a
    // handler's clean-up run.
    slot.refire = std::clamp(budget, std::chrono::milliseconds(10), std::chrono::milliseconds(100));
    slot.target = pthread_self();
    slot.how = how;
    slot.expired.store(false, std::memory_order_relaxed);
    slot.active.store(true, std::memory_order_relaxed);
    // Only wake the thread if it would otherwise sleep past this deadline (idle, or waiting for a later
    // deadline); in steady state no notification is needed.
    wake = slot.deadline < sleeping_until_;
  }
  if (wake) wake_.notify_one();
  return call;
}

bool CallWatchdog::disarm() noexcept {
  auto* slot = static_cast<Slot*>(t_slot);
  if (slot == nullptr) return false;
  std::lock_guard lock(mutex_);
  slot->armed = false;
  slot->active.store(false, std::memory_order_relaxed);
  return slot->expired.load(std::memory_order_relaxed);
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
  struct Due {
    Interrupt how;
    std::uint64_t call;
    pthread_t target;
  };
  std::vector<Due> due;  // filled under the lock, acted on without it (on_expiry may wait, e.g. for a GIL)
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    auto next = std::chrono::steady_clock::time_point::max();
    due.clear();
    for (auto& slot : slots_) {
      if (!slot.armed) continue;
      if (now < slot.deadline) {
        next = std::min(next, slot.deadline);
        continue;
      }
      slot.expired.store(true, std::memory_order_release);
      due.push_back({slot.how, slot.call, slot.target});
      slot.deadline = now + slot.refire;
      next = std::min(next, slot.deadline);
    }
    if (!due.empty()) {
      lock.unlock();
      for (const Due& d : due) {
        if (d.how.on_expiry != nullptr) d.how.on_expiry(d.how.context, d.call);
      }
      lock.lock();
      // A signal only for a call still running: the thread may have disarmed and moved on meanwhile.
      for (const Due& d : due) {
        if (d.how.signal == 0) continue;
        for (auto& slot : slots_) {
          if (slot.armed && slot.call == d.call) pthread_kill(d.target, d.how.signal);
        }
      }
      continue;
    }
    sleeping_until_ = next;
    if (next == std::chrono::steady_clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
    sleeping_until_ = std::chrono::steady_clock::time_point::max();
  }
}

// fork(): the child has no watchdog thread, and the mutex/condition variable may be in a state that only
// the vanished thread could undo. Hold the mutex across fork() and give the child fresh, idle state; its
// next arm() starts a new thread. Only the forking thread exists in the child: every slot is free.
void CallWatchdog::before_fork() noexcept { g_watchdog->mutex_.lock(); }

void CallWatchdog::after_fork_in_parent() noexcept { g_watchdog->mutex_.unlock(); }

void CallWatchdog::after_fork_in_child() noexcept {
  CallWatchdog& w = *g_watchdog;
  new (&w.wake_) std::condition_variable;  // the old one may count the parent's waiting thread
  w.thread_running_ = false;
  w.sleeping_until_ = std::chrono::steady_clock::time_point::max();
  for (auto& slot : w.slots_) {
    slot.armed = false;
    slot.in_use = &slot == t_slot;  // the forking thread keeps its own
    slot.active.store(false, std::memory_order_relaxed);
    slot.expired.store(false, std::memory_order_relaxed);
  }
  w.mutex_.unlock();
}

}  // namespace spoa
