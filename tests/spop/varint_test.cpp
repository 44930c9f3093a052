#include "spop/varint.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;

struct Row {
  std::uint64_t value;
  const char* bytes;
  std::size_t length;
};

// spop-protocol.md §2.1, every row of the table.
constexpr std::array<Row, 17> table = {{
    {0, "00", 1},
    {239, "EF", 1},
    {240, "F0 00", 2},
    {256, "F0 01", 2},
    {300, "FC 03", 2},
    {2287, "FF 7F", 2},
    {2288, "F0 80 00", 3},
    {16380, "FC F0 06", 3},
    {264431, "FF FF 7F", 3},
    {264432, "F0 80 80 00", 4},
    {33818863, "FF FF FF 7F", 4},
    {33818864, "F0 80 80 80 00", 5},
    {4294967295u, "FF F0 FE FE 7E", 5},
    {4328786159u, "FF FF FF FF 7F", 5},
    {4328786160u, "F0 80 80 80 80 00", 6},
    {9223372036854775807u, "FF F0 FE FE FE FE FE FE FE 06", 10},
    {18446744073709551615u, "FF F0 FE FE FE FE FE FE FE 0E", 10},
}};

std::vector<std::byte> encode(std::uint64_t v) {
  std::vector<std::byte> out(max_varint_length);
  out.resize(encode_varint(v, out.data()));
  return out;
}

TEST(Varint, EncodesTableRows) {
  for (const Row& row : table) {
    SCOPED_TRACE(row.value);
    EXPECT_EQ(to_hex(encode(row.value)), to_hex(hex(row.bytes)));
    EXPECT_EQ(varint_size(row.value), row.length);
  }
}

TEST(Varint, DecodesTableRows) {
  for (const Row& row : table) {
    SCOPED_TRACE(row.value);
    const auto bytes = hex(row.bytes);
    std::uint64_t value = 0;
    std::size_t used = 0;
    ASSERT_EQ(decode_varint(bytes, value, used), Errc::ok);
    EXPECT_EQ(value, row.value);
    EXPECT_EQ(used, row.length);
  }
}

TEST(Varint, DecodeStopsAtTheLastByte) {
  for (const Row& row : table) {
    SCOPED_TRACE(row.value);
    auto bytes = hex(row.bytes);
    bytes.push_back(std::byte{0xFF});
    bytes.push_back(std::byte{0x00});
    std::uint64_t value = 0;
    std::size_t used = 0;
    ASSERT_EQ(decode_varint(bytes, value, used), Errc::ok);
    EXPECT_EQ(value, row.value);
    EXPECT_EQ(used, row.length);
  }
}

// The smallest value of each length n+1 is 240 + 16 * (128 + 128^2 + ... + 128^(n-1)), computed here
// from the layout (4 bits in the first byte, 7 in each next one), not with the encoder.
TEST(Varint, RangeEdgesFollowTheLayout) {
  std::uint64_t edge = 240;  // first value that needs 2 bytes
  std::uint64_t step = 16 * 128;
  for (std::size_t n = 1; n <= 9; ++n) {
    SCOPED_TRACE(n);
    // Largest n-byte value: F? FF.. 7F; smallest (n+1)-byte value: F0 80.. 00.
    std::vector<std::byte> largest(n, std::byte{0xFF});
    largest.back() = std::byte{n == 1 ? std::uint8_t{0xEF} : std::uint8_t{0x7F}};
    std::vector<std::byte> smallest(n + 1, std::byte{0x80});
    smallest.front() = std::byte{0xF0};
    smallest.back() = std::byte{0x00};

    EXPECT_EQ(varint_size(edge - 1), n);
    EXPECT_EQ(varint_size(edge), n + 1);
    EXPECT_EQ(to_hex(encode(edge - 1)), to_hex(largest));
    EXPECT_EQ(to_hex(encode(edge)), to_hex(smallest));

    std::uint64_t value = 0;
    std::size_t used = 0;
    ASSERT_EQ(decode_varint(largest, value, used), Errc::ok);
    EXPECT_EQ(value, edge - 1);
    EXPECT_EQ(used, n);
    ASSERT_EQ(decode_varint(smallest, value, used), Errc::ok);
    EXPECT_EQ(value, edge);
    EXPECT_EQ(used, n + 1);

    if (n < 9) {
      edge += step;
      step *= 128;
    }
  }
  EXPECT_EQ(edge, 1161999626690365680u);  // 10-byte values start here; 2^64-1 is above it
}

TEST(Varint, NeverLongerThanTenBytes) {
  EXPECT_EQ(varint_size(std::numeric_limits<std::uint64_t>::max()), max_varint_length);
  EXPECT_EQ(varint_size(std::uint64_t{1} << 63), max_varint_length);
  EXPECT_EQ(varint_size(std::numeric_limits<std::int64_t>::max()), max_varint_length);
}

TEST(Varint, RoundTripsPowersOfTwoAndRandomValues) {
  std::vector<std::uint64_t> values;
  for (int bit = 0; bit < 64; ++bit) {
    const std::uint64_t p = std::uint64_t{1} << bit;
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 2000; ++i) values.push_back(rng() >> (rng() % 64));
  for (std::uint64_t v : values) {
    SCOPED_TRACE(v);
    const auto bytes = encode(v);
    ASSERT_EQ(bytes.size(), varint_size(v));
    // Every byte but the last carries a continuation mark (>= F0 first, >= 80 after); the last does not.
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      EXPECT_GE(std::to_integer<unsigned>(bytes[i]), i == 0 ? 0xF0u : 0x80u);
    }
    EXPECT_LT(std::to_integer<unsigned>(bytes.back()), bytes.size() == 1 ? 0xF0u : 0x80u);
    std::uint64_t back = 0;
    std::size_t used = 0;
    ASSERT_EQ(decode_varint(bytes, back, used), Errc::ok);
    EXPECT_EQ(back, v);
    EXPECT_EQ(used, bytes.size());
  }
}

TEST(Varint, ElevenBytesIsTooLong) {
  // Ten bytes that all ask for one more, then a terminator HAProxy would accept: we stop at ten.
  const auto eleven = hex("FF FF FF FF FF FF FF FF FF FF 00");
  std::uint64_t value = 0;
  std::size_t used = 0;
  EXPECT_EQ(decode_varint(eleven, value, used), Errc::varint_too_long);
  // Exactly ten continuation bytes: the eleventh is already known to be needed.
  EXPECT_EQ(decode_varint(std::span(eleven).first(10), value, used), Errc::varint_too_long);
  // Nine continuation bytes then the end of input: more bytes could still make it valid.
  EXPECT_EQ(decode_varint(std::span(eleven).first(9), value, used), Errc::need_more);
}

TEST(Varint, TruncatedNeedsMoreAtEveryPrefix) {
  for (const Row& row : table) {
    const auto bytes = hex(row.bytes);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      SCOPED_TRACE(testing::Message() << row.value << " cut at " << cut);
      std::uint64_t value = 12345;
      std::size_t used = 6789;
      EXPECT_EQ(decode_varint(std::span(bytes).first(cut), value, used), Errc::need_more);
      EXPECT_EQ(value, 12345u);  // outputs untouched on failure
      EXPECT_EQ(used, 6789u);
    }
  }
}

TEST(Varint, TenthByteWrapsModulo2To64LikeHaproxy) {
  // A non-minimal 10-byte form: 9 x FF then 7F. 7F << 60 overflows; HAProxy keeps the low 64 bits.
  const auto bytes = hex("FF FF FF FF FF FF FF FF FF 7F");
  std::uint64_t value = 0;
  std::size_t used = 0;
  ASSERT_EQ(decode_varint(bytes, value, used), Errc::ok);
  EXPECT_EQ(used, 10u);
  EXPECT_EQ(value, 1161999626690365679u);  // computed independently (Python, arbitrary precision, mod 2^64)
}

}  // namespace
}  // namespace spop
