#include "spop/value.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "spop/wire.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;

std::vector<std::byte> encode(const Value& v) {
  std::vector<std::byte> out;
  WireWriter w(out);
  EXPECT_EQ(w.put_value(v), Errc::ok);
  EXPECT_EQ(out.size(), WireWriter::value_size(v));
  return out;
}

Value decode_all(std::span<const std::byte> bytes) {
  WireReader r(bytes);
  Value v;
  EXPECT_EQ(r.read_value(v), Errc::ok);
  EXPECT_TRUE(r.empty()) << "left " << r.remaining() << " bytes";
  return v;
}

Ipv6Address ipv6_of(const char* text) {
  Ipv6Address a;
  EXPECT_TRUE(parse_ipv6(text, a)) << text;
  return a;
}

struct Encoded {
  const char* what;
  Value value;
  const char* bytes;  // TYPE  DATA
};

// One row per type, with the exact bytes of spop-protocol.md §2.2 (integers: the §2.1 varints).
std::vector<Encoded> every_type() {
  static const std::string binary_with_nuls("\x00\x01\x00\xff", 4);
  return {
      {"null", Value::null(), "00"},
      {"bool true", Value::boolean(true), "11"},
      {"bool false", Value::boolean(false), "01"},
      {"int32 42", Value::int32(42), "02 2a"},
      {"int32 -1 sign-extended", Value::int32(-1), "02 FF F0 FE FE FE FE FE FE FE 0E"},
      {"int32 max", Value::int32(std::numeric_limits<std::int32_t>::max()), "02 FF F0 FE FE 3E"},
      {"int32 min sign-extended", Value::int32(std::numeric_limits<std::int32_t>::min()),
       "02 F0 F1 FE FE BE FE FE FE FE 0E"},
      {"uint32 max", Value::uint32(std::numeric_limits<std::uint32_t>::max()), "03 FF F0 FE FE 7E"},
      {"uint32 16380", Value::uint32(16380), "03 FC F0 06"},
      {"int64 min", Value::int64(std::numeric_limits<std::int64_t>::min()), "04 F0 F1 FE FE FE FE FE FE FE 06"},
      {"int64 max", Value::int64(std::numeric_limits<std::int64_t>::max()), "04 FF F0 FE FE FE FE FE FE FE 06"},
      {"int64 -5", Value::int64(-5), "04 FB F0 FE FE FE FE FE FE FE 0E"},
      {"uint64 max", Value::uint64(std::numeric_limits<std::uint64_t>::max()), "05 FF F0 FE FE FE FE FE FE FE 0E"},
      {"uint64 0", Value::uint64(0), "05 00"},
      {"ipv4 127.0.0.1", Value::ipv4(Ipv4Address{{127, 0, 0, 1}}), "06 7F 00 00 01"},
      {"ipv6 all ones", Value::ipv6(ipv6_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
       "07 FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"},
      {"ipv6 ::1", Value::ipv6(ipv6_of("::1")), "07 00000000 00000000 00000000 00000001"},
      {"empty string", Value::string(""), "08 00"},
      {"string abc", Value::string("abc"), "08 03 616263"},
      {"binary with NULs", Value::binary(binary_with_nuls), "09 04 000100FF"},
      {"empty binary", Value::binary(""), "09 00"},
  };
}

TEST(Value, EncodesEveryTypeExactly) {
  for (const auto& row : every_type()) {
    SCOPED_TRACE(row.what);
    EXPECT_EQ(to_hex(encode(row.value)), to_hex(hex(row.bytes)));
  }
}

TEST(Value, SkipsEveryTypeExactly) {
  for (const auto& row : every_type()) {
    SCOPED_TRACE(row.what);
    auto bytes = hex(row.bytes);
    bytes.push_back(std::byte{0x42});  // the next item
    WireReader r(bytes);
    ASSERT_EQ(r.skip_value(), Errc::ok);
    EXPECT_EQ(r.remaining(), 1u);
  }
}

TEST(Value, DecodesEveryTypeExactly) {
  for (const auto& row : every_type()) {
    SCOPED_TRACE(row.what);
    const auto bytes = hex(row.bytes);
    const Value v = decode_all(bytes);
    EXPECT_EQ(v.type(), row.value.type());
    EXPECT_TRUE(v == row.value) << describe(v) << " vs " << describe(row.value);
  }
}

TEST(Value, IntegersKeepTheir64WireBits) {
  EXPECT_EQ(Value::int32(-1).as_uint64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(Value::int32(-1).as_int64(), -1);
  EXPECT_EQ(Value::uint32(0xFFFFFFFFu).as_uint64(), 0xFFFFFFFFu);
  EXPECT_EQ(Value::uint32(0xFFFFFFFFu).as_int64(), 4294967295);
  EXPECT_EQ(Value::int64(std::numeric_limits<std::int64_t>::min()).as_uint64(), std::uint64_t{1} << 63);
  EXPECT_EQ(Value::uint64(std::numeric_limits<std::uint64_t>::max()).as_int64(), -1);

  // Decoded from the wire, every integer type keeps the raw bits: INT32 -1 comes back as -1.
  const Value v = decode_all(hex("02 FF F0 FE FE FE FE FE FE FE 0E"));
  EXPECT_EQ(v.type(), DataType::int32);
  EXPECT_EQ(v.as_int64(), -1);
  // An INT32 -1 sent as 32 bits (the bug HAProxy sees as +4294967295) decodes to that positive number.
  EXPECT_EQ(decode_all(hex("02 FF F0 FE FE 7E")).as_int64(), 4294967295);
}

TEST(Value, IsIntegerOnlyForTheFourIntegerTypes) {
  EXPECT_TRUE(Value::int32(1).is_integer());
  EXPECT_TRUE(Value::uint32(1).is_integer());
  EXPECT_TRUE(Value::int64(1).is_integer());
  EXPECT_TRUE(Value::uint64(1).is_integer());
  EXPECT_FALSE(Value::boolean(true).is_integer());
  EXPECT_FALSE(Value::null().is_integer());
  EXPECT_FALSE(Value::string("1").is_integer());
  EXPECT_TRUE(Value().is_null());
  EXPECT_FALSE(Value::boolean(false).is_null());
}

TEST(Value, EqualityComparesTypeAndContent) {
  const std::string a = "same";
  const std::string b = "same";
  EXPECT_TRUE(Value::string(a) == Value::string(b));  // different storage, same bytes
  EXPECT_FALSE(Value::string(a) == Value::binary(b));
  EXPECT_FALSE(Value::int32(5) == Value::int64(5));
  EXPECT_FALSE(Value::uint64(5) == Value::uint64(6));
  EXPECT_TRUE(Value::boolean(true) == Value::boolean(true));
  EXPECT_FALSE(Value::boolean(true) == Value::boolean(false));
  EXPECT_FALSE(Value::ipv4(Ipv4Address{{1, 2, 3, 4}}) == Value::ipv4(Ipv4Address{{1, 2, 3, 5}}));
  EXPECT_TRUE(Value::null() == Value());
}

TEST(Value, RoundTripsAMebibyteString) {
  const std::string big(std::size_t{1} << 20, 'x');
  const auto bytes = encode(Value::string(big));
  // 08, varint(1048576) = F0 F1 FE 02 (4 bytes), then the bytes.
  ASSERT_EQ(bytes.size(), 1 + 4 + big.size());
  EXPECT_EQ(to_hex(std::span(bytes).first(5)), "08 f0 f1 fe 02");
  const Value v = decode_all(bytes);
  EXPECT_EQ(v.type(), DataType::string);
  EXPECT_EQ(v.as_bytes().size(), big.size());
  EXPECT_TRUE(v.as_bytes() == big);
  // The decoded view points into the encoded buffer: no copy.
  EXPECT_EQ(static_cast<const void*>(v.as_bytes().data()), static_cast<const void*>(bytes.data() + 5));
}

TEST(Value, BinaryKeepsNulBytes) {
  const auto bytes = hex("09 05 00 61 00 62 00");
  const Value v = decode_all(bytes);
  EXPECT_EQ(v.type(), DataType::binary);
  EXPECT_EQ(v.as_bytes(), std::string_view("\0a\0b\0", 5));
}

// HAProxy reads the low nibble as the type and ignores the flag nibble, except for BOOL (true only
// when the flags are exactly 0x10) and for STRING, which it only takes as a string when the whole
// byte is 0x08: a STRING byte with a flag bit becomes BINARY.
TEST(Value, FlagNibbleIsHandledAsHaproxyDoes) {
  EXPECT_EQ(decode_all(hex("18 03 616263")).type(), DataType::binary);
  EXPECT_EQ(decode_all(hex("18 03 616263")).as_bytes(), "abc");
  EXPECT_EQ(decode_all(hex("88 00")).type(), DataType::binary);
  EXPECT_EQ(decode_all(hex("19 01 00")).type(), DataType::binary);
  EXPECT_EQ(decode_all(hex("08 01 41")).type(), DataType::string);

  EXPECT_TRUE(decode_all(hex("11")).as_bool());
  EXPECT_FALSE(decode_all(hex("01")).as_bool());
  EXPECT_FALSE(decode_all(hex("21")).as_bool());  // flag nibble 0x20: not the TRUE flag
  EXPECT_FALSE(decode_all(hex("31")).as_bool());  // 0x30 != 0x10: HAProxy says false
  EXPECT_FALSE(decode_all(hex("F1")).as_bool());

  const Value i = decode_all(hex("F4 2a"));  // INT64 with every flag bit set
  EXPECT_EQ(i.type(), DataType::int64);
  EXPECT_EQ(i.as_int64(), 42);
  EXPECT_TRUE(decode_all(hex("50")).is_null());
  EXPECT_EQ(decode_all(hex("16 0a000001")).as_ipv4(), (Ipv4Address{{10, 0, 0, 1}}));
}

TEST(Value, ReservedTypeIdsAreRejected) {
  for (unsigned id = 10; id <= 15; ++id) {
    for (unsigned flags : {0x00u, 0x10u, 0xF0u}) {
      SCOPED_TRACE(id | flags);
      const std::vector<std::byte> bytes = {static_cast<std::byte>(id | flags), std::byte{0}, std::byte{0}};
      WireReader r(bytes);
      Value v = Value::int32(7);
      EXPECT_EQ(r.read_value(v), Errc::reserved_type);
      EXPECT_EQ(r.offset(), 0u);               // cursor unchanged
      EXPECT_TRUE(v == Value::int32(7));        // output unchanged
      EXPECT_EQ(r.skip_value(), Errc::reserved_type);
    }
  }
}

TEST(Value, EveryTruncationIsAnErrorAndMovesNothing) {
  for (const auto& row : every_type()) {
    const auto bytes = hex(row.bytes);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      SCOPED_TRACE(testing::Message() << row.what << " cut at " << cut);
      WireReader r{std::span(bytes).first(cut)};
      Value v;
      EXPECT_EQ(r.read_value(v), Errc::truncated);
      EXPECT_EQ(r.offset(), 0u);
      EXPECT_EQ(r.skip_value(), Errc::truncated);
      EXPECT_EQ(r.offset(), 0u);
    }
  }
}

TEST(Value, StringLongerThanItsInputIsTruncated) {
  // Length 5, three bytes present; then a huge length (2^64-1) that must not wrap any bound check.
  const auto short_string = hex("08 05 616263");
  WireReader a(short_string);
  Value v;
  EXPECT_EQ(a.read_value(v), Errc::truncated);
  const auto huge_length = hex("09 FF F0 FE FE FE FE FE FE FE 0E 00");
  WireReader b(huge_length);
  EXPECT_EQ(b.read_value(v), Errc::truncated);
  const auto overlong = hex("02 FF FF FF FF FF FF FF FF FF FF FF");
  WireReader c(overlong);
  EXPECT_EQ(c.read_value(v), Errc::varint_too_long);
  EXPECT_EQ(c.offset(), 0u);
}

TEST(Value, DescribesValuesForHumans) {
  EXPECT_EQ(describe(Value::null()), "null");
  EXPECT_EQ(describe(Value::boolean(true)), "bool:true");
  EXPECT_EQ(describe(Value::boolean(false)), "bool:false");
  EXPECT_EQ(describe(Value::int64(-5)), "int64:-5");
  EXPECT_EQ(describe(Value::int32(-1)), "int32:-1");
  EXPECT_EQ(describe(Value::uint64(std::numeric_limits<std::uint64_t>::max())), "uint64:18446744073709551615");
  EXPECT_EQ(describe(Value::uint32(7)), "uint32:7");
  EXPECT_EQ(describe(Value::ipv4(Ipv4Address{{127, 0, 0, 1}})), "ipv4:127.0.0.1");
  EXPECT_EQ(describe(Value::ipv6(ipv6_of("::1"))), "ipv6:::1");
  EXPECT_EQ(describe(Value::string("a\"b\\c\n")), "str:\"a\\\"b\\\\c\\x0a\"");
  EXPECT_EQ(describe(Value::binary(std::string_view("\x00\xff\x10", 3))), "bin:00ff10");
}

TEST(Value, ParsesAndPrintsAddresses) {
  Ipv4Address v4;
  ASSERT_TRUE(parse_ipv4("127.0.0.1", v4));
  EXPECT_EQ(v4, (Ipv4Address{{127, 0, 0, 1}}));
  EXPECT_EQ(to_string(v4), "127.0.0.1");
  EXPECT_FALSE(parse_ipv4("127.0.0", v4));
  EXPECT_FALSE(parse_ipv4("256.0.0.1", v4));
  EXPECT_FALSE(parse_ipv4("127.0.0.1.255.255.255.255", v4));  // longer than any address

  Ipv6Address v6;
  ASSERT_TRUE(parse_ipv6("1::f", v6));
  Ipv6Address expected;
  expected.bytes[1] = 1;
  expected.bytes[15] = 0x0f;
  EXPECT_EQ(v6, expected);
  EXPECT_EQ(to_string(v6), "1::f");
  ASSERT_TRUE(parse_ipv6("::55", v6));
  EXPECT_EQ(to_string(v6), "::55");
  EXPECT_FALSE(parse_ipv6("1:::f", v6));
  EXPECT_FALSE(parse_ipv6("127.0.0.1", v6));
  EXPECT_FALSE(parse_ipv6(std::string(100, '1'), v6));
}

}  // namespace
}  // namespace spop
