// Text helpers shared by the engine's files (see python_api.hpp).
#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

std::string to_text(PyObject* object) {
  if (object == nullptr) return {};
  Ref text = PyUnicode_Check(object) ? Ref::borrow(object) : Ref(PyObject_Str(object));
  if (!text) {
    PyErr_Clear();
    return "(unprintable " + std::string(Py_TYPE(object)->tp_name) + " object)";
  }
  Py_ssize_t size = 0;
  if (const char* utf8 = PyUnicode_AsUTF8AndSize(text.get(), &size)) return std::string(utf8, static_cast<std::size_t>(size));
  // Lone surrogates (e.g. from a surrogateescape-decoded argument) have no UTF-8 form: escape them so
  // that log lines stay valid UTF-8.
  PyErr_Clear();
  Ref escaped(PyUnicode_AsEncodedString(text.get(), "utf-8", "backslashreplace"));
  if (!escaped) {
    PyErr_Clear();
    return {};
  }
  return std::string(PyBytes_AsString(escaped.get()), static_cast<std::size_t>(PyBytes_Size(escaped.get())));
}

PyObject* decode_surrogateescape(std::string_view bytes) noexcept {
  return PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), "surrogateescape");
}

}  // namespace spoa::python
