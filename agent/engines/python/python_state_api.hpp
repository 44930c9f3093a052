// The Python side of the shared state (issue #11): spoa.state_get/set/incr/del and spoa.state_error.
#pragma once

#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

/// Adds to the `spoa` module (called from its init function, after spoa.error exists):
///   state_get(key) -> int | str | bytes | None
///   state_set(key, value, ttl=None)          value: int, str or bytes; ttl in seconds (int or float)
///   state_incr(key, delta=1, ttl=None) -> int
///   state_del(key) -> bool (True if the key existed)
///   state_error: subclass of spoa.error raised for everything the store refuses or cannot do.
/// The functions use the store of the engine whose code runs (Session::options->state). Returns false
/// with a Python exception set on failure.
bool add_state_api(PyObject* module);

/// spoa.state_error; null before the module is imported.
PyObject* state_error_class() noexcept;

}  // namespace spoa::python
