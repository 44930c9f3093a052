// SPOP values to PHP values, and the $args array a handler receives.
//
// $args = [['name' => '', 'value' => true], ['name' => '', 'value' => 1234], ...], in HAProxy's order.
//   NULL -> null; BOOL -> bool; INT32, UINT32, INT64, UINT64 -> int with all 64 wire bits (a UINT64 above
//   PHP_INT_MAX reads as a negative int, as in Lua); IPV4, IPV6 -> address text ("127.0.0.1", "::55");
//   STRING, BINARY -> string (binary-safe, NUL bytes included).
#pragma once

#include <span>

#include "agent/engines/php/php_api.hpp"
#include "spop/value.hpp"

namespace spoa::php {

/// Writes one value into `out` (uninitialised zval). Allocates with PHP's allocator (a memory_limit
/// bailout may leave from here: call it inside zend_try).
void to_php(const spop::Value& value, zval* out);

/// Builds the $args array into `out` (uninitialised zval); the caller releases it with zval_ptr_dtor.
void make_args(std::span<const spop::Argument> args, zval* out);

}  // namespace spoa::php
