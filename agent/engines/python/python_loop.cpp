// AsyncLoop (see python_loop.hpp).
#include "agent/engines/python/python_loop.hpp"

#include <pthread.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_log.hpp"
#include "agent/engines/python/python_runtime.hpp"

namespace spoa::python {

namespace {

AsyncLoop* g_loop = nullptr;

[[noreturn]] void fail_loop_start(const std::string& what) {
  std::string text = "python engine: cannot start the asyncio event loop: " + what;
  if (PyErr_Occurred()) text += ": " + take_error().summary;
  PyGC_Collect();  // as in make_event_loop(): what the error referenced is in cycles
  throw std::runtime_error(text);
}

Ref loop_method(PyObject* object, const char* name) {
  Ref m(PyObject_GetAttrString(object, name));
  if (!m) fail_loop_start(std::string("loop.") + name);
  return m;
}

/// loop.set_exception_handler(): what asyncio reports outside our calls (a task of a script's own whose
/// exception nobody retrieved, a failing callback) goes to the agent's log instead of stderr.
PyObject* on_loop_exception(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyDict_Check(args[1])) Py_RETURN_NONE;
  PyObject* context = args[1];
  std::string text = "asyncio: " + to_text(PyDict_GetItemString(context, "message"));  // borrowed, may be null
  if (PyObject* exc = PyDict_GetItemString(context, "exception"); exc != nullptr && exc != Py_None) {
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
    text += "\n" + take_error().traceback;
  }
  log_record(LogLevel::error, text);
  Py_RETURN_NONE;
}

PyMethodDef g_wake_def = {"_spoa_wake", &AsyncLoop::on_wake_entry, METH_NOARGS, "Runs what other threads posted."};
PyMethodDef g_exception_def = {
    "_spoa_loop_exception",
    fast(&on_loop_exception),
    METH_FASTCALL, "Logs what asyncio reports."};

#if defined(__SANITIZE_ADDRESS__)
// Debian 12's uvloop (built with Cython 0.29 for Python 3.11) drops a few dozen code objects and tuples
// while its module is imported, once per process, and one tuple that asyncio's import made earlier. LeakSanitizer would
// report them at the exit of every process that imported it; they are not ours, and not a growing leak.
// Scoped to the imports of asyncio and uvloop at start-up.
struct ThirdPartyImportLeaksIgnored {
  ThirdPartyImportLeaksIgnored() { __lsan_disable(); }
  ~ThirdPartyImportLeaksIgnored() { __lsan_enable(); }
};
#else
struct ThirdPartyImportLeaksIgnored {};
#endif

Ref import_uvloop() {
  [[maybe_unused]] ThirdPartyImportLeaksIgnored ignored;
  return Ref(PyImport_ImportModule("uvloop"));
}


const char* option_value(AsyncioLoop kind) {
  switch (kind) {
    case AsyncioLoop::automatic: return "auto";
    case AsyncioLoop::asyncio: return "asyncio";
    case AsyncioLoop::uvloop: return "uvloop";
  }
  return "?";
}

/// A new event loop of the kind asked for, and the log line that says which it is. uvloop is a drop-in
/// replacement (same API, the loop in C on libuv) that runs many short waits about a tenth faster.
std::pair<Ref, std::string> make_event_loop(PyObject* asyncio, AsyncioLoop kind) {
  const std::string option = std::string(" (--asyncio-loop ") + option_value(kind) + ")";
  if (kind != AsyncioLoop::asyncio) {
    Ref uvloop = import_uvloop();
    if (uvloop) {
      Ref loop(PyObject_CallMethod(uvloop.get(), "new_event_loop", nullptr));
      if (!loop) fail_loop_start("uvloop.new_event_loop()");
      Ref version(PyObject_GetAttrString(uvloop.get(), "__version__"));
      if (!version) PyErr_Clear();
      return {std::move(loop), "uvloop " + (version ? to_text(version.get()) : "") + option};
    }
    if (kind == AsyncioLoop::uvloop) fail_loop_start("import uvloop (install python3-uvloop, or use --asyncio-loop asyncio)");
    const std::string why = take_error().summary;
    PyGC_Collect();  // the failed import's traceback and frames form cycles: free them now, not never
    Ref loop(PyObject_CallMethod(asyncio, "new_event_loop", nullptr));
    if (!loop) fail_loop_start("asyncio.new_event_loop()");
    return {std::move(loop), "asyncio's own event loop" + option + " (uvloop cannot be imported: " + why + ")"};
  }
  Ref loop(PyObject_CallMethod(asyncio, "new_event_loop", nullptr));
  if (!loop) fail_loop_start("asyncio.new_event_loop()");
  return {std::move(loop), "asyncio's own event loop" + option};
}

}  // namespace

PyObject* AsyncLoop::on_wake_entry(PyObject*, PyObject*) {
  g_loop->run_posted();
  Py_RETURN_NONE;
}

AsyncLoop& AsyncLoop::create(AsyncioLoop kind) {
  if (g_loop != nullptr) return *g_loop;
  // Owned here until complete: a start that fails (no uvloop, say) throws and must not leak it. The
  // lambda shares this member function's access to the private destructor.
  std::unique_ptr<AsyncLoop, void (*)(AsyncLoop*)> self(new AsyncLoop, [](AsyncLoop* p) { delete p; });
  Ref asyncio;
  {
    [[maybe_unused]] ThirdPartyImportLeaksIgnored ignored;
    asyncio = Ref(PyImport_ImportModule("asyncio"));
  }
  if (!asyncio) fail_loop_start("import asyncio");
  std::tie(self->loop_, self->description_) = make_event_loop(asyncio.get(), kind);
  Ref set(PyObject_CallMethod(asyncio.get(), "set_event_loop", "O", self->loop_.get()));
  if (!set) fail_loop_start("asyncio.set_event_loop()");
  self->task_type_ = loop_method(asyncio.get(), "Task");
  Ref loop_key(PyUnicode_InternFromString("loop"));
  self->task_kwnames_ = loop_key ? Ref(PyTuple_Pack(1, loop_key.get())) : Ref();
  if (!self->task_kwnames_) fail_loop_start("building ('loop',)");
  self->call_at_ = loop_method(self->loop_.get(), "call_at");
  self->create_future_ = loop_method(self->loop_.get(), "create_future");
  self->run_forever_ = loop_method(self->loop_.get(), "run_forever");
  Ref handler(PyCFunction_New(&g_exception_def, nullptr));
  Ref installed = handler ? Ref(PyObject_CallMethod(self->loop_.get(), "set_exception_handler", "O", handler.get())) : Ref();
  if (!installed) fail_loop_start("loop.set_exception_handler()");

  self->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (self->wake_fd_ < 0) fail_loop_start(std::string("eventfd: ") + std::strerror(errno));
  Ref wake(PyCFunction_New(&g_wake_def, nullptr));
  Ref added = wake ? Ref(PyObject_CallMethod(self->loop_.get(), "add_reader", "iO", self->wake_fd_, wake.get())) : Ref();
  if (!added) fail_loop_start("loop.add_reader()");
  g_loop = self.release();
  return *g_loop;
}

AsyncLoop& AsyncLoop::instance() noexcept { return *g_loop; }

void AsyncLoop::run() {
  for (;;) {
    Ref result(PyObject_CallNoArgs(run_forever_.get()));
    if (!result) {
      // run_forever() lets SystemExit and KeyboardInterrupt through (from a task of the script's own:
      // ours catch everything). The worker does not stop for them.
      PythonError e = take_error();
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        log_record(LogLevel::error, "asyncio: the event loop stopped on an exception and goes on: " + e.traceback);
        continue;
      }
    }
    std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  std::lock_guard lock(mutex_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

void AsyncLoop::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
  }
  post([](void* self) {
         auto* loop = static_cast<AsyncLoop*>(self);
         {
           std::lock_guard lock(loop->mutex_);
           loop->stopping_ = true;
         }
         Ref done(PyObject_CallMethod(loop->loop_.get(), "stop", nullptr));
         if (!done) PyErr_Clear();
       },
       this);
  std::unique_lock lock(mutex_);
  stopped_cv_.wait_for(lock, grace, [this] { return stopped_; });
}

bool AsyncLoop::post(void (*task)(void*), void* context) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    posted_.emplace_back(task, context);
    wake = !signalled_;
    signalled_ = true;
  }
  if (wake) {
    const std::uint64_t one = 1;
    // A full counter (impossible in practice) still leaves the descriptor readable.
    while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
  return true;
}

void AsyncLoop::run_posted() {
  std::uint64_t count = 0;
  while (::read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard lock(mutex_);
    running_.swap(posted_);
    signalled_ = false;
  }
  for (const auto& [task, context] : running_) task(context);
  running_.clear();
}

bool AsyncLoop::on_loop_thread() const noexcept { return pthread_equal(pthread_self(), interpreter_thread()) != 0; }

PyObject* AsyncLoop::create_task(PyObject* coro) const {
  PyObject* args[2] = {coro, loop_.get()};
  return PyObject_Vectorcall(task_type_.get(), args, 1, task_kwnames_.get());
}

PyObject* AsyncLoop::call_at(std::chrono::steady_clock::time_point when, PyObject* callback) const {
  const double seconds = std::chrono::duration<double>(when.time_since_epoch()).count();
  Ref at(PyFloat_FromDouble(seconds));
  if (!at) return nullptr;
  PyObject* args[2] = {at.get(), callback};
  return PyObject_Vectorcall(call_at_.get(), args, 2, nullptr);
}

PyObject* AsyncLoop::create_future() const { return PyObject_CallNoArgs(create_future_.get()); }

namespace {

bool set_current_loop(PyObject* loop) {
  Ref asyncio(PyImport_ImportModule("asyncio"));
  Ref done = asyncio ? Ref(PyObject_CallMethod(asyncio.get(), "set_event_loop", "O", loop)) : Ref();
  if (!done) PyErr_Clear();
  return static_cast<bool>(done);
}

}  // namespace

CurrentLoopScope::CurrentLoopScope() {
  if (g_loop == nullptr || g_loop->on_loop_thread()) return;
  set_ = set_current_loop(g_loop->loop());
}

CurrentLoopScope::~CurrentLoopScope() {
  if (set_) set_current_loop(Py_None);
}

}  // namespace spoa::python
