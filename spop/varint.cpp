#include "spop/varint.hpp"

namespace spop {

// Encoding (spop-protocol.md §2.1): values below 240 take one byte. Otherwise the first byte carries
// the low 4 bits with 0xF0 set, then 7 bits per byte with 0x80 set while more follow; each step
// subtracts the range already covered, which is why the range edges are 240, 2288, 264432...

std::size_t varint_size(std::uint64_t v) noexcept {
  if (v < 240) return 1;
  std::size_t n = 2;
  v = (v - 240) >> 4;
  while (v >= 128) {
    v = (v - 128) >> 7;
    ++n;
  }
  return n;
}

std::size_t encode_varint(std::uint64_t v, std::byte* out) noexcept {
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
