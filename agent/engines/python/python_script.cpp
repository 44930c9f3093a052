// run_script() (see python_script.hpp).
#include "agent/engines/python/python_script.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "agent/engines/engine.hpp"
#include "agent/engines/python/python_errors.hpp"

namespace spoa::python {

namespace {

std::string read_source(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw LoadError(file.string() + ": cannot read script: " + (ec ? ec.message() : "no such file"));
  }
  if (std::filesystem::is_directory(file, ec)) throw LoadError(file.string() + ": cannot read script: is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw LoadError(file.string() + ": cannot read script: " + std::strerror(errno));
  std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw LoadError(file.string() + ": cannot read script: read error");
  // The compiler takes a C string; say so instead of silently running a truncated script.
  if (source.find('\0') != std::string::npos) throw LoadError(file.string() + ": cannot run script: it contains NUL bytes");
  return source;
}

[[noreturn]] void throw_python_error(const std::string& script) {
  PythonError e = take_error(script);
  const std::string where = e.file.empty() ? script : e.file;
  std::string text = e.line > 0 ? where + ":" + std::to_string(e.line) + ": " + e.summary : where + ": " + e.summary;
  text += "\n" + e.traceback;
  throw LoadError(text);
}

/// Puts `dir` at the front of sys.path unless it is already listed.
bool prepend_to_sys_path(const std::string& dir) {
  PyObject* path = PySys_GetObject("path");  // borrowed
  if (path == nullptr || !PyList_Check(path)) {
    PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
    return false;
  }
  Ref entry(PyUnicode_DecodeFSDefault(dir.c_str()));
  if (!entry) return false;
  const int present = PySequence_Contains(path, entry.get());
  if (present < 0) return false;
  return present == 1 || PyList_Insert(path, 0, entry.get()) == 0;
}

bool set_item(PyObject* dict, const char* key, PyObject* value) { return PyDict_SetItemString(dict, key, value) == 0; }

}  // namespace

Ref run_script(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  if (ec) throw LoadError(file.string() + ": cannot read script: " + ec.message());
  absolute = absolute.lexically_normal();
  const std::string source = read_source(absolute);
  const std::string script = absolute.string();
  // Like `python3 script.py`: sys.path[0] is the script's directory with symlinks resolved.
  std::filesystem::path real = std::filesystem::weakly_canonical(absolute, ec);
  if (ec) real = absolute;

  Ref filename(PyUnicode_DecodeFSDefault(script.c_str()));
  if (!filename || !prepend_to_sys_path(real.parent_path().string())) throw_python_error(script);

  Ref module(PyModule_New("__main__"));
  if (!module) throw_python_error(script);
  PyObject* globals = PyModule_GetDict(module.get());  // borrowed
  Ref builtins(PyImport_ImportModule("builtins"));
  Ref argv(Py_BuildValue("[O]", filename.get()));
  PyObject* modules = PyImport_GetModuleDict();  // borrowed
  if (!builtins || !argv || !set_item(globals, "__file__", filename.get()) ||
      !set_item(globals, "__builtins__", builtins.get()) || !set_item(globals, "__cached__", Py_None) ||
      !set_item(modules, "__main__", module.get()) || PySys_SetObject("argv", argv.get()) != 0) {
    throw_python_error(script);
  }

  PyCompilerFlags flags{};
  flags.cf_flags = 0;  // honours a PEP 263 coding declaration; no __future__ inherited from the agent
  flags.cf_feature_version = PY_MINOR_VERSION;
  Ref code(Py_CompileStringObject(source.c_str(), filename.get(), Py_file_input, &flags, -1));
  if (!code) throw_python_error(script);
  Ref result(PyEval_EvalCode(code.get(), globals, globals));
  if (!result) throw_python_error(script);
  return module;
}

}  // namespace spoa::python
