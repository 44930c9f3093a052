// The `spoa` PHP module (see php_module.hpp).
//
// PHP functions cannot let a C++ exception out, and a PHP fatal error (out of memory) leaves by longjmp, so
// the functions below format their messages into fixed buffers and keep no object with a destructor alive
// while PHP may allocate.
#include "agent/engines/php/php_module.hpp"

#include <array>
#include <limits>

#include <ext/spl/spl_exceptions.h>

#include "agent/engines/php/php_arginfo.hpp"
#include "agent/engines/php/php_errors.hpp"
#include "agent/engines/php/php_handlers.hpp"
#include "agent/engines/php/php_runtime.hpp"
#include "agent/engines/php/php_state_api.hpp"
#include "spop/ack_builder.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spoa::php {

namespace {

zend_class_entry* g_exception = nullptr;
zend_internal_function g_frame_function{};

constexpr std::size_t message_size = 512;

/// Throws spoa\Exception with a printf-style message prefixed by "spoa\<function>(): ".
[[gnu::format(printf, 2, 3)]] void raise(const char* function, const char* format, ...) {
  char text[message_size];
  int used = std::snprintf(text, sizeof text, "spoa\\%s(): ", function);
  if (used < 0) used = 0;
  va_list args;
  va_start(args, format);
  std::vsnprintf(text + used, sizeof text - static_cast<std::size_t>(used), format, args);
  va_end(args);
  zend_throw_exception(g_exception, text, 0);
}

/// The (name, scope) pair every setter starts with.
struct Target {
  const char* name = nullptr;  // PHP-owned, valid during the call
  std::size_t name_length = 0;
  spop::Scope scope = spop::Scope::txn;
};

bool check_scope(zend_long scope, Target& target) {
  if (scope < 0 || scope > 4) {
    zend_argument_value_error(2, "must be a scope, spoa\\SCOPE_PROC .. spoa\\SCOPE_RES (0..4), " ZEND_LONG_FMT
                                 " given", scope);
    return false;
  }
  target.scope = static_cast<spop::Scope>(scope);
  return true;
}

spop::AckBuilder* running_ack(const char* function) {
  spop::AckBuilder* ack = session().actions;
  if (ack == nullptr) {
    raise(function, "no message is being handled (variables can only be set from a handler registered with "
                    "spoa\\register_message)");
  }
  return ack;
}

/// "txn.name" for messages; the name is cut to fit.
void label(const Target& target, char (&out)[160]) {
  const auto scope = spop::to_string(target.scope);
  std::snprintf(out, sizeof out, "%.*s.%.*s", static_cast<int>(scope.size()), scope.data(),
                static_cast<int>(std::min<std::size_t>(target.name_length, 120)), target.name);
}

void log_dropped(const Target& target) noexcept {
  const Session& s = session();
  if (s.options == nullptr || !s.options->log) return;
  try {
    char var[160];
    label(target, var);
    std::string text = std::string("php: variable ") + var + " not set: the ACK is full (max-frame-size reached)";
    if (s.call != nullptr) text = describe(*s.call) + ": " + text;
    s.options->log(LogLevel::warning, text);
  } catch (...) {  // logging must never take the call down
  }
}

/// Appends SET-VAR (or UNSET-VAR when `value` is null) to the running call's ACK; throws spoa\Exception
/// when there is no call or the ACK is full.
void append(const char* function, const Target& target, const spop::Value* value) {
  spop::AckBuilder* ack = running_ack(function);
  if (ack == nullptr) return;
  spop::Errc rc = spop::Errc::ok;
  try {
    const std::string_view name(target.name, target.name_length);
    rc = value != nullptr ? ack->set_var(target.scope, name, *value) : ack->unset_var(target.scope, name);
  } catch (...) {  // std::bad_alloc while growing the ACK buffer
    rc = spop::Errc::frame_too_big;
  }
  if (rc == spop::Errc::ok) return;
  char var[160];
  label(target, var);
  if (rc == spop::Errc::frame_too_big) {
    log_dropped(target);
    raise(function, "variable %s not set: the ACK is full (max-frame-size reached, %zu bytes left)", var,
          ack->remaining());
    return;
  }
  raise(function, "variable %s not set: cannot append to the ACK", var);
}

/// Parses (string $name, int $scope) and the value format `value_spec` ("" for none).
template <typename... Values>
bool parse(zend_execute_data* execute_data, const char* spec, Target& target, Values*... values) {
  zend_long scope = 0;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), spec, &target.name, &target.name_length, &scope, values...) == FAILURE) {
    return false;
  }
  return check_scope(scope, target);
}

// ---- setters ------------------------------------------------------------------------------------------

void set_var_null(zend_execute_data* execute_data, zval* /*return_value*/) {
  Target target;
  if (!parse(execute_data, "sl", target)) return;
  const spop::Value v = spop::Value::null();
  append("set_var_null", target, &v);
}

void set_var_boolean(zend_execute_data* execute_data, zval* /*return_value*/) {
  Target target;
  bool value = false;
  if (!parse(execute_data, "slb", target, &value)) return;
  const spop::Value v = spop::Value::boolean(value);
  append("set_var_boolean", target, &v);
}

template <spop::DataType Type>
void set_var_integer(zend_execute_data* execute_data, zval* /*return_value*/) {
  static constexpr const char* function = Type == spop::DataType::int32    ? "set_var_int32"
                                          : Type == spop::DataType::uint32 ? "set_var_uint32"
                                                                           : "set_var_int64";
  Target target;
  zend_long value = 0;
  if (!parse(execute_data, "sll", target, &value)) return;
  spop::Value v;
  if constexpr (Type == spop::DataType::int32) {
    if (value < std::numeric_limits<std::int32_t>::min() || value > std::numeric_limits<std::int32_t>::max()) {
      zend_argument_value_error(3, "must be between -2147483648 and 2147483647 (int32), " ZEND_LONG_FMT " given",
                                value);
      return;
    }
    v = spop::Value::int32(static_cast<std::int32_t>(value));
  } else if constexpr (Type == spop::DataType::uint32) {
    if (value < 0 || value > static_cast<zend_long>(std::numeric_limits<std::uint32_t>::max())) {
      zend_argument_value_error(3, "must be between 0 and 4294967295 (uint32), " ZEND_LONG_FMT " given", value);
      return;
    }
    v = spop::Value::uint32(static_cast<std::uint32_t>(value));
  } else {
    v = spop::Value::int64(static_cast<std::int64_t>(value));  // every PHP int is an int64
  }
  append(function, target, &v);
}

/// A decimal string of digits only, up to 2^64-1.
bool parse_uint64_text(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

void set_var_uint64(zend_execute_data* execute_data, zval* /*return_value*/) {
  Target target;
  zval* value = nullptr;
  if (!parse(execute_data, "slz", target, &value)) return;
  std::uint64_t u = 0;
  if (Z_TYPE_P(value) == IS_LONG) {
    if (Z_LVAL_P(value) < 0) {
      zend_argument_value_error(3, "must be between 0 and 18446744073709551615 (uint64), " ZEND_LONG_FMT " given",
                                Z_LVAL_P(value));
      return;
    }
    u = static_cast<std::uint64_t>(Z_LVAL_P(value));
  } else if (Z_TYPE_P(value) == IS_STRING) {
    if (!parse_uint64_text(view(Z_STR_P(value)), u)) {
      zend_argument_value_error(3, "must be a decimal string between 0 and 18446744073709551615 (uint64), "
                                   "\"%.64s\" given", Z_STRVAL_P(value));
      return;
    }
  } else {
    zend_argument_type_error(3, "must be of type int|string, %s given", zend_zval_type_name(value));
    return;
  }
  const spop::Value v = spop::Value::uint64(u);
  append("set_var_uint64", target, &v);
}

template <spop::DataType Type>
void set_var_address(zend_execute_data* execute_data, zval* /*return_value*/) {
  static constexpr bool v4 = Type == spop::DataType::ipv4;
  Target target;
  char* text = nullptr;
  std::size_t length = 0;
  if (!parse(execute_data, "sls", target, &text, &length)) return;
  spop::Value v;
  bool parsed = false;
  try {
    if constexpr (v4) {
      spop::Ipv4Address a{};
      parsed = spop::parse_ipv4({text, length}, a);
      if (parsed) v = spop::Value::ipv4(a);
    } else {
      spop::Ipv6Address a{};
      parsed = spop::parse_ipv6({text, length}, a);
      if (parsed) v = spop::Value::ipv6(a);
    }
  } catch (...) {  // a parser that throws counts as a refusal
  }
  if (!parsed) {
    zend_argument_value_error(3, "must be an %s address, \"%.64s\" given", v4 ? "IPv4" : "IPv6", text);
    return;
  }
  append(v4 ? "set_var_ipv4" : "set_var_ipv6", target, &v);
}

template <spop::DataType Type>
void set_var_bytes(zend_execute_data* execute_data, zval* /*return_value*/) {
  Target target;
  char* bytes = nullptr;
  std::size_t length = 0;
  if (!parse(execute_data, "sls", target, &bytes, &length)) return;
  const std::string_view b(bytes, length);
  const spop::Value v = Type == spop::DataType::string ? spop::Value::string(b) : spop::Value::binary(b);
  append(Type == spop::DataType::string ? "set_var_str" : "set_var_bin", target, &v);
}

void unset_var(zend_execute_data* execute_data, zval* /*return_value*/) {
  Target target;
  if (!parse(execute_data, "sl", target)) return;
  append("unset_var", target, nullptr);
}

// ---- registration and logging -------------------------------------------------------------------------

void register_message(zend_execute_data* execute_data, zval* /*return_value*/) {
  zend_string* name = nullptr;
  zend_fcall_info fci = empty_fcall_info;
  zend_fcall_info_cache fcc = empty_fcall_info_cache;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), "Sf", &name, &fci, &fcc) == FAILURE) return;
  if (ZSTR_LEN(name) == 0) {
    zend_argument_value_error(1, "must not be empty");
    return;
  }
  Session& s = session();
  if (s.handlers == nullptr || s.loading == nullptr) {
    raise("register_message", "message '%.200s' registered outside of a script load (register handlers at the "
                              "top level of the script)", ZSTR_VAL(name));
    return;
  }
  const Registration* taken = nullptr;
  try {
    taken = s.handlers->add(view(name), &fci.function_name, fcc, *s.loading);
  } catch (...) {
    raise("register_message", "not enough memory");
    return;
  }
  if (taken != nullptr) {
    raise("register_message", "message '%.200s' is already registered by %.400s", ZSTR_VAL(name),
          taken->file.c_str());
  }
}

constexpr std::array<const char*, 6> level_names{"trace", "debug", "info", "warning", "error", "critical"};

bool level_of(zval* level, LogLevel& out) {
  if (Z_TYPE_P(level) == IS_LONG) {
    if (Z_LVAL_P(level) >= 0 && Z_LVAL_P(level) < static_cast<zend_long>(level_names.size())) {
      out = static_cast<LogLevel>(Z_LVAL_P(level));
      return true;
    }
  } else if (Z_TYPE_P(level) == IS_STRING) {
    const std::string_view given = view(Z_STR_P(level));
    for (std::size_t i = 0; i < level_names.size(); ++i) {
      if (given == level_names[i]) {
        out = static_cast<LogLevel>(i);
        return true;
      }
    }
    if (given == "warn") {
      out = LogLevel::warning;
      return true;
    }
  } else {
    zend_argument_type_error(1, "must be of type int|string, %s given", zend_zval_type_name(level));
    return false;
  }
  zend_argument_value_error(1, "must be spoa\\LOG_TRACE .. spoa\\LOG_CRITICAL (0..5) or one of \"trace\", "
                               "\"debug\", \"info\", \"warning\", \"error\", \"critical\"");
  return false;
}

void send_log(LogLevel level, std::string_view text) noexcept {
  const Session& s = session();
  if (s.options == nullptr || !s.options->log) return;
  try {
    std::string record;
    if (s.call != nullptr) {
      record = describe(*s.call) + ": ";
    } else if (s.loading != nullptr) {
      record = s.loading->string() + ": ";
    }
    record += text;
    s.options->log(level, record);
  } catch (...) {
  }
}

void log(zend_execute_data* execute_data, zval* /*return_value*/) {
  zval* level_arg = nullptr;
  char* text = nullptr;
  std::size_t length = 0;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), "zs", &level_arg, &text, &length) == FAILURE) return;
  LogLevel level = LogLevel::info;
  if (!level_of(level_arg, level)) return;
  send_log(level, {text, length});
}

// ---- argument information (what reflection and named arguments see) ------------------------------------

using namespace arginfo;

const zend_internal_arg_info arginfo_register[] = {returns(2, type_void), param("name", type_string),
                                                  param("handler", type_callable)};
const zend_internal_arg_info arginfo_name_scope[] = {returns(2, type_void), param("name", type_string),
                                                    param("scope", type_long)};
const zend_internal_arg_info arginfo_bool[] = {returns(3, type_void), param("name", type_string),
                                              param("scope", type_long), param("value", type_bool)};
const zend_internal_arg_info arginfo_int[] = {returns(3, type_void), param("name", type_string),
                                             param("scope", type_long), param("value", type_long)};
const zend_internal_arg_info arginfo_uint64[] = {returns(3, type_void), param("name", type_string),
                                                param("scope", type_long), param("value", type_long | type_string)};
const zend_internal_arg_info arginfo_string[] = {returns(3, type_void), param("name", type_string),
                                                param("scope", type_long), param("value", type_string)};
const zend_internal_arg_info arginfo_log[] = {returns(2, type_void), param("level", type_long | type_string),
                                             param("text", type_string)};

const zend_function_entry g_functions[] = {
    {"spoa\\register_message", &register_message, arginfo_register, arguments(arginfo_register), 0},
    {"spoa\\set_var_null", &set_var_null, arginfo_name_scope, arguments(arginfo_name_scope), 0},
    {"spoa\\set_var_boolean", &set_var_boolean, arginfo_bool, arguments(arginfo_bool), 0},
    {"spoa\\set_var_int32", &set_var_integer<spop::DataType::int32>, arginfo_int, arguments(arginfo_int), 0},
    {"spoa\\set_var_uint32", &set_var_integer<spop::DataType::uint32>, arginfo_int, arguments(arginfo_int), 0},
    {"spoa\\set_var_int64", &set_var_integer<spop::DataType::int64>, arginfo_int, arguments(arginfo_int), 0},
    {"spoa\\set_var_uint64", &set_var_uint64, arginfo_uint64, arguments(arginfo_uint64), 0},
    {"spoa\\set_var_ipv4", &set_var_address<spop::DataType::ipv4>, arginfo_string, arguments(arginfo_string), 0},
    {"spoa\\set_var_ipv6", &set_var_address<spop::DataType::ipv6>, arginfo_string, arguments(arginfo_string), 0},
    {"spoa\\set_var_str", &set_var_bytes<spop::DataType::string>, arginfo_string, arguments(arginfo_string), 0},
    {"spoa\\set_var_bin", &set_var_bytes<spop::DataType::binary>, arginfo_string, arguments(arginfo_string), 0},
    {"spoa\\unset_var", &unset_var, arginfo_name_scope, arguments(arginfo_name_scope), 0},
    {"spoa\\log", &log, arginfo_log, arguments(arginfo_log), 0},
    {nullptr, nullptr, nullptr, 0, 0},
};

void constant(const char* name, zend_long value, int module_number) {
  zend_register_long_constant(name, std::strlen(name), value, CONST_PERSISTENT, module_number);
}

zend_result module_startup(int /*type*/, int module_number) {
  constant("spoa\\SCOPE_PROC", 0, module_number);
  constant("spoa\\SCOPE_SESS", 1, module_number);
  constant("spoa\\SCOPE_TXN", 2, module_number);
  constant("spoa\\SCOPE_REQ", 3, module_number);
  constant("spoa\\SCOPE_RES", 4, module_number);
  constexpr const char* levels[] = {"spoa\\LOG_TRACE", "spoa\\LOG_DEBUG", "spoa\\LOG_INFO",
                                    "spoa\\LOG_WARNING", "spoa\\LOG_ERROR", "spoa\\LOG_CRITICAL"};
  for (std::size_t i = 0; i < std::size(levels); ++i) constant(levels[i], static_cast<zend_long>(i), module_number);

  zend_class_entry ce{};
  ce.name = zend_string_init_interned("spoa\\Exception", sizeof "spoa\\Exception" - 1, true);
  ce.info.internal.builtin_functions = nullptr;
  g_exception = zend_register_internal_class_ex(&ce, spl_ce_RuntimeException);
  register_state_api(g_exception);  // spoa\StateError and spoa\state_get/set/incr/del

  // Interned now, at module start-up: such strings live as long as the process.
  g_frame_function.type = ZEND_INTERNAL_FUNCTION;
  g_frame_function.function_name = zend_string_init_interned("spoa\\handle", sizeof "spoa\\handle" - 1, true);
  return SUCCESS;
}

zend_module_entry g_module = {
    sizeof(zend_module_entry), ZEND_MODULE_API_NO, ZEND_DEBUG, USING_ZTS, nullptr, nullptr,
    "spoa", g_functions, &module_startup, nullptr, nullptr, nullptr, nullptr, "1.0",
    0, nullptr, nullptr, nullptr, nullptr, 0, 0, nullptr, 0, ZEND_MODULE_BUILD_ID,
};

}  // namespace

zend_module_entry* spoa_module_entry() noexcept { return &g_module; }

zend_class_entry* exception_class() noexcept { return g_exception; }

zend_function* engine_frame_function() noexcept { return reinterpret_cast<zend_function*>(&g_frame_function); }

}  // namespace spoa::php
