// The `spoa` PHP module: the functions, constants and exception class of the PHP script API.
//
//   spoa\register_message(string $name, callable $handler): void
//   spoa\set_var_null / set_var_boolean / set_var_int32 / set_var_uint32 / set_var_int64 / set_var_uint64 /
//       set_var_ipv4 / set_var_ipv6 / set_var_str / set_var_bin (string $name, int $scope[, $value]): void
//   spoa\unset_var(string $name, int $scope): void
//   spoa\log(int|string $level, string $text): void
//   spoa\SCOPE_PROC .. spoa\SCOPE_RES (0..4), spoa\LOG_TRACE .. spoa\LOG_CRITICAL (0..5)
//   spoa\Exception (extends RuntimeException): a setter outside a handler, a full ACK, a bad registration
//   spoa\state_get / state_set / state_incr / state_del and spoa\StateError: see php_state_api.hpp
//
// Argument types follow PHP's rules for internal functions (TypeError, coercion unless strict_types);
// values out of range are ValueErrors naming the argument, as PHP's own functions do.
#pragma once

#include "agent/engines/php/php_api.hpp"

namespace spoa::php {

/// The module, for php_module_startup().
zend_module_entry* spoa_module_entry() noexcept;

/// spoa\Exception (null before the module started).
zend_class_entry* exception_class() noexcept;

/// A permanent internal function that stands for the engine in the frame it pushes around a call.
zend_function* engine_frame_function() noexcept;

}  // namespace spoa::php
