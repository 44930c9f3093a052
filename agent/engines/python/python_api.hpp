// The one place that includes <Python.h>, plus Ref: an owning PyObject pointer for our C++ code.
//
// Every file of the engine includes this header instead of <Python.h> so that PY_SSIZE_T_CLEAN is always
// defined first (CPython requires it before the include for the "#" argument formats).
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string>
#include <string_view>
#include <utility>

namespace spoa::python {

/// Owns one strong reference (or none). Call sites use it so that every early return releases what it
/// created; release() hands the reference over to CPython APIs that steal it.
class Ref {
 public:
  Ref() noexcept = default;
  /// Takes over a new reference (as returned by most C API calls); null is allowed.
  explicit Ref(PyObject* owned) noexcept : p_(owned) {}
  /// Adds a reference to a borrowed pointer.
  static Ref borrow(PyObject* borrowed) noexcept {
    Py_XINCREF(borrowed);
    return Ref(borrowed);
  }
  Ref(const Ref& other) noexcept : p_(other.p_) { Py_XINCREF(p_); }
  Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  Ref& operator=(Ref other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~Ref() { Py_XDECREF(p_); }

  PyObject* get() const noexcept { return p_; }
  PyObject* release() noexcept { return std::exchange(p_, nullptr); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  PyObject* p_ = nullptr;
};

/// A METH_FASTCALL function as the PyCFunction that PyMethodDef stores: the detour through void(*)() is
/// the documented way to silence -Wcast-function-type for this intentional cast.
using FastFunction = PyObject* (*)(PyObject*, PyObject* const*, Py_ssize_t);
inline PyCFunction fast(FastFunction f) noexcept { return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f)); }

/// A str (or any object, through str()) as UTF-8 for logs and error texts. Characters UTF-8 cannot carry
/// (lone surrogates) become backslash escapes. Never leaves a Python exception set; "" on failure.
std::string to_text(PyObject* object);

/// Decodes bytes as UTF-8 with 'surrogateescape' into a new str (null with an exception on failure).
PyObject* decode_surrogateescape(std::string_view bytes) noexcept;

}  // namespace spoa::python
