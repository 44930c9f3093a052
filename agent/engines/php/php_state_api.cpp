// spoa\state_get/set/incr/del (see php_state_api.hpp).
//
// As in php_module.cpp: no C++ exception may leave into PHP, and a PHP fatal error (out of memory while
// making the result string) leaves by longjmp. So the store is called from a noexcept helper that leaves its
// result, or the error text, in a static scratch area (PHP is not thread-safe here: one thread drives it),
// and the PHP-facing code keeps no object with a destructor alive while PHP allocates.
#include "agent/engines/php/php_state_api.hpp"

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "agent/engines/php/php_arginfo.hpp"
#include "agent/engines/php/php_runtime.hpp"
#include "agent/engines/shared_store.hpp"

namespace spoa::php::state_binding {

namespace {

zend_class_entry* g_state_error = nullptr;

struct Scratch {
  std::optional<StateValue> value;
  std::int64_t integer = 0;
  bool existed = false;
  char error[640] = {};
};

Scratch scratch;

/// Throws spoa\StateError with "spoa\<fn>(): <text>".
void throw_state_error(const char* fn, const char* text) {
  char message[sizeof scratch.error + 64];
  std::snprintf(message, sizeof message, "spoa\\%s(): %s", fn, text);
  zend_throw_exception(g_state_error, message, 0);
}

/// The engine's store; null (with spoa\StateError thrown) when none is configured.
SharedStore* store_of(const char* fn) {
  const Session& s = session();
  SharedStore* store = s.options != nullptr ? s.options->state.get() : nullptr;
  if (store == nullptr) throw_state_error(fn, "no shared store is configured");
  return store;
}

/// Runs `body` against the store; false with scratch.error set to the store's text on failure.
template <typename Body>
bool run(Body&& body) noexcept {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    std::snprintf(scratch.error, sizeof scratch.error, "%s", e.what());
  } catch (...) {
    std::snprintf(scratch.error, sizeof scratch.error, "unexpected C++ exception");
  }
  return false;
}

/// An optional TTL argument in seconds (int or float; null = no expiry) as milliseconds; false with a
/// TypeError or ValueError thrown.
bool ttl_of(const zval* ttl, uint32_t arg, std::chrono::milliseconds& out) {
  out = std::chrono::milliseconds{0};
  if (ttl == nullptr || Z_TYPE_P(ttl) == IS_NULL) return true;
  double seconds = 0;
  if (Z_TYPE_P(ttl) == IS_LONG) {
    seconds = static_cast<double>(Z_LVAL_P(ttl));
  } else if (Z_TYPE_P(ttl) == IS_DOUBLE) {
    seconds = Z_DVAL_P(ttl);
  } else {
    zend_argument_type_error(arg, "must be of type int|float|null, %s given", zend_zval_type_name(ttl));
    return false;
  }
  const auto parsed = state_ttl_from_seconds(seconds);
  if (!parsed) {
    char given[64];
    if (Z_TYPE_P(ttl) == IS_LONG) {
      std::snprintf(given, sizeof given, ZEND_LONG_FMT, Z_LVAL_P(ttl));
    } else {
      std::snprintf(given, sizeof given, "%.17G", Z_DVAL_P(ttl));
    }
    zend_argument_value_error(arg, "must be between 0 and %d seconds (0 or null = no expiry), %s given",
                              static_cast<int>(state_limits::max_ttl.count() / 1000), given);
    return false;
  }
  out = *parsed;
  return true;
}

void state_get(zend_execute_data* execute_data, zval* return_value) {
  constexpr const char* fn = "state_get";
  char* key = nullptr;
  std::size_t key_length = 0;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), "s", &key, &key_length) == FAILURE) return;
  SharedStore* store = store_of(fn);
  if (store == nullptr) return;
  if (!run([&] { scratch.value = store->get({key, key_length}); })) {
    throw_state_error(fn, scratch.error);
    return;
  }
  if (!scratch.value) {
    RETVAL_NULL();
  } else if (scratch.value->is_integer()) {
    RETVAL_LONG(static_cast<zend_long>(scratch.value->integer));
  } else {
    RETVAL_STRINGL(scratch.value->data.data(), scratch.value->data.size());
  }
}

void state_set(zend_execute_data* execute_data, zval* /*return_value*/) {
  constexpr const char* fn = "state_set";
  char* key = nullptr;
  std::size_t key_length = 0;
  zval* value = nullptr;
  zval* ttl_arg = nullptr;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), "sz|z", &key, &key_length, &value, &ttl_arg) == FAILURE) return;
  if (Z_TYPE_P(value) != IS_LONG && Z_TYPE_P(value) != IS_STRING) {
    zend_argument_type_error(2, "must be of type int|string, %s given", zend_zval_type_name(value));
    return;
  }
  std::chrono::milliseconds ttl{0};
  if (!ttl_of(ttl_arg, 3, ttl)) return;
  SharedStore* store = store_of(fn);
  if (store == nullptr) return;
  const bool ok = run([&] {
    store->set({key, key_length},
               Z_TYPE_P(value) == IS_LONG ? StateValue::of_integer(static_cast<std::int64_t>(Z_LVAL_P(value)))
                                          : StateValue::of_text(view(Z_STR_P(value))),
               ttl);
  });
  if (!ok) throw_state_error(fn, scratch.error);
}

void state_incr(zend_execute_data* execute_data, zval* return_value) {
  constexpr const char* fn = "state_incr";
  char* key = nullptr;
  std::size_t key_length = 0;
  zend_long delta = 1;
  zval* ttl_arg = nullptr;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), "s|lz", &key, &key_length, &delta, &ttl_arg) == FAILURE) return;
  std::chrono::milliseconds ttl{0};
  if (!ttl_of(ttl_arg, 3, ttl)) return;
  SharedStore* store = store_of(fn);
  if (store == nullptr) return;
  if (!run([&] { scratch.integer = store->incr({key, key_length}, static_cast<std::int64_t>(delta), ttl); })) {
    throw_state_error(fn, scratch.error);
    return;
  }
  RETVAL_LONG(static_cast<zend_long>(scratch.integer));
}

void state_del(zend_execute_data* execute_data, zval* return_value) {
  constexpr const char* fn = "state_del";
  char* key = nullptr;
  std::size_t key_length = 0;
  if (zend_parse_parameters(ZEND_NUM_ARGS(), "s", &key, &key_length) == FAILURE) return;
  SharedStore* store = store_of(fn);
  if (store == nullptr) return;
  if (!run([&] { scratch.existed = store->del({key, key_length}); })) {
    throw_state_error(fn, scratch.error);
    return;
  }
  RETVAL_BOOL(scratch.existed);
}

using namespace arginfo;

const zend_internal_arg_info arginfo_get[] = {returns(1, type_long | type_string | type_null),
                                             param("key", type_string)};
const zend_internal_arg_info arginfo_set[] = {returns(2, type_void), param("key", type_string),
                                             param("value", type_long | type_string),
                                             param("ttl", type_long | type_double | type_null, "0")};
const zend_internal_arg_info arginfo_incr[] = {returns(1, type_long), param("key", type_string),
                                              param("delta", type_long, "1"),
                                              param("ttl", type_long | type_double | type_null, "0")};
const zend_internal_arg_info arginfo_del[] = {returns(1, type_bool), param("key", type_string)};

const zend_function_entry g_state_functions[] = {
    {"spoa\\state_get", &state_get, arginfo_get, arguments(arginfo_get), 0},
    {"spoa\\state_set", &state_set, arginfo_set, arguments(arginfo_set), 0},
    {"spoa\\state_incr", &state_incr, arginfo_incr, arguments(arginfo_incr), 0},
    {"spoa\\state_del", &state_del, arginfo_del, arguments(arginfo_del), 0},
    {nullptr, nullptr, nullptr, 0, 0},
};

}  // namespace

void register_all(zend_class_entry* base) {
  zend_class_entry ce{};
  ce.name = zend_string_init_interned("spoa\\StateError", sizeof "spoa\\StateError" - 1, true);
  ce.info.internal.builtin_functions = nullptr;
  g_state_error = zend_register_internal_class_ex(&ce, base);
  // MODULE_PERSISTENT: the functions belong to the `spoa` module being started (EG(current_module)).
  zend_register_functions(nullptr, g_state_functions, nullptr, MODULE_PERSISTENT);
}

zend_class_entry* error_class() noexcept { return g_state_error; }

}  // namespace spoa::php::state_binding

namespace spoa::php {

void register_state_api(zend_class_entry* base) { state_binding::register_all(base); }

zend_class_entry* state_error_class() noexcept { return state_binding::error_class(); }

}  // namespace spoa::php
