// GilScope and release_gil() (see python_gil.hpp).
#include "agent/engines/python/python_gil.hpp"

#include <pthread.h>

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_runtime.hpp"

namespace spoa::python {

namespace {

// This thread's state while it does not hold the GIL (null: it has none yet, or it holds the GIL).
thread_local PyThreadState* t_saved = nullptr;

}  // namespace

GilScope::GilScope() noexcept : acquired_(PyGILState_Check() == 0) {
  if (!acquired_) return;
  if (t_saved != nullptr) {
    PyThreadState* state = t_saved;
    t_saved = nullptr;
    PyEval_RestoreThread(state);
  } else {
    PyGILState_Ensure();  // the thread's first time: creates and binds its own thread state
  }
}

GilScope::~GilScope() {
  if (acquired_) t_saved = PyEval_SaveThread();
}

void release_gil() noexcept {
  if (Py_IsInitialized() && PyGILState_Check() != 0) t_saved = PyEval_SaveThread();
}

bool on_main_thread() noexcept { return pthread_equal(pthread_self(), interpreter_thread()) != 0; }

}  // namespace spoa::python
