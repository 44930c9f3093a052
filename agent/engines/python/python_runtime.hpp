// The process's one embedded interpreter: started on first use, never finalised, plus the objects the hot
// path needs (interned keys, the ipaddress classes) looked up once.
//
// The interpreter runs on a thread of its own ("spoa-python"), which then runs the worker's asyncio loop
// (python_loop.hpp) for the life of the process. Being the interpreter's main thread, it is the one where
// CPython runs Python-level signal handlers: the watchdog's signal can interrupt a coroutine that blocks
// the loop, even in time.sleep(). Every other thread (loading, executor threads, tests) takes the GIL
// through a GilScope when it runs Python.
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

/// Starts CPython and its event loop on the interpreter's thread at the first call, waits until both
/// run, and returns the caches. The caller does not hold the GIL afterwards.
/// Throws std::runtime_error if the interpreter cannot start or was started by someone else. `loop_kind`
/// chooses the event loop of `async def` handlers; only the first call's choice counts.
Runtime& start_runtime(AsyncioLoop loop_kind);

/// The interpreter's thread, which runs the event loop (valid after start_runtime()).
pthread_t interpreter_thread() noexcept;

/// The caches; only valid after start_runtime() succeeded (every engine calls it in its constructor).
const Runtime& runtime() noexcept;

}  // namespace spoa::python
