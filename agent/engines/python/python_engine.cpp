// PythonEngine: the Engine interface over the process's embedded interpreter.
//
// All engines of a process share one interpreter (started by the first one, never finalised, so that
// later engines keep working); each engine owns its handlers and the modules its scripts ran in. Any thread
// may drive an engine, several at once (the worker's executor threads): each entry point holds the GIL
// through a GilScope. The thread that started the interpreter holds the GIL until it calls leave_thread().
#include "agent/engines/python/python_engine.hpp"

#include <string>
#include <utility>
#include <vector>

#include "agent/engines/python/python_api.hpp"
#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_gil.hpp"
#include "agent/engines/python/python_handlers.hpp"
#include "agent/engines/python/python_runtime.hpp"
#include "agent/engines/python/python_script.hpp"
#include "agent/engines/python/python_values.hpp"
#include "agent/engines/python/python_watchdog.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa {

namespace {

using python::Ref;

class PythonEngine final : public Engine {
 public:
  explicit PythonEngine(const EngineOptions& options) : options_(options) {
    const python::Runtime& rt = python::start_runtime();
    python::GilScope gil;
    python::watchdog();  // installs the signal's Python handler on the interpreter's thread
    static bool notes_logged = false;  // start-up remarks concern the process, not each engine
    if (!notes_logged && options_.log) {
      for (const std::string& note : rt.notes) options_.log(LogLevel::info, note);
    }
    notes_logged = true;
  }

  ~PythonEngine() override {
    python::GilScope gil;  // the references below are released under it
    handlers_ = python::HandlerTable{};
    modules_.clear();
  }
  PythonEngine(const PythonEngine&) = delete;
  PythonEngine& operator=(const PythonEngine&) = delete;

  std::string_view language() const noexcept override { return "python"; }
  ThreadModel thread_model() const noexcept override { return ThreadModel::shared; }
  void leave_thread() noexcept override { python::release_gil(); }

  void load(const std::filesystem::path& file) override {
    python::GilScope gil;
    const std::size_t before = handlers_.size();
    python::LoadScope scope(options_, handlers_, file);
    try {
      modules_.push_back(python::run_script(file));
    } catch (...) {
      handlers_.truncate(before);  // a failed file registers nothing
      throw;
    }
  }

  std::vector<Registration> registrations() const override { return handlers_.registrations(); }

  CallResult call(const CallInfo& info, std::span<const spop::Argument> args, spop::AckBuilder& actions) override;

 private:
  CallResult failure(const CallInfo& info, bool timed_out);

  EngineOptions options_;
  python::HandlerTable handlers_;
  std::vector<Ref> modules_;  // the scripts' __main__ modules: their globals live as long as the handlers
};

CallResult PythonEngine::call(const CallInfo& info, std::span<const spop::Argument> args,
                              spop::AckBuilder& actions) {
  python::GilScope gil;
  PyObject* handler = handlers_.find(info.message);
  if (handler == nullptr) {
    return {CallResult::Kind::script_error,
            python::describe(info) + ": no Python handler is registered for this message"};
  }
  Ref list(python::make_args_list(args));
  if (!list) {
    python::PythonError e = python::take_error();
    return {CallResult::Kind::script_error, python::describe(info) + ": cannot convert the arguments: " + e.summary};
  }

  python::CallScope scope(options_, info, actions);
  const bool budgeted = options_.call_budget.count() > 0;
  if (budgeted) python::start_budget(options_.call_budget);
  // fn(args=list): one keyword argument, passed by vectorcall without building a kwargs dict. Slot 0 is
  // scratch space that PY_VECTORCALL_ARGUMENTS_OFFSET lets the callee use.
  PyObject* stack[2] = {nullptr, list.get()};
  Ref result(PyObject_Vectorcall(handler, stack + 1, 0 | PY_VECTORCALL_ARGUMENTS_OFFSET, python::runtime().kwnames_args));
  const bool timed_out = budgeted && python::end_budget();

  if (result && !timed_out) return {};
  return failure(info, timed_out);
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
