// PhpEngine: the Engine interface over the process's PHP runtime.
//
// Calls from C into PHP run under a frame of our own (an internal function, "spoa\handle") so that an
// exception a handler throws stays in EG(exception) for us to report, instead of becoming PHP's "Uncaught
// exception" fatal error. Fatal errors (E_ERROR, memory_limit, E_USER_ERROR) leave PHP by longjmp to our
// zend_try; PHP's state is not trustworthy afterwards, so the engine ends the request and starts a new one,
// running its scripts again (globals start over; the worker keeps serving).
#include "agent/engines/php/php_engine.hpp"

#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "agent/engines/php/php_api.hpp"
#include "agent/engines/php/php_errors.hpp"
#include "agent/engines/php/php_handlers.hpp"
#include "agent/engines/php/php_module.hpp"
#include "agent/engines/php/php_runtime.hpp"
#include "agent/engines/php/php_values.hpp"
#include "agent/engines/support/call_watchdog.hpp"

namespace spoa {

namespace {

bool g_engine_alive = false;

/// Makes our internal frame the current one for the lifetime of the object (also after a bailout).
class EngineFrame {
 public:
  EngineFrame() noexcept : saved_(EG(current_execute_data)) {
    std::memset(&frame_, 0, sizeof frame_);
    frame_.func = php::engine_frame_function();
    EG(current_execute_data) = &frame_;
  }
  ~EngineFrame() { EG(current_execute_data) = saved_; }
  EngineFrame(const EngineFrame&) = delete;
  EngineFrame& operator=(const EngineFrame&) = delete;

 private:
  zend_execute_data frame_;
  zend_execute_data* saved_;
};

/// Points the Session at a load for the scope's lifetime.
class LoadScope {
 public:
  LoadScope(php::HandlerTable& handlers, const std::filesystem::path& file) noexcept {
    php::session().handlers = &handlers;
    php::session().loading = &file;
  }
  ~LoadScope() {
    php::session().handlers = nullptr;
    php::session().loading = nullptr;
  }
  LoadScope(const LoadScope&) = delete;
  LoadScope& operator=(const LoadScope&) = delete;
};

/// Points the Session at a handler call for the scope's lifetime.
class CallScope {
 public:
  CallScope(const CallInfo& call, spop::AckBuilder& actions) noexcept {
    php::session().call = &call;
    php::session().actions = &actions;
  }
  ~CallScope() {
    php::session().call = nullptr;
    php::session().actions = nullptr;
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;
};

/// How a run of PHP code ended.
struct Outcome {
  bool bailed_out = false;  ///< a fatal error (PG(last_error_*) says which)
  bool compiled = true;     ///< false: the file did not compile (an exception or a fatal error says why)
  php::PhpException exception;
};

/// Runs `body` under zend_try: true if PHP left it by longjmp (a fatal error). The setjmp lives in this small
/// function that is never inlined and whose only local is volatile, so the longjmp can clobber no C++ object
/// of a caller; `body` itself must not keep objects with destructors alive while PHP runs.
[[gnu::noinline]] bool bailed_out(void (*body)(void*), void* context) noexcept {
  volatile bool bailed = false;
  zend_try { body(context); }
  zend_catch { bailed = true; }
  zend_end_try();
  return bailed;
}

template <typename Body>
bool bails_out(Body& body) noexcept {
  return bailed_out([](void* context) { (*static_cast<Body*>(context))(); }, &body);
}

/// Compiles and runs `file` as top-level code. No frame of ours here: top-level code gets the global symbol
/// table only when no frame is current, and an exception it does not catch stays in EG(exception) anyway.
Outcome run_file(const std::string& file) {
  Outcome out;
  zend_file_handle handle;
  zend_stream_init_filename(&handle, file.c_str());
  bool compiled = true;
  auto body = [&handle, &compiled] {
    zend_op_array* code = zend_compile_file(&handle, ZEND_REQUIRE);
    if (handle.opened_path != nullptr) zend_hash_add_empty_element(&EG(included_files), handle.opened_path);
    if (code == nullptr) {
      compiled = false;
      return;
    }
    zval result;
    ZVAL_UNDEF(&result);
    zend_execute(code, &result);
    zval_ptr_dtor(&result);
    zend_destroy_static_vars(code);
    destroy_op_array(code);
    efree_size(code, sizeof(zend_op_array));
  };
  out.bailed_out = bails_out(body);
  out.compiled = compiled;
  if (!out.bailed_out) out.exception = php::take_exception();
  zend_destroy_file_handle(&handle);
  return out;
}

/// Calls `handler` with $args built from `args`.
Outcome run_handler(php::Handler& handler, std::span<const spop::Argument> args) {
  Outcome out;
  EngineFrame frame;
  auto body = [&handler, args] {
    zval list;
    php::make_args(args, &list);
    zval result;
    ZVAL_UNDEF(&result);
    zend_fcall_info call = empty_fcall_info;
    call.size = sizeof call;
    ZVAL_COPY_VALUE(&call.function_name, &handler.callable);
    call.retval = &result;
    call.params = &list;
    call.param_count = 1;
    zend_call_function(&call, &handler.cache);
    zval_ptr_dtor(&result);
    zval_ptr_dtor(&list);
  };
  out.bailed_out = bails_out(body);
  if (!out.bailed_out) out.exception = php::take_exception();
  return out;
}

/// E_ERROR and the other error types after which PHP does not go on with the script.
bool is_fatal(int type) {
  return (type & (E_ERROR | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_RECOVERABLE_ERROR | E_PARSE)) != 0;
}

/// A fatal error ended the code: PHP left by longjmp, or (memory_limit, Debian's "delayed OOM") unwound the
/// stack the way exit() does after recording the error. Takes the error into `error`.
bool ended_by_fatal_error(const Outcome& outcome, php::LastError& error) {
  if (!outcome.bailed_out && !outcome.exception.unwind_exit) return false;
  error = php::take_last_error();
  return outcome.bailed_out || is_fatal(error.type);
}

/// "/a.php:3: PHP Fatal error:  message" from PHP's last error.
std::string fatal_text(const php::LastError& e) {
  if (e.type == 0) return "PHP fatal error (no message)";
  std::string text = e.label() + ":  " + e.message;
  if (!e.file.empty()) text = e.file + ":" + std::to_string(e.line) + ": " + text;
  return text;
}

class PhpEngine final : public Engine {
 public:
  explicit PhpEngine(const EngineOptions& options) : options_(options) {
    // A second engine comes only from a reload, which builds the new scripts beside the old ones.
    if (g_engine_alive) {
      throw std::runtime_error("PHP scripts cannot be reloaded in a running worker (one PHP runtime per process): "
                               "restart the agent to load changed PHP scripts");
    }
    memory_error_ = php::start_request(options_.memory_limit);
    g_engine_alive = true;
    php::session().options = &options_;
    watchdog_ = &CallWatchdog::instance();
  }

  ~PhpEngine() override {
    release_handlers();
    php::end_request();
    php::session() = php::Session{};
    g_engine_alive = false;
  }

  PhpEngine(const PhpEngine&) = delete;
  PhpEngine& operator=(const PhpEngine&) = delete;

  std::string_view language() const noexcept override { return "php"; }
  void load(const std::filesystem::path& file) override;
  std::vector<Registration> registrations() const override { return handlers_.registrations(); }
  CallResult call(const CallInfo& info, std::span<const spop::Argument> args, spop::AckBuilder& actions) override;

 private:
  /// Runs one script; on failure takes back its registrations and returns the LoadError text.
  std::string run_script(const std::filesystem::path& file);
  /// After a fatal error: a new request with every loaded script run again. Returns "" or why it failed.
  std::string restart();
  void release_handlers() noexcept;
  CallResult failure(const CallInfo& info, Outcome& outcome, bool timed_out);

  EngineOptions options_;
  php::HandlerTable handlers_;
  std::vector<std::filesystem::path> files_;  // loaded successfully, in order: what restart() runs again
  std::string memory_error_;                  // memory_limit refused by PHP: every load fails with it
  std::string broken_;                        // a restart failed: every call fails with it
  CallWatchdog* watchdog_ = nullptr;
};

void PhpEngine::release_handlers() noexcept {
  if (!php::request_active()) return;
  EngineFrame frame;
  auto body = [this] { handlers_.clear(); };
  bails_out(body);
  php::take_exception();  // a destructor that threw
}

std::string PhpEngine::run_script(const std::filesystem::path& file) {
  const std::size_t before = handlers_.size();
  Outcome outcome;
  {
    LoadScope scope(handlers_, file);
    outcome = run_file(file.string());
  }
  if (!outcome.bailed_out && !outcome.exception.present && outcome.compiled) return {};

  std::string text;
  php::LastError error;
  const bool fatal = ended_by_fatal_error(outcome, error);
  if (fatal) {
    text = fatal_text(error);
  } else if (outcome.exception.unwind_exit) {
    text = file.string() + ": exit() called while loading the script";
  } else if (outcome.exception.present) {
    const php::PhpException& e = outcome.exception;
    text = (e.file.empty() ? file.string() : e.file) + ":" + std::to_string(e.line) + ": " + e.summary + "\n" + e.text;
  } else {
    text = fatal_text(php::take_last_error());  // did not compile, without an exception
  }
  if (text.rfind(file.string(), 0) != 0) text = file.string() + ": " + text;  // name the script first
  if (fatal) {
    // PHP's state cannot be trusted after a fatal error: start over with the scripts that loaded.
    const std::string why = restart();
    if (!why.empty()) text += "\n(" + why + ")";
  } else {
    EngineFrame frame;
    auto body = [this, before] { handlers_.truncate(before); };  // a file that fails registers nothing
    bails_out(body);
  }
  return text;
}

void PhpEngine::load(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  if (ec) throw LoadError(file.string() + ": cannot read script: " + ec.message());
  absolute = absolute.lexically_normal();
  if (!std::filesystem::exists(absolute, ec)) {
    throw LoadError(absolute.string() + ": cannot read script: " + (ec ? ec.message() : "no such file"));
  }
  if (std::filesystem::is_directory(absolute, ec)) throw LoadError(absolute.string() + ": cannot read script: is a directory");
  if (!memory_error_.empty()) throw LoadError(absolute.string() + ": " + memory_error_);
  if (!broken_.empty()) throw LoadError(absolute.string() + ": " + broken_);
  std::string error = run_script(absolute);
  if (!error.empty()) throw LoadError(error);
  files_.push_back(std::move(absolute));
}

std::string PhpEngine::restart() {
  release_handlers();
  php::end_request();
  try {
    memory_error_ = php::start_request(options_.memory_limit);
  } catch (const std::exception& e) {
    broken_ = std::string("the PHP request could not be restarted after a fatal error: ") + e.what();
    return broken_;
  }
  for (const auto& file : files_) {
    std::string error = run_script(file);
    if (!error.empty()) {
      broken_ = "running the scripts again after a fatal error failed: " + error;
      return broken_;
    }
  }
  return "the PHP request was restarted and the scripts were run again: their globals start over";
}

CallResult PhpEngine::call(const CallInfo& info, std::span<const spop::Argument> args, spop::AckBuilder& actions) {
  if (!broken_.empty()) return {CallResult::Kind::script_error, php::describe(info) + ": " + broken_};
  php::Handler* handler = handlers_.find(info.message);
  if (handler == nullptr) {
    return {CallResult::Kind::script_error, php::describe(info) + ": no PHP handler is registered for this message"};
  }
  const bool budgeted = options_.call_budget.count() > 0;
  Outcome outcome;
  bool timed_out = false;
  {
    CallScope scope(info, actions);
    if (budgeted) watchdog_->arm(options_.call_budget, {php::watchdog_signal(), &php::request_vm_interrupt, nullptr});
    outcome = run_handler(*handler, args);
    timed_out = budgeted && watchdog_->disarm();
  }
  if (!outcome.bailed_out && !outcome.exception.present && !timed_out) return {};
  return failure(info, outcome, timed_out);
}

CallResult PhpEngine::failure(const CallInfo& info, Outcome& outcome, bool timed_out) {
  const std::string what = php::describe(info);
  const std::string budget = std::to_string(options_.call_budget.count()) + " ms";
  const std::string where = php::take_interrupt_location();
  if (php::LastError e; ended_by_fatal_error(outcome, e)) {
    CallResult result{CallResult::Kind::script_error, what + ": " + fatal_text(e)};
    if (e.message.rfind("Allowed memory size", 0) == 0) result.kind = CallResult::Kind::out_of_memory;
    else if (timed_out) result.kind = CallResult::Kind::timeout;
    result.detail += "\n(" + restart() + ")";
    return result;
  }
  const php::PhpException& e = outcome.exception;
  if (timed_out) {
    std::string detail = what + ": stopped after its time budget of " + budget;
    if (!where.empty()) detail += " " + where;
    if (e.present && !e.unwind_exit) detail += "\n" + e.text;
    return {CallResult::Kind::timeout, detail};
  }
  if (e.unwind_exit) return {CallResult::Kind::script_error, what + ": the handler called exit()"};
  return {CallResult::Kind::script_error, what + ": " + e.text};
}

}  // namespace

std::unique_ptr<Engine> make_php_engine(const EngineOptions& options) { return std::make_unique<PhpEngine>(options); }

}  // namespace spoa
