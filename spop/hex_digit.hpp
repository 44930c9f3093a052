// The value of one hex digit: what every reader of hex text in the toolkit (spop-cli, spop-sim's
// configuration readers, the fuzz driver's dictionaries, the tests) needs, once.
#pragma once

namespace spop {

/// 0..15 for a hex digit of either case, or -1.
constexpr int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace spop
