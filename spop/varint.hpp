// SPOP's variable-length integer (the "peers" encoding): 1 to 10 bytes for a uint64 (spop-protocol.md §2.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "spop/errc.hpp"
#include "spop/types.hpp"

namespace spop {

/// Reads a varint from the front of `in` into `value` and the byte count into `used`.
/// Errors: Errc::need_more (input ends inside the varint), Errc::varint_too_long (an 11th byte would be needed).
Errc decode_varint(std::span<const std::byte> in, std::uint64_t& value, std::size_t& used) noexcept;

// Encoding (spop-protocol.md §2.1): values below 240 take one byte. Otherwise the first byte carries
// the low 4 bits with 0xF0 set, then 7 bits per byte with 0x80 set while more follow; each step
// subtracts the range already covered, which is why the range edges are 240, 2288, 264432...
// Both are inline: every encoder calls them for each integer, length and id.

/// Bytes needed to encode `v` (1..10).
inline std::size_t varint_size(std::uint64_t v) noexcept {
  if (v < 240) return 1;
  std::size_t n = 2;
  v = (v - 240) >> 4;
  while (v >= 128) {
    v = (v - 128) >> 7;
    ++n;
  }
  return n;
}

/// Writes `v` to `out` (at least varint_size(v) bytes, 10 always suffices); returns the bytes written.
inline std::size_t encode_varint(std::uint64_t v, std::byte* out) noexcept {
  if (v < 240) {
    out[0] = static_cast<std::byte>(v);
    return 1;
  }
  std::size_t n = 0;
  out[n++] = static_cast<std::byte>((v & 0xFF) | 0xF0);
  v = (v - 240) >> 4;
  while (v >= 128) {
    out[n++] = static_cast<std::byte>((v & 0xFF) | 0x80);
    v = (v - 128) >> 7;
  }
  out[n++] = static_cast<std::byte>(v);
  return n;
}

}  // namespace spop
