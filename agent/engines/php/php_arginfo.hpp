// Building the argument information of our PHP functions (what reflection and named arguments see).
//
// zend_internal_arg_info's first entry of a function holds its required argument count (in the name
// pointer) and its return type; the others name the arguments, their types and, for optional ones, the
// code of their default value. Plain functions rather than constexpr: the count goes through a
// reinterpret_cast, which no constant expression allows (clang refuses it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "agent/engines/php/php_api.hpp"

namespace spoa::php::arginfo {

// PHP's type bits (zend_type_info.h).
inline constexpr std::uint32_t type_null = 1u << IS_NULL;
inline constexpr std::uint32_t type_void = 1u << IS_VOID;
inline constexpr std::uint32_t type_bool = (1u << IS_FALSE) | (1u << IS_TRUE);
inline constexpr std::uint32_t type_long = 1u << IS_LONG;
inline constexpr std::uint32_t type_double = 1u << IS_DOUBLE;
inline constexpr std::uint32_t type_string = 1u << IS_STRING;
inline constexpr std::uint32_t type_callable = 1u << IS_CALLABLE;

/// The first entry: `required` arguments, returning `types`.
inline zend_internal_arg_info returns(std::uintptr_t required, std::uint32_t types) {
  return {reinterpret_cast<const char*>(required), {nullptr, types}, nullptr};
}

/// An argument; `default_value` is PHP code ("0") for an optional one.
inline zend_internal_arg_info param(const char* name, std::uint32_t types, const char* default_value = nullptr) {
  return {name, {nullptr, types}, default_value};
}

/// The argument count of an arginfo array (its entries after the first).
template <std::size_t N>
constexpr std::uint32_t arguments(const zend_internal_arg_info (&)[N]) {
  return N - 1;
}

}  // namespace spoa::php::arginfo
