// Conversions between SPOP values and Python objects (script-api.md "Callback" and the setter table).
//
// STRING arguments that are not valid UTF-8 are decoded with 'surrogateescape': the handler still runs,
// the undecodable bytes appear as U+DC80..U+DCFF, and value.encode('utf-8', 'surrogateescape') gives the
// exact bytes back. The setters encode str the same way, so such a value round-trips byte for byte.
#pragma once

#include <span>
#include <string_view>

#include "agent/engines/python/python_api.hpp"
#include "spop/value.hpp"

namespace spoa::python {

/// One argument value as a new Python object (null with an exception set on failure).
PyObject* to_python(const spop::Value& value);

/// The handler's `args` list: one {'name': str, 'value': v} dict per argument, in order.
PyObject* make_args_list(std::span<const spop::Argument> args);

/// Bytes of a str (UTF-8, surrogateescape), bytes or bytearray object. `keep` holds any temporary the view
/// points into. On a wrong type: TypeError naming `function` and `what`, and false.
bool bytes_of(PyObject* object, Ref& keep, std::string_view& out, const char* function, const char* what);

/// An integer in the range of `type` (int32, uint32, int64 or uint64) as a Value of that type. Accepts int
/// and objects with __index__; OverflowError naming the value and the type outside the range, TypeError for
/// other types. Returns false with the exception set.
bool integer_of(PyObject* object, spop::DataType type, spop::Value& out, const char* function);

/// An ipaddress.IPv4Address (or IPv6Address for DataType::ipv6) as a Value; spoa.error for other types.
bool address_of(PyObject* object, spop::DataType type, spop::Value& out, const char* function);

}  // namespace spoa::python
