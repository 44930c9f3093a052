// SPOP value <-> Python object conversions (see python_values.hpp).
#include "agent/engines/python/python_values.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "agent/engines/python/python_runtime.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa::python {

namespace {

PyObject* bytes_object(std::string_view bytes) {
  return PyBytes_FromStringAndSize(bytes.data(), static_cast<Py_ssize_t>(bytes.size()));
}

std::uint64_t big_endian(const std::uint8_t* bytes, std::size_t count) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < count; ++i) v = (v << 8) | bytes[i];
  return v;
}

/// ipaddress.IPv4Address(int) / IPv6Address(int): the classes' integer form is public API and about four
/// times cheaper to construct than their packed-bytes form (no int.from_bytes in Python code).
PyObject* new_address_object(PyObject* cls, const std::uint8_t* bytes, std::size_t count) {
  Ref number;
  if (count == 4) {
    number = Ref(PyLong_FromUnsignedLongLong(big_endian(bytes, 4)));
  } else {
    const std::uint64_t high = big_endian(bytes, 8);
    Ref low(PyLong_FromUnsignedLongLong(big_endian(bytes + 8, 8)));
    if (!low) return nullptr;
    if (high == 0) {
      number = std::move(low);
    } else {
      Ref high_part(PyLong_FromUnsignedLongLong(high));
      Ref shift(PyLong_FromLong(64));
      Ref shifted = high_part && shift ? Ref(PyNumber_Lshift(high_part.get(), shift.get())) : Ref();
      if (!shifted) return nullptr;
      number = Ref(PyNumber_Or(shifted.get(), low.get()));
    }
  }
  if (!number) return nullptr;
  return PyObject_CallOneArg(cls, number.get());
}

/// The last address object built for each family. Client addresses repeat from one request to the next,
/// and building an ipaddress object runs Python code (its __init__): about as much as the rest of a call
/// with five arguments. The objects are immutable, so handing the same one out again is safe. One
/// interpreter per process, driven from one thread: plain statics suffice.
struct LastAddress {
  std::array<std::uint8_t, 16> bytes{};
  PyObject* object = nullptr;  // owned (one reference), never released: it lives as long as the interpreter
};

PyObject* address_object(PyObject* cls, const std::uint8_t* bytes, std::size_t count) {
  static LastAddress last[2];
  LastAddress& slot = last[count == 4 ? 0 : 1];
  if (slot.object != nullptr && std::memcmp(slot.bytes.data(), bytes, count) == 0) return Py_NewRef(slot.object);
  PyObject* made = new_address_object(cls, bytes, count);
  if (made == nullptr) return nullptr;
  Py_XDECREF(slot.object);
  slot.object = Py_NewRef(made);
  std::memcpy(slot.bytes.data(), bytes, count);
  return made;
}

struct IntegerRange {
  const char* type_name;
  long long min;
  unsigned long long max;
};

IntegerRange range_of(spop::DataType type) {
  switch (type) {
    case spop::DataType::int32:
      return {"int32", std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
    case spop::DataType::uint32:
      return {"uint32", 0, std::numeric_limits<std::uint32_t>::max()};
    case spop::DataType::uint64:
      return {"uint64", 0, std::numeric_limits<std::uint64_t>::max()};
    default:
      return {"int64", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  }
}

bool out_of_range(PyObject* object, const IntegerRange& range, const char* function) {
  PyErr_Format(PyExc_OverflowError, "%s(): %R is out of range for %s [%lld, %llu]", function, object,
               range.type_name, range.min, range.max);
  return false;
}

}  // namespace

PyObject* to_python(const spop::Value& value) {
  const Runtime& rt = runtime();
  switch (value.type()) {
    case spop::DataType::null:
      return Py_NewRef(Py_None);
    case spop::DataType::boolean:
      return PyBool_FromLong(value.as_bool() ? 1 : 0);
    case spop::DataType::int32:
    case spop::DataType::int64:
      return PyLong_FromLongLong(value.as_int64());
    case spop::DataType::uint32:
    case spop::DataType::uint64:
      return PyLong_FromUnsignedLongLong(value.as_uint64());
    case spop::DataType::ipv4:
      return address_object(rt.ipv4_class, value.as_ipv4().bytes.data(), 4);
    case spop::DataType::ipv6:
      return address_object(rt.ipv6_class, value.as_ipv6().bytes.data(), 16);
    case spop::DataType::string:
      return decode_surrogateescape(value.as_bytes());
    case spop::DataType::binary:
      return bytes_object(value.as_bytes());
  }
  return Py_NewRef(Py_None);  // not reachable: the decoder rejects reserved type ids
}

PyObject* make_args_list(std::span<const spop::Argument> args) {
  const Runtime& rt = runtime();
  Ref list(PyList_New(static_cast<Py_ssize_t>(args.size())));
  if (!list) return nullptr;
  Py_ssize_t index = 0;
  for (const spop::Argument& arg : args) {
    Ref dict(PyDict_New());
    if (!dict) return nullptr;
    Ref name(decode_surrogateescape(arg.name));
    if (!name) return nullptr;
    Ref value(to_python(arg.value));
    if (!value) return nullptr;
    if (PyDict_SetItem(dict.get(), rt.key_name, name.get()) != 0) return nullptr;
    if (PyDict_SetItem(dict.get(), rt.key_value, value.get()) != 0) return nullptr;
    PyList_SetItem(list.get(), index++, dict.release());  // steals
  }
  return list.release();
}

bool bytes_of(PyObject* object, Ref& keep, std::string_view& out, const char* function, const char* what) {
  if (PyUnicode_Check(object)) {
    // Fast path: CPython keeps (or caches) the UTF-8 form inside the str, so nothing is allocated for
    // ASCII text. It fails only for surrogates, which 'surrogateescape' turns back into bytes.
    Py_ssize_t size = 0;
    if (const char* utf8 = PyUnicode_AsUTF8AndSize(object, &size)) {
      out = std::string_view(utf8, static_cast<std::size_t>(size));
      return true;
    }
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return false;
    PyErr_Clear();
    keep = Ref(PyUnicode_AsEncodedString(object, "utf-8", "surrogateescape"));
    if (!keep) return false;
    object = keep.get();
  }
  if (PyBytes_Check(object)) {
    out = std::string_view(PyBytes_AsString(object), static_cast<std::size_t>(PyBytes_Size(object)));
    return true;
  }
  if (PyByteArray_Check(object)) {
    out = std::string_view(PyByteArray_AsString(object), static_cast<std::size_t>(PyByteArray_Size(object)));
    return true;
  }
  PyErr_Format(PyExc_TypeError, "%s(): %s must be str or bytes, not %.200s", function, what,
               Py_TYPE(object)->tp_name);
  return false;
}

bool integer_of(PyObject* object, spop::DataType type, spop::Value& out, const char* function) {
  const IntegerRange range = range_of(type);
  Ref number(PyNumber_Index(object));  // int itself, or __index__; TypeError for float, str...
  if (!number) {
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Format(PyExc_TypeError, "%s(): value must be an int, not %.200s", function, Py_TYPE(object)->tp_name);
    }
    return false;
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(number.get(), &overflow);
  if (v == -1 && PyErr_Occurred()) return false;
  if (overflow < 0) return out_of_range(object, range, function);
  if (overflow > 0) {
    if (type != spop::DataType::uint64) return out_of_range(object, range, function);
    const unsigned long long u = PyLong_AsUnsignedLongLong(number.get());
    if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
      PyErr_Clear();
      return out_of_range(object, range, function);
    }
    out = spop::Value::uint64(u);
    return true;
  }
  if (v < range.min || (v > 0 && static_cast<unsigned long long>(v) > range.max)) {
    return out_of_range(object, range, function);
  }
  switch (type) {
    case spop::DataType::int32: out = spop::Value::int32(static_cast<std::int32_t>(v)); break;
    case spop::DataType::uint32: out = spop::Value::uint32(static_cast<std::uint32_t>(v)); break;
    case spop::DataType::uint64: out = spop::Value::uint64(static_cast<std::uint64_t>(v)); break;
    default: out = spop::Value::int64(v); break;
  }
  return true;
}

bool address_of(PyObject* object, spop::DataType type, spop::Value& out, const char* function) {
  const Runtime& rt = runtime();
  const bool v4 = type == spop::DataType::ipv4;
  PyObject* cls = v4 ? rt.ipv4_class : rt.ipv6_class;
  const int is_address = PyObject_IsInstance(object, cls);
  if (is_address < 0) return false;
  if (is_address == 0) {
    PyErr_Format(error_class(), "%s(): value must be an ipaddress.%s, not %.200s", function,
                 v4 ? "IPv4Address" : "IPv6Address", Py_TYPE(object)->tp_name);
    return false;
  }
  Ref packed(PyObject_GetAttr(object, rt.attr_packed));
  if (!packed) return false;
  const std::size_t expected = v4 ? 4 : 16;
  if (!PyBytes_Check(packed.get()) || static_cast<std::size_t>(PyBytes_Size(packed.get())) != expected) {
    PyErr_Format(error_class(), "%s(): %R has no %zu-byte packed form", function, object, expected);
    return false;
  }
  const char* bytes = PyBytes_AsString(packed.get());
  if (v4) {
    spop::Ipv4Address a;
    std::memcpy(a.bytes.data(), bytes, a.bytes.size());
    out = spop::Value::ipv4(a);
  } else {
    spop::Ipv6Address a;
    std::memcpy(a.bytes.data(), bytes, a.bytes.size());
    out = spop::Value::ipv6(a);
  }
  return true;
}

}  // namespace spoa::python
