#include "agent/engines/python/python_state_api.hpp"

#include <cmath>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>

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

PyObject* state_get(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  constexpr const char* fn = "state_get";
  return guarded(fn, [&]() -> PyObject* {
    Ref keep;
    std::string_view key;
    if (!check_arity(fn, nargs, 1, 1) || !bytes_of(args[0], keep, key, fn, "key")) return nullptr;
    SharedStore* store = store_of(fn);
    if (store == nullptr) return nullptr;
    const std::optional<StateValue> value = without_gil([store, k = std::string(key)] { return store->get(k); });
    if (!value) Py_RETURN_NONE;
    return to_python(*value);
  });
}

PyObject* state_set(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  constexpr const char* fn = "state_set";
  return guarded(fn, [&]() -> PyObject* {
    Ref keep_key, keep_value;
    std::string_view key;
    std::chrono::milliseconds ttl{0};
    if (!check_arity(fn, nargs, 2, 3) || !bytes_of(args[0], keep_key, key, fn, "key")) return nullptr;
    if (!ttl_of(nargs > 2 ? args[2] : nullptr, fn, ttl)) return nullptr;
    PyObject* object = args[1];
    StateValue value;
    if (PyLong_Check(object) && !PyBool_Check(object)) {
      std::int64_t integer = 0;
      if (!int64_of(object, fn, "value", integer)) return nullptr;
      value = StateValue::of_integer(integer);
    } else if (PyUnicode_Check(object) || PyBytes_Check(object) || PyByteArray_Check(object)) {
      std::string_view bytes;
      if (!bytes_of(object, keep_value, bytes, fn, "value")) return nullptr;
      value = PyUnicode_Check(object) ? StateValue::of_text(bytes) : StateValue::of_bytes(bytes);
    } else {
      PyErr_Format(PyExc_TypeError, "%s(): value must be int, str or bytes, not %.200s", fn, Py_TYPE(object)->tp_name);
      return nullptr;
    }
    SharedStore* store = store_of(fn);
    if (store == nullptr) return nullptr;
    without_gil([&, k = std::string(key)] { store->set(k, value, ttl); });
    Py_RETURN_NONE;
  });
}

PyObject* state_incr(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  constexpr const char* fn = "state_incr";
  return guarded(fn, [&]() -> PyObject* {
    Ref keep;
    std::string_view key;
    std::int64_t delta = 1;
    std::chrono::milliseconds ttl{0};
    if (!check_arity(fn, nargs, 1, 3) || !bytes_of(args[0], keep, key, fn, "key")) return nullptr;
    if (nargs > 1 && !int64_of(args[1], fn, "delta", delta)) return nullptr;
    if (!ttl_of(nargs > 2 ? args[2] : nullptr, fn, ttl)) return nullptr;
    SharedStore* store = store_of(fn);
    if (store == nullptr) return nullptr;
    const std::int64_t result = without_gil([&, k = std::string(key)] { return store->incr(k, delta, ttl); });
    return PyLong_FromLongLong(static_cast<long long>(result));
  });
}

PyObject* state_del(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  constexpr const char* fn = "state_del";
  return guarded(fn, [&]() -> PyObject* {
    Ref keep;
    std::string_view key;
    if (!check_arity(fn, nargs, 1, 1) || !bytes_of(args[0], keep, key, fn, "key")) return nullptr;
    SharedStore* store = store_of(fn);
    if (store == nullptr) return nullptr;
    const bool existed = without_gil([store, k = std::string(key)] { return store->del(k); });
    return PyBool_FromLong(existed ? 1 : 0);
  });
}


PyMethodDef g_state_methods[] = {
    {"state_get", fast(&state_get), METH_FASTCALL,
     "state_get(key): the value stored under key (int, str or bytes), or None (extension)"},
    {"state_set", fast(&state_set), METH_FASTCALL,
     "state_set(key, value, ttl=None): store an int, str or bytes, expiring after ttl seconds (extension)"},
    {"state_incr", fast(&state_incr), METH_FASTCALL,
     "state_incr(key, delta=1, ttl=None): add delta atomically and return the new int (extension)"},
    {"state_del", fast(&state_del), METH_FASTCALL, "state_del(key): delete; True if it existed (extension)"},
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
