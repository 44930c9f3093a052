// The process's one embedded interpreter: started on first use, never finalised, plus the objects the hot
// path needs (interned keys, the ipaddress classes) looked up once.
#pragma once

#include <pthread.h>

#include <string>
#include <vector>

#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

/// Objects cached at start-up. They stay referenced for the life of the process.
struct Runtime {
  PyObject* key_name = nullptr;       ///< interned "name": key of an argument dict
  PyObject* key_value = nullptr;      ///< interned "value"
  PyObject* kwnames_args = nullptr;   ///< ("args",): the keyword the handler is called with
  PyObject* attr_packed = nullptr;    ///< interned "packed" (IPv4Address.packed / IPv6Address.packed)
  PyObject* ipv4_class = nullptr;     ///< ipaddress.IPv4Address
  PyObject* ipv6_class = nullptr;     ///< ipaddress.IPv6Address
  PyObject* format_exception = nullptr;       ///< traceback.format_exception
  PyObject* format_exception_only = nullptr;  ///< traceback.format_exception_only
  std::vector<std::string> notes;     ///< start-up remarks worth one log line (e.g. how VIRTUAL_ENV was used)
};

/// Starts CPython on the first call (in the calling thread, which keeps the GIL from then on and must be
/// the thread that drives every Python engine of the process) and returns the caches.
/// Throws std::runtime_error if the interpreter cannot start or was started by someone else.
Runtime& start_runtime();

/// The thread that started the interpreter (valid after start_runtime()).
pthread_t interpreter_thread() noexcept;

/// The caches; only valid after start_runtime() succeeded (every engine calls it in its constructor).
const Runtime& runtime() noexcept;

}  // namespace spoa::python
