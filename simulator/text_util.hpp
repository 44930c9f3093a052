// Small text helpers shared by spop-sim's readers: ASCII case-insensitive comparison and hex digits.
#pragma once

#include <cctype>
#include <string_view>

namespace spop::sim {

/// Equal ignoring ASCII case (HTTP header names, ACL names).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

/// The value of a hex digit (either case), or -1.
inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace spop::sim
