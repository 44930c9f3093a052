// Starting PHP once per process, requests, the VM interrupt hook and PHP's log lines (see php_runtime.hpp).
//
// PHP is started the way the embed SAPI's php_embed_init() does it, with two differences:
//  * the INI settings below override php.ini (the embed SAPI's own php.ini and conf.d are still read, so
//    extensions configured there load): no error display on stdout, errors logged (to us, through the
//    SAPI's log_message), no output buffering, no max_execution_time (the agent has its own budget);
//  * PHP's signal layer (zend_signal_startup) is not started: the agent owns SIGTERM, SIGINT, SIGHUP and
//    SIGCHLD, and PHP must not wrap their handlers.
#include "agent/engines/php/php_runtime.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>

#include <syslog.h>

#include "agent/engines/php/php_api.hpp"
#include "agent/engines/php/php_errors.hpp"
#include "agent/engines/php/php_module.hpp"
#include "agent/engines/support/call_watchdog.hpp"

namespace spoa::php {

namespace {

Session g_session;
sapi_module_struct g_sapi;
bool g_module_started = false;
bool g_request_active = false;
void (*g_previous_interrupt)(zend_execute_data*) = nullptr;
std::string g_interrupt_location;
bool g_quiet = false;  // PHP's log lines are dropped (we report the problem ourselves)

char g_ini[] =
    "html_errors=0\n"
    "implicit_flush=1\n"
    "output_buffering=0\n"
    "max_execution_time=0\n"
    "max_input_time=-1\n"
    "display_errors=0\n"
    "display_startup_errors=0\n"
    "log_errors=1\n";

LogLevel level_of(int syslog_type) noexcept {
  if (syslog_type <= LOG_ERR) return LogLevel::error;
  if (syslog_type == LOG_WARNING) return LogLevel::warning;
  return LogLevel::info;  // notices, deprecations, error_log() from scripts
}

/// PHP's log lines ("PHP Warning:  Undefined variable $x in /a.php on line 3", error_log() calls) go to the
/// engine's log with the call's context. Fatal errors during a call or a load are left out: the call's
/// CallResult or the LoadError carries them, as one record.
void on_log_message(const char* message, int syslog_type) {
  const Session& s = g_session;
  if (g_quiet) return;
  if (s.options == nullptr || !s.options->log) {
    std::fprintf(stderr, "%s\n", message);
    return;
  }
  if (syslog_type <= LOG_ERR && (s.call != nullptr || s.loading != nullptr)) return;
  try {
    std::string text = message;
    if (s.call != nullptr) {
      text = describe(*s.call) + ": " + text;
    } else if (s.loading != nullptr) {
      text = s.loading->string() + ": " + text;
    }
    s.options->log(level_of(syslog_type), text);
  } catch (...) {  // a failing sink must not unwind through PHP
  }
}

int on_startup(sapi_module_struct* module) { return php_module_startup(module, spoa_module_entry()); }

void on_watchdog_signal(int) {}  // interrupts a blocking system call (EINTR); the VM flag does the rest

/// Chained into zend_interrupt_function: at the VM's next check (loop back-edge, function call or return)
/// after the deadline, unwind the handler the way exit() does. That "unwind exit" cannot be caught by
/// `catch (\Throwable)` and skips `finally` blocks, so a handler cannot swallow it; destructors still run.
void on_vm_interrupt(zend_execute_data* execute_data) {
  if (g_previous_interrupt != nullptr) g_previous_interrupt(execute_data);
  if (!CallWatchdog::instance().interrupting()) return;
  if (EG(exception) != nullptr && zend_is_unwind_exit(EG(exception))) return;  // already unwinding
  if (g_interrupt_location.empty()) {
    try {
      const char* function = get_active_function_name();
      const char* file = zend_get_executed_filename();
      g_interrupt_location = std::string("in ") + (function != nullptr ? function : "?") + "() at " +
                             (file != nullptr ? file : "?") + ":" + std::to_string(zend_get_executed_lineno());
    } catch (...) {
    }
  }
  zend_throw_unwind_exit();
}

/// At exit: end PHP as php_embed_shutdown() does, so that its module-lifetime allocations are freed (leak
/// checkers see none) and extensions' shutdown hooks run.
void stop_module() {
  if (!g_module_started) return;
  if (g_request_active) {
    php_request_shutdown(nullptr);
    g_request_active = false;
  }
  zend_interrupt_function = g_previous_interrupt;
  php_module_shutdown();
  sapi_shutdown();
  g_module_started = false;
}

void start_module() {
  if (g_module_started) return;
  g_sapi = php_embed_module;  // its output and flush callbacks: script output goes to our stdout
  sapi_startup(&g_sapi);      // copies the struct into PHP's sapi_module and clears ini_entries
  g_sapi.ini_entries = g_ini;
  g_sapi.log_message = &on_log_message;
  g_sapi.startup = &on_startup;
  g_sapi.additional_functions = nullptr;
  if (g_sapi.startup(&g_sapi) == FAILURE) throw std::runtime_error("php engine: PHP failed to start (module startup)");
  SG(options) |= SAPI_OPTION_NO_CHDIR;

  struct sigaction action {};
  action.sa_handler = &on_watchdog_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the blocking call must return
  sigaction(watchdog_signal(), &action, nullptr);
  g_previous_interrupt = zend_interrupt_function;
  zend_interrupt_function = &on_vm_interrupt;
  g_module_started = true;
  std::atexit(&stop_module);
}

/// memory_limit for this request, locked against ini_set() (PHP restores both at the end of the request).
std::string apply_memory_limit(std::size_t bytes) {
  const std::string value = std::to_string(bytes);
  zend_string* name = zend_string_init("memory_limit", sizeof "memory_limit" - 1, false);
  g_quiet = true;  // PHP's warning about a refused value: our message below says more
  const zend_result rc = zend_alter_ini_entry_chars(name, value.data(), value.size(), ZEND_INI_SYSTEM,
                                                    ZEND_INI_STAGE_RUNTIME);
  auto* entry = static_cast<zend_ini_entry*>(zend_hash_find_ptr(EG(ini_directives), name));
  g_quiet = false;
  zend_string_release(name);
  take_last_error();
  if (rc == FAILURE) {
    return "memory_limit of " + value + " bytes refused: PHP already uses " +
           std::to_string(zend_memory_usage(true)) + " bytes";
  }
  if (entry != nullptr) entry->modifiable = ZEND_INI_SYSTEM;  // ini_set('memory_limit', ...) now fails
  return {};
}

}  // namespace

Session& session() noexcept { return g_session; }

std::string start_request(std::size_t memory_limit) {
  start_module();
  if (php_request_startup() == FAILURE) throw std::runtime_error("php engine: PHP failed to start a request");
  g_request_active = true;
  SG(headers_sent) = 1;
  SG(request_info).no_headers = 1;
  return memory_limit > 0 ? apply_memory_limit(memory_limit) : std::string();
}

void end_request() noexcept {
  if (!g_request_active) return;
  php_request_shutdown(nullptr);
  g_request_active = false;
}

bool request_active() noexcept { return g_request_active; }

int watchdog_signal() noexcept { return SIGRTMIN + 7; }

void request_vm_interrupt(void* /*context*/, std::uint64_t /*call*/) noexcept { zend_atomic_bool_store(&EG(vm_interrupt), true); }

std::string take_interrupt_location() {
  std::string out;
  out.swap(g_interrupt_location);
  return out;
}

LastError take_last_error() {
  LastError out;
  if (PG(last_error_message) == nullptr) return out;
  out.type = PG(last_error_type);
  out.message = std::string(view(PG(last_error_message)));
  if (PG(last_error_file) != nullptr) out.file = std::string(view(PG(last_error_file)));
  out.line = static_cast<std::uint32_t>(PG(last_error_lineno));
  // What error_clear_last() does.
  PG(last_error_type) = 0;
  PG(last_error_lineno) = 0;
  zend_string_release(PG(last_error_message));
  PG(last_error_message) = nullptr;
  if (PG(last_error_file) != nullptr) {
    zend_string_release(PG(last_error_file));
    PG(last_error_file) = nullptr;
  }
  return out;
}

std::string LastError::label() const {
  switch (type) {
    case E_ERROR:
    case E_CORE_ERROR:
    case E_COMPILE_ERROR:
    case E_USER_ERROR:
      return "PHP Fatal error";
    case E_RECOVERABLE_ERROR:
      return "PHP Recoverable fatal error";
    case E_PARSE:
      return "PHP Parse error";
    case E_WARNING:
    case E_CORE_WARNING:
    case E_COMPILE_WARNING:
    case E_USER_WARNING:
      return "PHP Warning";
    case E_NOTICE:
    case E_USER_NOTICE:
      return "PHP Notice";
    case E_DEPRECATED:
    case E_USER_DEPRECATED:
      return "PHP Deprecated";
    default:
      return "PHP error";
  }
}

}  // namespace spoa::php
