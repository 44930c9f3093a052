#include "spop/varint.hpp"

namespace spop {

// Decoding (spop-protocol.md §2.1): the inverse of encode_varint() in varint.hpp, capped at 10 bytes.

Errc decode_varint(std::span<const std::byte> in, std::uint64_t& value, std::size_t& used) noexcept {
  if (in.empty()) return Errc::need_more;
  std::uint64_t v = std::to_integer<std::uint64_t>(in[0]);
  if (v < 240) {
    value = v;
    used = 1;
    return Errc::ok;
  }
  unsigned shift = 4;
  for (std::size_t i = 1; i < max_varint_length; ++i) {
    if (i >= in.size()) return Errc::need_more;
    const std::uint64_t b = std::to_integer<std::uint64_t>(in[i]);
    // Shifts of 64 or more contribute nothing (arithmetic is mod 2^64, as in HAProxy).
    if (shift < 64) v += b << shift;
    shift += 7;
    if (b < 128) {
      value = v;
      used = i + 1;
      return Errc::ok;
    }
  }
  // Ten bytes read and the last still has its continuation bit: an 11th byte would be needed.
  return Errc::varint_too_long;
}

}  // namespace spop
