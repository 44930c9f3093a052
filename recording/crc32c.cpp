#include "recording/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace spop::recording {

namespace {

// Reflected polynomial 0x82F63B78; eight tables so that the loop takes eight bytes per step
// ("slicing by 8"): replay verifies every record of files of hundreds of megabytes.
constexpr std::uint32_t polynomial = 0x82F63B78u;

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ polynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t i = 0; i < 256; ++i)
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

constexpr auto tables = make_tables();

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  std::uint32_t c = ~crc;
  const std::byte* p = data.data();
  std::size_t n = data.size();
  auto byte = [](const std::byte* q, std::size_t i) { return std::to_integer<std::uint32_t>(q[i]); };
  while (n >= 8) {
    const std::uint32_t lo = c ^ (byte(p, 0) | byte(p, 1) << 8 | byte(p, 2) << 16 | byte(p, 3) << 24);
    c = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^ tables[4][lo >> 24] ^
        tables[3][byte(p, 4)] ^ tables[2][byte(p, 5)] ^ tables[1][byte(p, 6)] ^ tables[0][byte(p, 7)];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ tables[0][(c ^ std::to_integer<std::uint32_t>(*p++)) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)

namespace {

// SSE4.2's CRC32 instruction computes CRC-32C (this polynomial, reflected), 8 bytes per instruction: the
// recorder checksums every record it writes, replay every record it reads.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::span<const std::byte> data,
                                                              std::uint32_t crc) noexcept {
  std::uint64_t c = ~crc;
  const std::byte* p = data.data();
  std::size_t n = data.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, std::to_integer<std::uint8_t>(*p));
  return ~c32;
}

// __builtin_cpu_init() first: this runs among the static constructors, maybe before libgcc's own.
bool crc32c_cpu_has_sse42() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

const bool crc32c_has_sse42 = crc32c_cpu_has_sse42();

}  // namespace

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  return crc32c_has_sse42 ? crc32c_sse42(data, crc) : crc32c_portable(data, crc);
}

#else

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  return crc32c_portable(data, crc);
}

#endif

std::uint32_t record_crc(std::span<const std::byte> record) noexcept {
  return crc32c(record.subspan(8), crc32c(record.first(4)));
}

}  // namespace spop::recording
