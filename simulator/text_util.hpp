// Small text helpers shared by spop-sim's readers: ASCII case-insensitive comparison, and hex digits
// (spop::hex_digit, found from spop::sim without qualification).
#pragma once

#include <cctype>
#include <string_view>

#include "spop/hex_digit.hpp"

namespace spop::sim {

/// Equal ignoring ASCII case (HTTP header names, ACL names).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace spop::sim
