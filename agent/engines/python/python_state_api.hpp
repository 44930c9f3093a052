// The Python side of the shared state (issue #11): spoa.state_get/set/incr/del, their awaitable forms
// (state_get_async ...) and spoa.state_error.
#pragma once

#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

/// Adds to the `spoa` module (called from its init function, after spoa.error exists):
///   state_get(key) -> int | str | bytes | None
///   state_set(key, value, ttl=None)          value: int, str or bytes; ttl in seconds (int or float)
///   state_incr(key, delta=1, ttl=None) -> int
///   state_del(key) -> bool (True if the key existed)
///   state_get_async, state_set_async, state_incr_async, state_del_async: the same arguments; they return
///     an asyncio future of the same result, for coroutines on the worker's event loop. The Redis store's
///     calls run on the BlockingPool (never on the loop); the embedded store's run at once.
///   state_error: subclass of spoa.error raised for everything the store refuses or cannot do.
/// The functions use the store of the engine whose code runs (its Session, or the coroutine's binding).
/// The blocking forms, called on the event loop with the Redis store, log a warning once per process.
/// Returns false with a Python exception set on failure.
bool add_state_api(PyObject* module);

/// spoa.state_error; null before the module is imported.
PyObject* state_error_class() noexcept;

}  // namespace spoa::python
