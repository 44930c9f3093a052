// The watchdog thread and the signal's Python-level handler (see python_watchdog.hpp).
#include "agent/engines/python/python_watchdog.hpp"

#include <algorithm>
#include <csignal>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa::python {

namespace {

// Never deleted: the detached thread may still run during static destruction at exit.
Watchdog* g_watchdog = nullptr;

/// The Python-level handler of watchdog_signal(): called by CPython as handler(signum, frame).
PyObject* on_watchdog_signal(PyObject*, PyObject* const*, Py_ssize_t) {
  if (g_watchdog != nullptr && g_watchdog->interrupting()) {
    PyErr_Format(timeout_class(), "the handler ran past its time budget of %lld ms",
                 static_cast<long long>(g_watchdog->budget().count()));
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyMethodDef g_handler_def = {
    "_spoa_watchdog",
    reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&on_watchdog_signal)),  // see spoa_module.cpp
    METH_FASTCALL,
    "Raises spoa.TimeBudgetExceeded in a handler that ran past its time budget.",
};

void install_python_handler() {
  Ref handler(PyCFunction_New(&g_handler_def, nullptr));
  Ref signal_module = handler ? Ref(PyImport_ImportModule("signal")) : Ref();
  Ref previous = signal_module ? Ref(PyObject_CallMethod(signal_module.get(), "signal", "iO", watchdog_signal(),
                                                         handler.get()))
                               : Ref();
  if (!previous) {
    throw std::runtime_error("python engine: cannot install the time-budget signal handler: " + take_error().summary);
  }
}

}  // namespace

int watchdog_signal() noexcept { return SIGRTMIN + 6; }

Watchdog& Watchdog::instance() {
  if (g_watchdog == nullptr) {
    install_python_handler();
    // A mask inherited from a parent that blocks signals (e.g. around fork) must not silence the watchdog.
    sigset_t own;
    sigemptyset(&own);
    sigaddset(&own, watchdog_signal());
    pthread_sigmask(SIG_UNBLOCK, &own, nullptr);
    g_watchdog = new Watchdog;
    pthread_atfork(&Watchdog::before_fork, &Watchdog::after_fork_in_parent, &Watchdog::after_fork_in_child);
  }
  return *g_watchdog;
}

void Watchdog::arm(std::chrono::milliseconds budget) {
  budget_ = budget;
  const auto now = std::chrono::steady_clock::now();
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!thread_running_) start_thread();
    armed_ = true;
    deadline_ = now + budget;
    // Re-send often enough to catch a signal lost just before a blocking syscall, rarely enough to let a
    // handler's `finally` clean-up run.
    refire_ = std::clamp(budget, std::chrono::milliseconds(10), std::chrono::milliseconds(100));
    target_ = pthread_self();
    expired_.store(false, std::memory_order_relaxed);
    active_.store(true, std::memory_order_relaxed);
    // Only wake the thread if it would otherwise sleep past this deadline (idle, or waiting for a later
    // deadline of an engine with a longer budget); in steady state no notification is needed.
    wake = deadline_ < sleeping_until_;
  }
  if (wake) wake_.notify_one();
}

bool Watchdog::disarm() noexcept {
  std::lock_guard lock(mutex_);
  armed_ = false;
  active_.store(false, std::memory_order_relaxed);
  return expired_.load(std::memory_order_relaxed);
}

void Watchdog::start_thread() {
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

void Watchdog::run() {
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
    pthread_kill(target_, watchdog_signal());
    deadline_ = now + refire_;
  }
}

// fork(): the child has no watchdog thread, and the mutex/condition variable may be in a state that only
// the vanished thread could undo. Hold the mutex across fork() and give the child fresh, idle state; its
// next arm() starts a new thread.
void Watchdog::before_fork() noexcept { g_watchdog->mutex_.lock(); }

void Watchdog::after_fork_in_parent() noexcept { g_watchdog->mutex_.unlock(); }

void Watchdog::after_fork_in_child() noexcept {
  Watchdog& w = *g_watchdog;
  new (&w.wake_) std::condition_variable;  // the old one may count the parent's waiting thread
  w.thread_running_ = false;
  w.armed_ = false;
  w.sleeping_until_ = std::chrono::steady_clock::time_point::max();
  w.active_.store(false, std::memory_order_relaxed);
  w.expired_.store(false, std::memory_order_relaxed);
  w.mutex_.unlock();
}

}  // namespace spoa::python
