// The built-in `spoa` module (see spoa_module.hpp and script-api.md).
//
// Every function uses METH_FASTCALL (positional arguments only, as in the original, which parsed them with
// PyArg_ParseTuple): no argument tuple is built per setter call. No C++ exception may cross into CPython,
// so each function body runs inside guarded().
#include "agent/engines/python/spoa_module.hpp"

#include <array>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "agent/engines/python/python_coroutine.hpp"
#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_handlers.hpp"
#include "agent/engines/python/python_state_api.hpp"
#include "agent/engines/python/python_values.hpp"
#include "spop/types.hpp"

namespace spoa::python {

namespace {

// Per thread: executor threads run handlers side by side (each between its own GIL releases).
thread_local Session g_session;
PyObject* g_error = nullptr;
PyObject* g_timeout = nullptr;


/// Runs `body`, turning a C++ exception into a Python one (it must not unwind through CPython's frames).
template <typename Body>
PyObject* guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return nullptr;
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "unexpected C++ exception in the spoa module");
    return nullptr;
  }
}

bool check_arity(const char* function, Py_ssize_t given, Py_ssize_t expected) {
  if (given == expected) return true;
  PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", function, expected, given);
  return false;
}

/// The (name, scope) pair every setter starts with.
struct Variable {
  spop::Scope scope = spop::Scope::txn;
  std::string_view name;
  Ref keep;  // owns the bytes `name` points into when the str had to be re-encoded
};

bool variable_of(PyObject* name, PyObject* scope, Variable& out, const char* function) {
  if (!bytes_of(name, out.keep, out.name, function, "name")) return false;
  if (!PyLong_Check(scope)) {
    PyErr_Format(PyExc_TypeError, "%s(): scope must be an int (spoa.scope_proc .. spoa.scope_res), not %.200s",
                 function, Py_TYPE(scope)->tp_name);
    return false;
  }
  int overflow = 0;
  const long v = PyLong_AsLongAndOverflow(scope, &overflow);
  if (v == -1 && PyErr_Occurred()) return false;
  if (overflow != 0 || v < 0 || v > 4) {
    PyErr_Format(PyExc_ValueError, "%s(): scope must be 0..4 (spoa.scope_proc .. spoa.scope_res), not %R",
                 function, scope);
    return false;
  }
  out.scope = static_cast<spop::Scope>(v);
  return true;
}

std::string variable_label(const Variable& var) {
  return std::string(spop::to_string(var.scope)) + "." + std::string(var.name);
}

void log_warning(const std::string& text) {
  const Session s = active_session();
  if (s.options == nullptr || !s.options->log) return;
  s.options->log(LogLevel::warning, s.call != nullptr ? describe(*s.call) + ": " + text : text);
}

/// Appends SET-VAR (or UNSET-VAR when `value` is null) to the running call's ACK: the plain handler's
/// on this thread, else the coroutine's that this task (or thread) belongs to.
PyObject* append(const char* function, const Variable& var, const spop::Value* value) {
  spop::AckBuilder* actions = g_session.actions;
  if (actions == nullptr) {
    BoundCall bound;
    if (bound_call(bound) && bound.ended) {
      const std::string label = bound.label();
      PyErr_Format(g_error, "%s(): %s has ended (its ACK was sent): variables can no longer be set", function,
                   label.c_str());
      return nullptr;
    }
    actions = bound.actions;
  }
  if (actions == nullptr) {
    PyErr_Format(g_error, "%s() called outside a message handler: variables can only be set while a handler runs",
                 function);
    return nullptr;
  }
  const spop::Errc rc = value != nullptr ? actions->set_var(var.scope, var.name, *value)
                                         : actions->unset_var(var.scope, var.name);
  if (rc == spop::Errc::ok) Py_RETURN_NONE;
  const std::string label = variable_label(var);
  if (rc == spop::Errc::frame_too_big) {
    log_warning("variable " + label + " dropped: ACK full (max-frame-size reached)");
    PyErr_Format(g_error, "%s(): ACK full: variable %s does not fit in the frame (%zu bytes left)", function,
                 label.c_str(), actions->remaining());
    return nullptr;
  }
  const std::string why = spop::make_error_code(rc).message();
  PyErr_Format(g_error, "%s(): cannot set variable %s: %s", function, label.c_str(), why.c_str());
  return nullptr;
}

// ---- setters ------------------------------------------------------------------------------------------

PyObject* set_var_null(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return guarded([&]() -> PyObject* {
    Variable var;
    if (!check_arity("set_var_null", nargs, 2) || !variable_of(args[0], args[1], var, "set_var_null")) return nullptr;
    const spop::Value v = spop::Value::null();
    return append("set_var_null", var, &v);
  });
}

PyObject* set_var_boolean(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return guarded([&]() -> PyObject* {
    Variable var;
    if (!check_arity("set_var_boolean", nargs, 3) || !variable_of(args[0], args[1], var, "set_var_boolean")) {
      return nullptr;
    }
    const int truth = PyObject_IsTrue(args[2]);  // truthiness, as the original's "i" + non-zero test
    if (truth < 0) return nullptr;
    const spop::Value v = spop::Value::boolean(truth != 0);
    return append("set_var_boolean", var, &v);
  });
}

template <spop::DataType Type>
PyObject* set_var_integer(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  static constexpr const char* function = Type == spop::DataType::int32    ? "set_var_int32"
                                          : Type == spop::DataType::uint32 ? "set_var_uint32"
                                          : Type == spop::DataType::int64  ? "set_var_int64"
                                                                           : "set_var_uint64";
  return guarded([&]() -> PyObject* {
    Variable var;
    spop::Value v;
    if (!check_arity(function, nargs, 3) || !variable_of(args[0], args[1], var, function) ||
        !integer_of(args[2], Type, v, function)) {
      return nullptr;
    }
    return append(function, var, &v);
  });
}

template <spop::DataType Type>
PyObject* set_var_address(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  static constexpr const char* function = Type == spop::DataType::ipv4 ? "set_var_ipv4" : "set_var_ipv6";
  return guarded([&]() -> PyObject* {
    Variable var;
    spop::Value v;
    if (!check_arity(function, nargs, 3) || !variable_of(args[0], args[1], var, function) ||
        !address_of(args[2], Type, v, function)) {
      return nullptr;
    }
    return append(function, var, &v);
  });
}

template <spop::DataType Type>
PyObject* set_var_bytes(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  static constexpr const char* function = Type == spop::DataType::string ? "set_var_str" : "set_var_bin";
  return guarded([&]() -> PyObject* {
    Variable var;
    Ref keep;
    std::string_view bytes;
    if (!check_arity(function, nargs, 3) || !variable_of(args[0], args[1], var, function) ||
        !bytes_of(args[2], keep, bytes, function, "value")) {
      return nullptr;
    }
    const spop::Value v = Type == spop::DataType::string ? spop::Value::string(bytes) : spop::Value::binary(bytes);
    return append(function, var, &v);
  });
}

PyObject* unset_var(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return guarded([&]() -> PyObject* {
    Variable var;
    if (!check_arity("unset_var", nargs, 2) || !variable_of(args[0], args[1], var, "unset_var")) return nullptr;
    return append("unset_var", var, nullptr);
  });
}

// ---- registration and logging -------------------------------------------------------------------------

/// The Session of the script being loaded, or null with spoa.error set: `function` only works then.
Session* loading_session(const char* function) {
  Session& s = g_session;
  if (s.handlers != nullptr && s.loading != nullptr) return &s;
  PyErr_Format(g_error, "%s() is only available while a script is being loaded", function);
  return nullptr;
}

PyObject* register_message(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return guarded([&]() -> PyObject* {
    if (!check_arity("register_message", nargs, 2)) return nullptr;
    if (!PyUnicode_Check(args[0])) {
      PyErr_Format(PyExc_TypeError, "register_message(): name must be a str, not %.200s", Py_TYPE(args[0])->tp_name);
      return nullptr;
    }
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(args[0], &size);
    if (utf8 == nullptr) return nullptr;
    const std::string_view name(utf8, static_cast<std::size_t>(size));
    if (name.empty()) {
      PyErr_SetString(PyExc_ValueError, "register_message(): the message name must not be empty");
      return nullptr;
    }
    if (PyCallable_Check(args[1]) == 0) {
      PyErr_Format(PyExc_TypeError, "register_message(): handler for '%U' must be callable, not %.200s", args[0],
                   Py_TYPE(args[1])->tp_name);
      return nullptr;
    }
    Session* s = loading_session("register_message");
    if (s == nullptr) return nullptr;
    const int coroutine = is_coroutine_function(args[1]);  // `async def`: runs on the event loop
    if (coroutine < 0) return nullptr;
    if (const Registration* taken = s->handlers->add(name, args[1], *s->loading, coroutine == 1)) {
      const std::string first = taken->file.string();
      const std::string second = s->loading->string();
      PyErr_Format(g_error, "message '%U' is already registered by %s (registered again by %s)", args[0],
                   first.c_str(), second.c_str());
      return nullptr;
    }
    Py_RETURN_NONE;
  });
}

PyObject* register_startup(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return guarded([&]() -> PyObject* {
    if (!check_arity("register_startup", nargs, 1)) return nullptr;
    if (PyCallable_Check(args[0]) == 0) {
      PyErr_Format(PyExc_TypeError, "register_startup(): the hook must be callable, not %.200s",
                   Py_TYPE(args[0])->tp_name);
      return nullptr;
    }
    Session* s = loading_session("register_startup");
    if (s == nullptr) return nullptr;
    s->handlers->add_hook(args[0], *s->loading);
    Py_RETURN_NONE;
  });
}

bool level_of(PyObject* object, LogLevel& out) {
  static constexpr std::array<std::string_view, 6> names{"trace", "debug", "info", "warning", "error", "critical"};
  if (PyLong_Check(object)) {
    int overflow = 0;
    const long v = PyLong_AsLongAndOverflow(object, &overflow);
    if (v == -1 && PyErr_Occurred()) return false;
    if (overflow == 0 && v >= 0 && v < static_cast<long>(names.size())) {
      out = static_cast<LogLevel>(v);
      return true;
    }
  } else if (PyUnicode_Check(object)) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(object, &size);
    if (utf8 == nullptr) return false;
    std::string_view text(utf8, static_cast<std::size_t>(size));
    if (text == "warn") text = "warning";
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == text) {
        out = static_cast<LogLevel>(i);
        return true;
      }
    }
  } else {
    PyErr_Format(PyExc_TypeError, "log(): level must be an int or a str, not %.200s", Py_TYPE(object)->tp_name);
    return false;
  }
  PyErr_Format(PyExc_ValueError,
               "log(): unknown level %R (use spoa.log_trace .. spoa.log_critical, or 'trace' .. 'critical')", object);
  return false;
}

PyObject* log(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return guarded([&]() -> PyObject* {
    LogLevel level = LogLevel::info;
    if (!check_arity("log", nargs, 2) || !level_of(args[0], level)) return nullptr;
    Ref text(PyObject_Str(args[1]));
    if (!text) return nullptr;
    const Session s = active_session();
    if (s.options == nullptr || !s.options->log) Py_RETURN_NONE;
    std::string record = to_text(text.get());
    if (s.call != nullptr) {
      record = describe(*s.call) + ": " + record;
    } else if (s.loading != nullptr) {
      record = s.loading->string() + ": " + record;
    } else if (BoundCall bound; bound_call(bound)) {
      record = bound.label() + ": " + record;  // a start-up hook
    }
    s.options->log(level, record);
    Py_RETURN_NONE;
  });
}

// ---- the module ---------------------------------------------------------------------------------------

PyMethodDef g_methods[] = {
    {"register_message", fast(&register_message), METH_FASTCALL,
     "register_message(name, fn): call fn(args=[...]) for each SPOE message `name` (an `async def` fn runs on "
     "the worker's asyncio loop)."},
    {"register_startup", fast(&register_startup), METH_FASTCALL,
     "register_startup(fn): run fn() (awaited if it is a coroutine) on the worker's asyncio loop after the "
     "scripts load, before the first call (extension)."},
    {"set_var_null", fast(&set_var_null), METH_FASTCALL, "set_var_null(name, scope)"},
    {"set_var_boolean", fast(&set_var_boolean), METH_FASTCALL, "set_var_boolean(name, scope, value)"},
    {"set_var_int32", fast(&set_var_integer<spop::DataType::int32>), METH_FASTCALL, "set_var_int32(name, scope, int)"},
    {"set_var_uint32", fast(&set_var_integer<spop::DataType::uint32>), METH_FASTCALL,
     "set_var_uint32(name, scope, int)"},
    {"set_var_int64", fast(&set_var_integer<spop::DataType::int64>), METH_FASTCALL, "set_var_int64(name, scope, int)"},
    {"set_var_uint64", fast(&set_var_integer<spop::DataType::uint64>), METH_FASTCALL,
     "set_var_uint64(name, scope, int)"},
    {"set_var_ipv4", fast(&set_var_address<spop::DataType::ipv4>), METH_FASTCALL,
     "set_var_ipv4(name, scope, ipaddress.IPv4Address)"},
    {"set_var_ipv6", fast(&set_var_address<spop::DataType::ipv6>), METH_FASTCALL,
     "set_var_ipv6(name, scope, ipaddress.IPv6Address)"},
    {"set_var_str", fast(&set_var_bytes<spop::DataType::string>), METH_FASTCALL, "set_var_str(name, scope, str|bytes)"},
    {"set_var_bin", fast(&set_var_bytes<spop::DataType::binary>), METH_FASTCALL, "set_var_bin(name, scope, str|bytes)"},
    {"unset_var", fast(&unset_var), METH_FASTCALL, "unset_var(name, scope): send UNSET-VAR (extension)"},
    {"log", fast(&log), METH_FASTCALL, "log(level, text): a record in the agent's log (extension)"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef g_module = {
    PyModuleDef_HEAD_INIT,
    "spoa",
    "HAProxy SPOE agent API: register message handlers and set variables in the ACK.",
    -1,  // state is process-wide (one interpreter per process)
    g_methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

bool add_int(PyObject* module, const char* name, long value) {
  return PyModule_AddIntConstant(module, name, value) == 0;
}

}  // namespace

Session& session() noexcept { return g_session; }

Session active_session() noexcept {
  if (g_session.options != nullptr) return g_session;
  Session s;
  BoundCall bound;
  if (bound_call(bound)) {
    s.options = bound.options;
    s.actions = bound.actions;
    s.call = bound.call;
  }
  return s;
}

PyObject* error_class() noexcept { return g_error; }
PyObject* timeout_class() noexcept { return g_timeout; }

LoadScope::LoadScope(const EngineOptions& options, HandlerTable& handlers, const std::filesystem::path& file) noexcept
    : saved_(g_session) {
  g_session = Session{&options, &handlers, &file, nullptr, nullptr};
}
LoadScope::~LoadScope() { g_session = saved_; }

CallScope::CallScope(const EngineOptions& options, const CallInfo& call, spop::AckBuilder& actions) noexcept
    : saved_(g_session) {
  g_session = Session{&options, nullptr, nullptr, &actions, &call};
}
CallScope::~CallScope() { g_session = saved_; }

extern "C" PyObject* init_spoa_module() {
  Ref module(PyModule_Create(&g_module));
  if (!module) return nullptr;
  if (g_error == nullptr) {
    g_error = PyErr_NewExceptionWithDoc("spoa.error", "Raised by the spoa functions (bad value, ACK full...).",
                                        nullptr, nullptr);
    if (g_error == nullptr) return nullptr;
  }
  if (g_timeout == nullptr) {
    g_timeout = PyErr_NewExceptionWithDoc(
        "spoa.TimeBudgetExceeded",
        "Raised inside a handler that ran past the agent's per-call time budget. It derives from "
        "BaseException so that `except Exception:` does not swallow it.",
        PyExc_BaseException, nullptr);
    if (g_timeout == nullptr) return nullptr;
  }
  if (PyModule_AddObjectRef(module.get(), "error", g_error) != 0) return nullptr;
  if (PyModule_AddObjectRef(module.get(), "TimeBudgetExceeded", g_timeout) != 0) return nullptr;
  const auto level = [](LogLevel l) { return static_cast<long>(l); };
  const bool ok = add_int(module.get(), "scope_proc", 0) && add_int(module.get(), "scope_sess", 1) &&
                  add_int(module.get(), "scope_txn", 2) && add_int(module.get(), "scope_req", 3) &&
                  add_int(module.get(), "scope_res", 4) &&
                  add_int(module.get(), "log_trace", level(LogLevel::trace)) &&
                  add_int(module.get(), "log_debug", level(LogLevel::debug)) &&
                  add_int(module.get(), "log_info", level(LogLevel::info)) &&
                  add_int(module.get(), "log_warning", level(LogLevel::warning)) &&
                  add_int(module.get(), "log_error", level(LogLevel::error)) &&
                  add_int(module.get(), "log_critical", level(LogLevel::critical));
  if (!ok) return nullptr;
  if (!add_state_api(module.get())) return nullptr;  // shared state extension (python_state_api.cpp)
  return module.release();
}

}  // namespace spoa::python
