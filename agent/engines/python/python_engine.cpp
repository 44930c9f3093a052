// PythonEngine: the Engine interface over the process's embedded interpreter.
//
// All engines of a process share one interpreter and its asyncio loop (started by the first one, never
// finalised, so that later engines keep working); each engine owns its handlers and the modules its
// scripts ran in. Any thread may drive an engine, several at once (the worker's executor threads): each
// entry point holds the GIL through a GilScope. Plain handlers run on the calling thread; coroutine
// handlers (`async def`) run on the loop (python_coroutine.hpp), started there by the worker's loop lane.
#include "agent/engines/python/python_engine.hpp"

#include <string>
#include <utility>
#include <vector>

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_coroutine.hpp"
#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_gil.hpp"
#include "agent/engines/python/python_handlers.hpp"
#include "agent/engines/python/python_log.hpp"
#include "agent/engines/python/python_loop.hpp"
#include "agent/engines/python/python_runtime.hpp"
#include "agent/engines/python/python_script.hpp"
#include "agent/engines/python/python_values.hpp"
#include "agent/engines/python/python_watchdog.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa {

namespace {

using python::Ref;

// How long the start-up hooks of one load may take together.
constexpr std::chrono::seconds startup_limit{30};

/// What an engine leaves behind: released on the loop's thread (with the GIL), never on the worker's
/// I/O thread, which frees a replaced script set with its last call. Moving these needs no GIL.
struct Remains {
  python::HandlerTable handlers;
  std::vector<Ref> modules;
  std::unique_ptr<python::CoroutineRunner> runner;

  ~Remains() { runner.reset(); }  // first: coroutines still running (a script's own tasks) lose the options
};

class PythonEngine final : public Engine {
 public:
  explicit PythonEngine(const EngineOptions& options) : options_(options) {
    const python::Runtime& rt = python::start_runtime(options_.asyncio_loop);
    python::GilScope gil;
    python::set_log_sink(options_.log);
    runner_ = std::make_unique<python::CoroutineRunner>(options_);
    static bool notes_logged = false;  // start-up remarks concern the process, not each engine
    if (!notes_logged && options_.log) {
      for (const std::string& note : rt.notes) options_.log(LogLevel::info, note);
    }
    notes_logged = true;
  }

  ~PythonEngine() override {
    auto* remains = new Remains{std::move(handlers_), std::move(modules_), std::move(runner_)};
    const auto drop = [](void* r) { delete static_cast<Remains*>(r); };
    python::AsyncLoop& loop = python::AsyncLoop::instance();
    if (!loop.on_loop_thread() && loop.post(drop, remains)) return;
    python::GilScope gil;  // on the loop's thread already, or the loop has stopped (the process exits)
    drop(remains);
  }
  PythonEngine(const PythonEngine&) = delete;
  PythonEngine& operator=(const PythonEngine&) = delete;

  std::string_view language() const noexcept override { return "python"; }
  ThreadModel thread_model() const noexcept override { return ThreadModel::shared; }
  void leave_thread() noexcept override { python::release_gil(); }

  void load(const std::filesystem::path& file) override {
    python::GilScope gil;
    const auto before = handlers_.mark();
    python::LoadScope scope(options_, handlers_, file);
    python::CurrentLoopScope current_loop;
    try {
      modules_.push_back(python::run_script(file));
    } catch (...) {
      handlers_.truncate(before);  // a failed file registers nothing
      throw;
    }
  }

  std::vector<Registration> registrations() const override { return handlers_.registrations(); }

  void prepare() override;
  EventLoop* event_loop() noexcept override { return &python::AsyncLoop::instance(); }
  std::string event_loop_description() const override { return python::AsyncLoop::instance().description(); }

  CallResult call(const CallInfo& info, std::span<const spop::Argument> args, spop::AckBuilder& actions) override;

 private:
  CallResult failure(const CallInfo& info, bool timed_out);

  CallResult returned_awaitable(const CallInfo& info, PyObject* result);

  EngineOptions options_;
  python::HandlerTable handlers_;
  std::vector<Ref> modules_;  // the scripts' __main__ modules: their globals live as long as the handlers
  std::unique_ptr<python::CoroutineRunner> runner_;
};

void PythonEngine::prepare() {
  const auto deadline = std::chrono::steady_clock::now() + startup_limit;
  for (const auto& hook : handlers_.hooks()) {
    std::string label;
    {
      python::GilScope gil;
      Ref name(PyObject_GetAttrString(hook.fn.get(), "__qualname__"));
      if (!name) PyErr_Clear();
      label = hook.file.string() + ": start-up hook " + (name ? python::to_text(name.get()) : std::string("?"));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    std::string error;
    {
      python::GilScope gil;
      error = runner_->run_hook(hook.fn.get(), label, std::max(left, std::chrono::milliseconds(1)));
    }
    if (!error.empty()) throw LoadError(error);
  }
}

CallResult PythonEngine::call(const CallInfo& info, std::span<const spop::Argument> args,
                              spop::AckBuilder& actions) {
  python::GilScope gil;
  bool on_loop = false;
  PyObject* handler = handlers_.find(info.message, on_loop);
  if (handler == nullptr) {
    return {CallResult::Kind::script_error,
            python::describe(info) + ": no Python handler is registered for this message"};
  }
  Ref list(python::make_args_list(args));
  if (!list) {
    python::PythonError e = python::take_error();
    return {CallResult::Kind::script_error, python::describe(info) + ": cannot convert the arguments: " + e.summary};
  }
  if (on_loop) {
    if (info.pending != nullptr && python::AsyncLoop::instance().on_loop_thread()) {
      return runner_->start(handler, list.get(), info, actions, *info.pending);
    }
    return runner_->run_and_wait(handler, list.get(), info, actions);
  }

  python::CallScope scope(options_, info, actions);
  const bool budgeted = options_.call_budget.count() > 0;
  if (budgeted) python::start_budget(options_.call_budget);
  // fn(args=list): one keyword argument, passed by vectorcall without building a kwargs dict. Slot 0 is
  // scratch space that PY_VECTORCALL_ARGUMENTS_OFFSET lets the callee use.
  PyObject* stack[2] = {nullptr, list.get()};
  Ref result(PyObject_Vectorcall(handler, stack + 1, 0 | PY_VECTORCALL_ARGUMENTS_OFFSET, python::runtime().kwnames_args));
  const bool timed_out = budgeted && python::end_budget();

  if (result && !timed_out) {
    if (PyCoro_CheckExact(result.get())) return returned_awaitable(info, result.get());
    return {};
  }
  return failure(info, timed_out);
}

CallResult PythonEngine::returned_awaitable(const CallInfo& info, PyObject* result) {
  // Never awaited: close it, so that Python does not warn about it later, far from the cause.
  Ref closed(PyObject_CallMethod(result, "close", nullptr));
  if (!closed) PyErr_Clear();
  return {CallResult::Kind::script_error,
          python::describe(info) +
              ": the handler returned a coroutine, which nothing awaits: register the `async def` function "
              "itself (spoa.register_message detects coroutine functions and runs them on the event loop)"};
}

CallResult PythonEngine::failure(const CallInfo& info, bool timed_out) {
  const std::string what = python::describe(info);
  if (!PyErr_Occurred()) {
    // It returned, but only after its deadline (it caught the interruption or was stuck in C code).
    return {CallResult::Kind::timeout, what + ": ran past its time budget of " +
                                           std::to_string(options_.call_budget.count()) + " ms"};
  }
  python::PythonError e = python::take_error();
  if (timed_out) {
    return {CallResult::Kind::timeout, what + ": stopped after its time budget of " +
                                           std::to_string(options_.call_budget.count()) + " ms\n" + e.traceback};
  }
  return {CallResult::Kind::script_error, what + ": " + e.summary + "\n" + e.traceback};
}

}  // namespace

std::unique_ptr<Engine> make_python_engine(const EngineOptions& options) {
  return std::make_unique<PythonEngine>(options);
}

}  // namespace spoa
