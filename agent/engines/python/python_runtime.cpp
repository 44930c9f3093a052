// Starting the embedded interpreter once per process (see python_runtime.hpp).
//
// Why these PyConfig settings:
//  * isolated = 0, use_environment = 1: PYTHONPATH, PYTHONHOME, PYTHONUNBUFFERED... work as for `python3`,
//    and so do the user and system site-packages (Debian's /usr/lib/python3/dist-packages).
//  * install_signal_handlers = 0: the agent owns SIGINT/SIGTERM/SIGHUP/SIGCHLD/SIGPIPE; Python must not
//    install its own handlers (only the watchdog's real-time signal gets one, see python_watchdog.cpp).
//  * executable = the interpreter binary of the libpython we link: without it CPython derives sys.prefix
//    from whichever `python3` comes first in PATH (a pyenv or venv interpreter of another build).
//  * VIRTUAL_ENV: an activated venv's site-packages is put on sys.path ahead of the system's
//    site-packages (its .pth files run too). The venv's own interpreter is not used: the standard library
//    must be the one that matches the libpython we are linked with.
#include "agent/engines/python/python_runtime.hpp"

#include <csignal>
#include <cstdlib>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_gil.hpp"
#include "agent/engines/python/python_loop.hpp"
#include "agent/engines/python/python_watchdog.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa::python {

namespace {

Runtime* g_runtime = nullptr;
// A start that failed half-way keeps what it cached referenced here: the interpreter is never finalised,
// and dropping the only references to its objects would leave them unreachable.
Runtime* g_failed_runtime = nullptr;
pthread_t g_interpreter_thread{};

// Runs once after Py_InitializeFromConfig. Written in Python because it only touches Python objects and
// runs once; returns the notes for the log.
constexpr const char* setup_source = R"PY(
def _spoa_setup(version):
    import os, sys
    notes = []
    # Script output goes to the agent's stdout; line buffering keeps it in step with the agent's own
    # lines even when stdout is a pipe (the worker never finalises the interpreter to flush a buffer).
    if sys.stdout is not None and hasattr(sys.stdout, 'reconfigure'):
        sys.stdout.reconfigure(line_buffering=True)
    venv = os.environ.get('VIRTUAL_ENV')
    if venv:
        site_dir = os.path.join(venv, 'lib', 'python' + version, 'site-packages')
        if os.path.isdir(site_dir):
            import site
            first_site = next((i for i, p in enumerate(sys.path)
                               if p.rstrip('/').endswith(('site-packages', 'dist-packages'))), len(sys.path))
            if site_dir not in sys.path:
                sys.path.insert(first_site, site_dir)
            site.addsitedir(site_dir)  # already on sys.path, so this only runs its .pth files
            notes.append('python: VIRTUAL_ENV: using ' + site_dir)
        else:
            notes.append('python: VIRTUAL_ENV=%s ignored: %s does not exist (this agent embeds Python %s)'
                         % (venv, site_dir, version))
    return notes
)PY";

[[noreturn]] void fail(const std::string& what) {
  std::string text = "python engine: " + what;
  if (PyErr_Occurred()) text += ": " + take_error().traceback;
  throw std::runtime_error(text);
}

PyObject* must(PyObject* object, const char* what) {
  if (object == nullptr) fail(what);
  return object;
}

void initialise_interpreter() {
  if (PyImport_AppendInittab("spoa", &init_spoa_module) != 0) fail("cannot register the built-in module 'spoa'");

  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.isolated = 0;
  config.use_environment = 1;
  config.install_signal_handlers = 0;
  config.parse_argv = 0;
  PyStatus status = PyStatus_Ok();
  std::error_code ec;
  if (std::filesystem::exists(SPOA_PYTHON_EXECUTABLE, ec)) {
    status = PyConfig_SetBytesString(&config, &config.executable, SPOA_PYTHON_EXECUTABLE);
  }
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    std::string why = status.err_msg != nullptr ? status.err_msg : "unknown error";
    if (status.func != nullptr) why = std::string(status.func) + ": " + why;
    throw std::runtime_error("python engine: cannot start CPython: " + why);
  }
}

void cache_objects(Runtime& rt) {
  rt.key_name = must(PyUnicode_InternFromString("name"), "interning 'name'");
  rt.key_value = must(PyUnicode_InternFromString("value"), "interning 'value'");
  rt.attr_packed = must(PyUnicode_InternFromString("packed"), "interning 'packed'");
  Ref args_key(must(PyUnicode_InternFromString("args"), "interning 'args'"));
  rt.kwnames_args = must(PyTuple_Pack(1, args_key.get()), "building the keyword names");

  Ref ipaddress(must(PyImport_ImportModule("ipaddress"), "import ipaddress"));
  rt.ipv4_class = must(PyObject_GetAttrString(ipaddress.get(), "IPv4Address"), "ipaddress.IPv4Address");
  rt.ipv6_class = must(PyObject_GetAttrString(ipaddress.get(), "IPv6Address"), "ipaddress.IPv6Address");
  Ref traceback(must(PyImport_ImportModule("traceback"), "import traceback"));
  rt.format_exception = must(PyObject_GetAttrString(traceback.get(), "format_exception"), "traceback.format_exception");
  rt.format_exception_only =
      must(PyObject_GetAttrString(traceback.get(), "format_exception_only"), "traceback.format_exception_only");
  // Creates the module now, so that its exception classes exist before any script runs.
  Ref spoa(must(PyImport_ImportModule("spoa"), "import spoa"));
}

void run_setup(Runtime& rt) {
  Ref globals(must(PyDict_New(), "setup namespace"));
  if (PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0) fail("setup namespace");
  Ref defined(must(PyRun_String(setup_source, Py_file_input, globals.get(), globals.get()), "setup code"));
  PyObject* setup = must(PyDict_GetItemString(globals.get(), "_spoa_setup"), "setup function");
  Ref version(must(PyUnicode_FromFormat("%d.%d", PY_MAJOR_VERSION, PY_MINOR_VERSION), "version"));
  Ref notes(must(PyObject_CallOneArg(setup, version.get()), "setting up sys.path and stdout"));
  for (Py_ssize_t i = 0; i < PyList_Size(notes.get()); ++i) rt.notes.push_back(to_text(PyList_GetItem(notes.get(), i)));
}

// At exit, how long the event loop gets to leave its current callback.
constexpr std::chrono::milliseconds loop_stop_grace{1000};

/// A worker leaves through exit(): stop the event loop (so that its thread runs no Python while the
/// process tears down), then flush what print() left in sys.stdout/sys.stderr (a line without its
/// newline), since the interpreter is never finalised.
void stop_loop_and_flush_at_exit() {
  if (!Py_IsInitialized() || g_runtime == nullptr) return;
  AsyncLoop::instance().stop(loop_stop_grace);
  GilScope gil;
  for (const char* name : {"stdout", "stderr"}) {
    PyObject* stream = PySys_GetObject(name);  // borrowed
    if (stream == nullptr || stream == Py_None) continue;
    Ref result(PyObject_CallMethod(stream, "flush", nullptr));
    if (!result) PyErr_Clear();
  }
}

/// The interpreter's own thread, from start to the end of the event loop.
struct Startup {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::string error;  // empty: started
};

void interpreter_main(Startup& startup, AsyncioLoop loop_kind) {
  pthread_setname_np(pthread_self(), "spoa-python");
  g_interpreter_thread = pthread_self();
  std::string error;
  // Kept forever, like the interpreter: later engines of this process reuse both.
  auto rt = std::make_unique<Runtime>();
  try {
    initialise_interpreter();
    cache_objects(*rt);
    run_setup(*rt);
    watchdog();  // installs the watchdog signal's Python-level handler: only possible on this thread
    rt->notes.push_back("python: async def handlers run on " + AsyncLoop::create(loop_kind).description());
    g_runtime = rt.release();
  } catch (const std::exception& e) {
    error = e.what();
    g_failed_runtime = rt.release();
  }
  if (!error.empty() && Py_IsInitialized() && PyGILState_Check() != 0) PyEval_SaveThread();
  {
    std::lock_guard lock(startup.mutex);
    startup.error = error;
    startup.done = true;
    startup.done_cv.notify_all();  // `startup` is gone once the starter sees done
  }
  if (!error.empty()) return;
  AsyncLoop::instance().run();
  PyEval_SaveThread();  // the loop stopped (the process exits): leave the GIL to the exit handlers
  // Parked, not ended, until the process is gone: what libraries keep per thread (OpenSSL's state for
  // the ssl module asyncio imports) stays reachable, as on every other thread at exit, instead of being
  // dropped half-way by a thread that ends while the process exits.
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

}  // namespace

Runtime& start_runtime(AsyncioLoop loop_kind) {
  if (g_runtime != nullptr) return *g_runtime;
  if (Py_IsInitialized()) {
    throw std::runtime_error("python engine: CPython was already initialised by another component of this process");
  }
  Startup startup;
  // The thread takes none of the agent's signals (SIGTERM, SIGHUP...: the worker's event loop handles
  // them); it unblocks the watchdog's own signal when the watchdog first arms there.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  try {
    std::thread(&interpreter_main, std::ref(startup), loop_kind).detach();
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw std::runtime_error(std::string("python engine: cannot start the interpreter's thread: ") + e.what());
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  std::unique_lock lock(startup.mutex);
  startup.done_cv.wait(lock, [&] { return startup.done; });
  if (!startup.error.empty()) throw std::runtime_error(startup.error);
  std::atexit(&stop_loop_and_flush_at_exit);
  return *g_runtime;
}

pthread_t interpreter_thread() noexcept { return g_interpreter_thread; }

const Runtime& runtime() noexcept {
  static const Runtime empty;
  return g_runtime != nullptr ? *g_runtime : empty;
}

}  // namespace spoa::python
