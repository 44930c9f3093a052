// The Python-level handler of the watchdog's signal (see python_watchdog.hpp).
#include "agent/engines/python/python_watchdog.hpp"

#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_gil.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa::python {

namespace {

bool g_installed = false;

/// The Python-level handler of watchdog_signal(): called by CPython as handler(signum, frame).
PyObject* on_watchdog_signal(PyObject*, PyObject* const*, Py_ssize_t) {
  const CallWatchdog& w = CallWatchdog::instance();
  if (w.interrupting()) {
    PyErr_Format(timeout_class(), "the handler ran past its time budget of %lld ms",
                 static_cast<long long>(w.budget().count()));
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

// The handler call running on this thread (0: none), and the thread's id for PyThreadState_SetAsyncExc.
// Both are only touched with the GIL held.
struct AsyncStop {
  unsigned long thread_id = 0;
  std::uint64_t call = 0;
};
thread_local AsyncStop t_stop;

// CallWatchdog::Interrupt::on_expiry for executor threads: runs in the watchdog thread.
void stop_asynchronously(void* context, std::uint64_t call) noexcept {
  GilScope gil;
  const auto* stop = static_cast<const AsyncStop*>(context);
  // Under the GIL the target cannot be between calls unnoticed: it sets and clears `call` holding it.
  if (stop->call == call) PyThreadState_SetAsyncExc(stop->thread_id, timeout_class());
}

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

CallWatchdog& watchdog() {
  if (!g_installed && on_main_thread()) {  // signal.signal() works only there
    install_python_handler();
    g_installed = true;
  }
  return CallWatchdog::instance();
}

void start_budget(std::chrono::milliseconds budget) {
  CallWatchdog& w = watchdog();
  if (on_main_thread()) {
    w.arm(budget, {watchdog_signal(), nullptr, nullptr});
    return;
  }
  t_stop.thread_id = PyThreadState_Get()->thread_id;
  t_stop.call = w.arm(budget, {0, &stop_asynchronously, &t_stop});
}

bool end_budget() noexcept {
  const bool expired = CallWatchdog::instance().disarm();
  if (t_stop.call != 0) {
    t_stop.call = 0;
    // Set too late to be seen by the handler: it must not hit whatever this thread runs next.
    if (expired) PyThreadState_SetAsyncExc(t_stop.thread_id, nullptr);
  }
  return expired;
}

}  // namespace spoa::python
