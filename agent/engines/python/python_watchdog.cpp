// The Python-level handler of the watchdog's signal (see python_watchdog.hpp).
#include "agent/engines/python/python_watchdog.hpp"

#include <csignal>
#include <stdexcept>
#include <string>

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_errors.hpp"
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
  if (!g_installed) {
    install_python_handler();
    g_installed = true;
  }
  return CallWatchdog::instance();
}

CallWatchdog::Interrupt watchdog_interrupt() noexcept { return {watchdog_signal(), nullptr}; }

}  // namespace spoa::python
