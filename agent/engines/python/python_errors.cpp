// Turns the pending Python exception into PythonError (see python_errors.hpp).
#include "agent/engines/python/python_errors.hpp"

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_runtime.hpp"

namespace spoa::python {

namespace {

std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

/// "".join(lines) of a list returned by the traceback module; "" if it is not a list of str.
std::string join_lines(PyObject* lines) {
  Ref empty(PyUnicode_FromString(""));
  Ref joined = empty ? Ref(PyUnicode_Join(empty.get(), lines)) : Ref();
  if (!joined) {
    PyErr_Clear();
    return {};
  }
  return to_text(joined.get());
}

long long_attr(PyObject* object, const char* name) {
  Ref value(PyObject_GetAttrString(object, name));
  if (!value) {
    PyErr_Clear();
    return 0;
  }
  long result = PyLong_Check(value.get()) ? PyLong_AsLong(value.get()) : 0;
  if (result == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return 0;
  }
  return result;
}

std::string text_attr(PyObject* object, const char* name) {
  Ref value(PyObject_GetAttrString(object, name));
  if (!value) {
    PyErr_Clear();
    return {};
  }
  return value.get() == Py_None ? std::string() : to_text(value.get());
}

/// Walks the traceback chain: the innermost entry in `focus_file`, else the innermost entry.
void locate(PyObject* traceback, std::string_view focus_file, PythonError& out) {
  std::string innermost_file;
  long innermost_line = 0;
  Ref entry = Ref::borrow(traceback);
  while (entry && entry.get() != Py_None) {
    Ref frame(PyObject_GetAttrString(entry.get(), "tb_frame"));
    Ref code = frame ? Ref(PyObject_GetAttrString(frame.get(), "f_code")) : Ref();
    if (!code) {
      PyErr_Clear();
      break;
    }
    innermost_file = text_attr(code.get(), "co_filename");
    innermost_line = long_attr(entry.get(), "tb_lineno");
    if (!focus_file.empty() && innermost_file == focus_file) {
      out.file = innermost_file;
      out.line = innermost_line;
    }
    entry = Ref(PyObject_GetAttrString(entry.get(), "tb_next"));
    if (!entry) PyErr_Clear();
  }
  if (out.file.empty()) {
    out.file = innermost_file;
    out.line = innermost_line;
  }
}

}  // namespace

PythonError take_error(std::string_view focus_file) {
  PyObject* raw_type = nullptr;
  PyObject* raw_value = nullptr;
  PyObject* raw_traceback = nullptr;
  PyErr_Fetch(&raw_type, &raw_value, &raw_traceback);
  PyErr_NormalizeException(&raw_type, &raw_value, &raw_traceback);
  Ref type(raw_type);
  Ref value(raw_value);
  Ref traceback(raw_traceback);

  PythonError out;
  if (!value) {
    out.summary = "unknown Python error";
    return out;
  }
  if (traceback) PyException_SetTraceback(value.get(), traceback.get());

  const Runtime& rt = runtime();
  if (rt.format_exception != nullptr) {
    Ref lines(PyObject_CallOneArg(rt.format_exception, value.get()));
    if (lines) out.traceback = strip_trailing_newlines(join_lines(lines.get()));
    else PyErr_Clear();
  }
  if (rt.format_exception_only != nullptr) {
    // For a SyntaxError the list also holds the source line and caret; the last item is "Type: message".
    Ref lines(PyObject_CallOneArg(rt.format_exception_only, value.get()));
    if (lines && PyList_Check(lines.get()) && PyList_Size(lines.get()) > 0) {
      out.summary = strip_trailing_newlines(to_text(PyList_GetItem(lines.get(), PyList_Size(lines.get()) - 1)));
    } else {
      PyErr_Clear();
    }
  }
  if (out.summary.empty()) {
    out.summary = std::string(Py_TYPE(value.get())->tp_name) + ": " + to_text(value.get());
  }
  if (out.traceback.empty()) out.traceback = out.summary;

  if (PyErr_GivenExceptionMatches(value.get(), PyExc_SyntaxError)) {
    out.file = text_attr(value.get(), "filename");
    out.line = long_attr(value.get(), "lineno");
  } else if (traceback) {
    locate(traceback.get(), focus_file, out);
  }
  return out;
}

}  // namespace spoa::python
