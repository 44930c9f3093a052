// The one place that includes PHP's headers (the embed SAPI and the Zend engine).
//
// PHP's headers #define snprintf, vsnprintf, asprintf, strlcpy... to its own functions, which breaks C++
// standard headers included afterwards (std::vsnprintf). So the standard headers our engine files use come
// first, and the macros are removed after PHP's headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include <sapi/embed/php_embed.h>
#include <zend_exceptions.h>
#include <zend_interfaces.h>

#undef snprintf
#undef vsnprintf
#undef asprintf
#undef vasprintf
#undef strlcpy
#undef strlcat

namespace spoa::php {

/// The bytes of a zend_string (binary-safe).
inline std::string_view view(const zend_string* s) noexcept { return {ZSTR_VAL(s), ZSTR_LEN(s)}; }

}  // namespace spoa::php
