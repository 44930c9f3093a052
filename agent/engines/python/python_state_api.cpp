#include "agent/engines/python/python_state_api.hpp"

#include <cmath>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "agent/engines/python/python_blocking_pool.hpp"
#include "agent/engines/python/python_gil.hpp"
#include "agent/engines/python/python_loop.hpp"
#include "agent/engines/python/python_values.hpp"
#include "agent/engines/python/spoa_module.hpp"
#include "agent/engines/shared_store.hpp"

namespace spoa::python {

namespace {

PyObject* g_state_error = nullptr;

/// Runs a store call without the GIL, so that the script's other threads run while it waits for Redis (or
/// for the embedded store's lock). The call sees only C++ values: arguments are converted before (a key
/// or value from a bytearray is copied, since another thread could resize it) and results after. A
/// StateError thrown by the call takes the GIL back on its way out, before guarded() turns it into a
/// Python exception.
template <typename Call>
auto without_gil(Call&& call) {
  struct Released {
    PyThreadState* saved = PyEval_SaveThread();
    ~Released() { PyEval_RestoreThread(saved); }
    Released() = default;
    Released(const Released&) = delete;
    Released& operator=(const Released&) = delete;
  } released;
  return call();
}

/// Runs `body`; a StateError becomes spoa.state_error("<fn>(): <text>"), other C++ exceptions the usual
/// Python equivalents (none may unwind through CPython).
template <typename Body>
PyObject* guarded(const char* fn, Body&& body) noexcept {
  try {
    return body();
  } catch (const StateError& e) {
    PyErr_Format(g_state_error, "%s(): %s", fn, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_Format(g_state_error, "%s(): %s", fn, e.what());
  } catch (...) {
    PyErr_Format(g_state_error, "%s(): unexpected C++ exception", fn);
  }
  return nullptr;
}

bool check_arity(const char* fn, Py_ssize_t given, Py_ssize_t low, Py_ssize_t high) {
  if (given >= low && given <= high) return true;
  if (low == high) {
    PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd argument%s (%zd given)", fn, low, low == 1 ? "" : "s", given);
  } else {
    PyErr_Format(PyExc_TypeError, "%s() takes from %zd to %zd arguments (%zd given)", fn, low, high, given);
  }
  return false;
}

SharedStore* store_of(const char* fn) {
  const Session s = active_session();
  SharedStore* store = s.options != nullptr ? s.options->state.get() : nullptr;
  if (store == nullptr) PyErr_Format(g_state_error, "%s(): no shared store is configured", fn);
  return store;
}

/// A TTL argument: None = no expiry; int or float seconds >= 0.
bool ttl_of(PyObject* object, const char* fn, std::chrono::milliseconds& out) {
  out = std::chrono::milliseconds{0};
  if (object == nullptr || object == Py_None) return true;
  if (PyBool_Check(object) || (!PyLong_Check(object) && !PyFloat_Check(object))) {
    PyErr_Format(PyExc_TypeError, "%s(): ttl must be a number of seconds (int or float) or None, not %.200s", fn,
                 Py_TYPE(object)->tp_name);
    return false;
  }
  const double seconds = PyFloat_AsDouble(object);
  if (seconds == -1.0 && PyErr_Occurred()) return false;
  const auto ttl = state_ttl_from_seconds(seconds);
  if (!ttl) {
    PyErr_Format(PyExc_ValueError, "%s(): ttl must be 0..%d seconds (0 or None = no expiry), not %R", fn,
                 static_cast<int>(state_limits::max_ttl.count() / 1000), object);
    return false;
  }
  out = *ttl;
  return true;
}

/// An int that is not a bool, in int64.
bool int64_of(PyObject* object, const char* fn, const char* what, std::int64_t& out) {
  if (PyBool_Check(object) || !PyLong_Check(object)) {
    PyErr_Format(PyExc_TypeError, "%s(): %s must be an int, not %.200s", fn, what, Py_TYPE(object)->tp_name);
    return false;
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(object, &overflow);
  if (v == -1 && PyErr_Occurred()) return false;
  if (overflow != 0) {
    PyErr_Format(PyExc_OverflowError, "%s(): %s %R is out of range for int64", fn, what, object);
    return false;
  }
  out = static_cast<std::int64_t>(v);
  return true;
}

PyObject* to_python(const StateValue& v) {
  switch (v.kind) {
    case StateValue::Kind::integer:
      return PyLong_FromLongLong(static_cast<long long>(v.integer));
    case StateValue::Kind::text:
      return decode_surrogateescape(v.data);
    case StateValue::Kind::bytes:
      return PyBytes_FromStringAndSize(v.data.data(), static_cast<Py_ssize_t>(v.data.size()));
  }
  Py_RETURN_NONE;
}

// ---- one call, parsed once, run now or on the blocking pool -----------------------------------------

/// A state function's arguments, copied out of the Python objects (a pool thread runs it without the GIL).
struct StateRequest {
  StateOp op = StateOp::get;
  std::string key;
  StateValue value;
  std::int64_t delta = 1;
  std::chrono::milliseconds ttl{0};
};

/// What the store answered.
struct StateOutcome {
  std::optional<StateValue> value;  // get
  std::int64_t number = 0;          // incr
  bool existed = false;             // del
};

bool parse_key(PyObject* object, const char* fn, StateRequest& out) {
  Ref keep;
  std::string_view key;
  if (!bytes_of(object, keep, key, fn, "key")) return false;
  out.key.assign(key);
  return true;
}

/// Parses the arguments of `fn` (state_get .. state_del, or their _async forms) into `out`.
bool parse_request(StateOp op, const char* fn, PyObject* const* args, Py_ssize_t nargs, StateRequest& out) {
  out.op = op;
  switch (op) {
    case StateOp::get:
    case StateOp::del:
      return check_arity(fn, nargs, 1, 1) && parse_key(args[0], fn, out);
    case StateOp::set: {
      if (!check_arity(fn, nargs, 2, 3) || !parse_key(args[0], fn, out)) return false;
      if (!ttl_of(nargs > 2 ? args[2] : nullptr, fn, out.ttl)) return false;
      PyObject* object = args[1];
      if (PyLong_Check(object) && !PyBool_Check(object)) {
        std::int64_t integer = 0;
        if (!int64_of(object, fn, "value", integer)) return false;
        out.value = StateValue::of_integer(integer);
        return true;
      }
      if (PyUnicode_Check(object) || PyBytes_Check(object) || PyByteArray_Check(object)) {
        Ref keep;
        std::string_view bytes;
        if (!bytes_of(object, keep, bytes, fn, "value")) return false;
        out.value = PyUnicode_Check(object) ? StateValue::of_text(bytes) : StateValue::of_bytes(bytes);
        return true;
      }
      PyErr_Format(PyExc_TypeError, "%s(): value must be int, str or bytes, not %.200s", fn, Py_TYPE(object)->tp_name);
      return false;
    }
    case StateOp::incr:
      return check_arity(fn, nargs, 1, 3) && parse_key(args[0], fn, out) &&
             (nargs < 2 || int64_of(args[1], fn, "delta", out.delta)) && ttl_of(nargs > 2 ? args[2] : nullptr, fn, out.ttl);
    default:
      PyErr_Format(PyExc_SystemError, "%s(): unknown operation", fn);
      return false;
  }
}

/// Runs the request (no Python: a pool thread calls it without the GIL). Throws StateError.
StateOutcome run_request(SharedStore& store, const StateRequest& r) {
  StateOutcome out;
  switch (r.op) {
    case StateOp::get: out.value = store.get(r.key); break;
    case StateOp::set: store.set(r.key, r.value, r.ttl); break;
    case StateOp::incr: out.number = store.incr(r.key, r.delta, r.ttl); break;
    case StateOp::del: out.existed = store.del(r.key); break;
    default: break;
  }
  return out;
}

PyObject* outcome_to_python(StateOp op, const StateOutcome& o) {
  switch (op) {
    case StateOp::get:
      if (!o.value) Py_RETURN_NONE;
      return to_python(*o.value);
    case StateOp::incr: return PyLong_FromLongLong(static_cast<long long>(o.number));
    case StateOp::del: return PyBool_FromLong(o.existed ? 1 : 0);
    default: Py_RETURN_NONE;
  }
}

template <StateOp Op>
constexpr const char* sync_name() {
  return Op == StateOp::get ? "state_get" : Op == StateOp::set ? "state_set" : Op == StateOp::incr ? "state_incr" : "state_del";
}
template <StateOp Op>
constexpr const char* async_name() {
  return Op == StateOp::get    ? "state_get_async"
         : Op == StateOp::set  ? "state_set_async"
         : Op == StateOp::incr ? "state_incr_async"
                               : "state_del_async";
}

/// Once per process: a blocking state call made on the event loop holds up every coroutine.
void warn_if_on_loop(const SharedStore& store, const char* fn) {
  static bool warned = false;
  if (warned || !store.blocks() || !AsyncLoop::instance().on_loop_thread()) return;
  warned = true;
  const Session s = active_session();
  if (s.options != nullptr && s.options->log) {
    s.options->log(LogLevel::warning, std::string("spoa.") + fn + "() blocks the event loop while " + store.describe() +
                                          " answers: in async def handlers, use await spoa." + fn + "_async()");
  }
}

template <StateOp Op>
PyObject* state_sync(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  constexpr const char* fn = sync_name<Op>();
  return guarded(fn, [&]() -> PyObject* {
    StateRequest request;
    if (!parse_request(Op, fn, args, nargs, request)) return nullptr;
    SharedStore* store = store_of(fn);
    if (store == nullptr) return nullptr;
    warn_if_on_loop(*store, fn);
    const StateOutcome outcome = without_gil([&] { return run_request(*store, request); });
    return outcome_to_python(Op, outcome);
  });
}

// ---- the awaitable forms -------------------------------------------------------------------------

/// A request on its way through the blocking pool and back to the loop.
struct StateJob {
  StateRequest request;
  std::shared_ptr<SharedStore> store;
  const char* fn = nullptr;
  PyObject* future = nullptr;  // strong; only touched on the loop's thread
  StateOutcome outcome;
  std::string error;  // "" = success
  bool state_error = true;
};

/// Completes `future` with the outcome, unless it was cancelled meanwhile (loop thread, GIL held).
void complete_future(PyObject* future, StateOp op, const StateOutcome& outcome, const std::string& error,
                     bool state_error, const char* fn) {
  Ref done(PyObject_CallMethod(future, "done", nullptr));
  if (!done || PyObject_IsTrue(done.get()) != 0) {
    PyErr_Clear();
    return;  // cancelled: its coroutine is gone
  }
  Ref result;
  if (error.empty()) {
    Ref value(outcome_to_python(op, outcome));
    result = value ? Ref(PyObject_CallMethod(future, "set_result", "O", value.get())) : Ref();
  } else {
    Ref exc(PyObject_CallFunction(state_error ? g_state_error : PyExc_RuntimeError, "s",
                                  (std::string(fn) + "(): " + error).c_str()));
    result = exc ? Ref(PyObject_CallMethod(future, "set_exception", "O", exc.get())) : Ref();
  }
  if (!result) PyErr_Clear();
}

void deliver_job(void* context) noexcept {
  std::unique_ptr<StateJob> job(static_cast<StateJob*>(context));
  complete_future(job->future, job->request.op, job->outcome, job->error, job->state_error, job->fn);
  Py_DECREF(job->future);
}

void run_job(StateJob* job) noexcept {
  try {
    job->outcome = run_request(*job->store, job->request);
  } catch (const StateError& e) {
    job->error = e.what();
  } catch (const std::exception& e) {
    job->error = e.what();
    job->state_error = false;
  }
  if (AsyncLoop::instance().post(&deliver_job, job)) return;
  // The loop has stopped (the process exits): drop the future under the GIL.
  GilScope gil;
  Py_DECREF(job->future);
  delete job;
}

template <StateOp Op>
PyObject* state_async(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  constexpr const char* fn = async_name<Op>();
  return guarded(fn, [&]() -> PyObject* {
    auto job = std::make_unique<StateJob>();
    job->fn = fn;
    if (!parse_request(Op, fn, args, nargs, job->request)) return nullptr;
    AsyncLoop& loop = AsyncLoop::instance();
    if (!loop.on_loop_thread()) {
      PyErr_Format(error_class(), "%s() must be awaited in a coroutine on the agent's event loop", fn);
      return nullptr;
    }
    const Session s = active_session();
    job->store = s.options != nullptr ? s.options->state : nullptr;
    if (!job->store) {
      PyErr_Format(g_state_error, "%s(): no shared store is configured", fn);
      return nullptr;
    }
    Ref future(loop.create_future());
    if (!future) return nullptr;
    if (!job->store->blocks()) {  // the embedded store answers at once: no thread hop
      try {
        job->outcome = run_request(*job->store, job->request);
      } catch (const StateError& e) {
        job->error = e.what();
      }
      complete_future(future.get(), Op, job->outcome, job->error, true, fn);
      return future.release();
    }
    job->future = Py_NewRef(future.get());
    StateJob* raw = job.release();
    try {
      BlockingPool::instance().submit([raw] { run_job(raw); });
    } catch (...) {
      Py_DECREF(raw->future);
      delete raw;
      throw;
    }
    return future.release();
  });
}

PyMethodDef g_state_methods[] = {
    {"state_get", fast(&state_sync<StateOp::get>), METH_FASTCALL,
     "state_get(key): the value stored under key (int, str or bytes), or None (extension)"},
    {"state_set", fast(&state_sync<StateOp::set>), METH_FASTCALL,
     "state_set(key, value, ttl=None): store an int, str or bytes, expiring after ttl seconds (extension)"},
    {"state_incr", fast(&state_sync<StateOp::incr>), METH_FASTCALL,
     "state_incr(key, delta=1, ttl=None): add delta atomically and return the new int (extension)"},
    {"state_del", fast(&state_sync<StateOp::del>), METH_FASTCALL, "state_del(key): delete; True if it existed (extension)"},
    {"state_get_async", fast(&state_async<StateOp::get>), METH_FASTCALL,
     "await state_get_async(key): state_get() without blocking the event loop (extension)"},
    {"state_set_async", fast(&state_async<StateOp::set>), METH_FASTCALL,
     "await state_set_async(key, value, ttl=None): state_set() without blocking the event loop (extension)"},
    {"state_incr_async", fast(&state_async<StateOp::incr>), METH_FASTCALL,
     "await state_incr_async(key, delta=1, ttl=None): state_incr() without blocking the event loop (extension)"},
    {"state_del_async", fast(&state_async<StateOp::del>), METH_FASTCALL,
     "await state_del_async(key): state_del() without blocking the event loop (extension)"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

PyObject* state_error_class() noexcept { return g_state_error; }

bool add_state_api(PyObject* module) {
  if (g_state_error == nullptr) {
    g_state_error = PyErr_NewExceptionWithDoc(
        "spoa.state_error",
        "Raised by spoa.state_* when the shared store refuses a call (key or value too long, not an integer, "
        "overflow, store full) or cannot serve it (Redis unreachable or too slow).",
        error_class(), nullptr);
    if (g_state_error == nullptr) return false;
  }
  if (PyModule_AddObjectRef(module, "state_error", g_state_error) != 0) return false;
  return PyModule_AddFunctions(module, g_state_methods) == 0;
}

}  // namespace spoa::python
