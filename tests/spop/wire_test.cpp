#include "spop/wire.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;

TEST(WireReader, ReadsBigEndianIntegers) {
  const auto bytes = hex("7F 01020304 FF");
  WireReader r(bytes);
  std::uint8_t u8 = 0;
  std::uint32_t u32 = 0;
  ASSERT_EQ(r.read_u8(u8), Errc::ok);
  EXPECT_EQ(u8, 0x7F);
  ASSERT_EQ(r.read_u32(u32), Errc::ok);
  EXPECT_EQ(u32, 0x01020304u);
  EXPECT_EQ(r.offset(), 5u);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(to_hex(r.rest()), "ff");
  ASSERT_EQ(r.read_u8(u8), Errc::ok);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.read_u8(u8), Errc::truncated);
}

TEST(WireReader, ShortReadsFailWithoutMoving) {
  const auto bytes = hex("01 02 03");
  WireReader r(bytes);
  std::uint32_t u32 = 99;
  EXPECT_EQ(r.read_u32(u32), Errc::truncated);
  EXPECT_EQ(u32, 99u);
  std::span<const std::byte> span;
  EXPECT_EQ(r.read_bytes(4, span), Errc::truncated);
  EXPECT_EQ(r.offset(), 0u);
  ASSERT_EQ(r.read_bytes(3, span), Errc::ok);
  EXPECT_EQ(span.data(), bytes.data());
  EXPECT_EQ(span.size(), 3u);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.read_bytes(0, span), Errc::ok);
}

TEST(WireReader, ReadsVarintsAndMapsNeedMoreToTruncated) {
  const auto good = hex("FC F0 06 2A");
  WireReader ok(good);
  std::uint64_t v = 0;
  ASSERT_EQ(ok.read_varint(v), Errc::ok);
  EXPECT_EQ(v, 16380u);
  EXPECT_EQ(ok.offset(), 3u);

  // Inside a frame, a varint that runs off the end is a truncated item, not "need more".
  const auto partial = hex("FC F0");
  WireReader cut(partial);
  EXPECT_EQ(cut.read_varint(v), Errc::truncated);
  EXPECT_EQ(cut.offset(), 0u);

  const auto overlong = hex("FF FF FF FF FF FF FF FF FF FF 00");
  WireReader too_long(overlong);
  EXPECT_EQ(too_long.read_varint(v), Errc::varint_too_long);
  EXPECT_EQ(too_long.offset(), 0u);
}

TEST(WireReader, ReadsRawStrings) {
  const auto bytes = hex("00  03 616263  0c 636865636b2d636c69656e74");
  WireReader r(bytes);
  std::string_view s = "unchanged";
  ASSERT_EQ(r.read_raw_string(s), Errc::ok);
  EXPECT_EQ(s, "");
  ASSERT_EQ(r.read_raw_string(s), Errc::ok);
  EXPECT_EQ(s, "abc");
  ASSERT_EQ(r.read_raw_string(s), Errc::ok);
  EXPECT_EQ(s, "check-client");
  EXPECT_TRUE(r.empty());
}

TEST(WireReader, RawStringPastTheEndIsTruncated) {
  for (const char* text : {"04 616263", "FC 03 41", "FF F0 FE FE FE FE FE FE FE 0E", "F0", ""}) {
    SCOPED_TRACE(text);
    const auto bytes = hex(text);
    WireReader r(bytes);
    std::string_view s = "unchanged";
    EXPECT_EQ(r.read_raw_string(s), Errc::truncated);
    EXPECT_EQ(s, "unchanged");
    EXPECT_EQ(r.offset(), 0u);
  }
}

TEST(WireReader, SkipValueMovesPastOneValue) {
  const auto bytes = hex("08 03 616263  02 2a  11  07 00000000000000000000000000000001  00");
  WireReader r(bytes);
  for (std::size_t expected : {5u, 7u, 8u, 25u, 26u}) {
    ASSERT_EQ(r.skip_value(), Errc::ok);
    EXPECT_EQ(r.offset(), expected);
  }
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.skip_value(), Errc::truncated);
}

TEST(WireWriter, WritesPrimitives) {
  std::vector<std::byte> out;
  WireWriter w(out);
  EXPECT_EQ(w.put_u8(0x65), Errc::ok);
  EXPECT_EQ(w.put_u32(0x00000001), Errc::ok);
  EXPECT_EQ(w.put_varint(300), Errc::ok);
  EXPECT_EQ(w.put_raw_string("ip"), Errc::ok);
  EXPECT_EQ(w.put_raw_string(""), Errc::ok);
  const auto raw = hex("DEAD");
  EXPECT_EQ(w.put_bytes(raw), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(hex("65 00000001 FC03 02 6970 00 DEAD")));
  EXPECT_EQ(&w.buffer(), &out);
}

TEST(WireWriter, AppendsAfterExistingBytes) {
  std::vector<std::byte> out = hex("AA BB");
  WireWriter w(out);
  EXPECT_EQ(w.put_u32(0xCAFEBABE), Errc::ok);
  EXPECT_EQ(to_hex(out), "aa bb ca fe ba be");
}

TEST(WireWriter, SizesMatchWhatIsWritten) {
  const std::string long_text(300, 'L');
  const Value values[] = {
      Value::null(),       Value::boolean(true),     Value::int32(-1),
      Value::uint32(239),  Value::uint32(240),       Value::int64(100000),
      Value::uint64(0),    Value::ipv4({}),          Value::ipv6({}),
      Value::string(""),   Value::string(long_text), Value::binary("x"),
  };
  for (const Value& v : values) {
    SCOPED_TRACE(describe(v));
    std::vector<std::byte> out;
    WireWriter w(out);
    ASSERT_EQ(w.put_value(v), Errc::ok);
    EXPECT_EQ(out.size(), WireWriter::value_size(v));
  }
  for (std::size_t n : {0u, 1u, 239u, 240u, 2287u, 2288u}) {
    const std::string s(n, 'a');
    std::vector<std::byte> out;
    WireWriter w(out);
    ASSERT_EQ(w.put_raw_string(s), Errc::ok);
    EXPECT_EQ(out.size(), WireWriter::raw_string_size(s));
  }
}

// The limit is an absolute vector size; a write that would cross it writes nothing at all.
TEST(WireWriter, RefusesWritesPastTheLimitAllOrNothing) {
  std::vector<std::byte> out = hex("01 02");
  WireWriter w(out, 6);
  EXPECT_EQ(w.limit(), 6u);
  EXPECT_EQ(w.room(), 4u);
  EXPECT_EQ(w.put_varint(std::numeric_limits<std::uint64_t>::max()), Errc::frame_too_big);  // 10 bytes
  EXPECT_EQ(w.put_raw_string("abcd"), Errc::frame_too_big);                                 // 5 bytes
  EXPECT_EQ(w.put_value(Value::ipv4({})), Errc::frame_too_big);                             // 5 bytes
  EXPECT_EQ(w.put_value(Value::string("abcd")), Errc::frame_too_big);                       // 6 bytes
  EXPECT_EQ(to_hex(out), "01 02");
  EXPECT_EQ(w.put_u32(0x0A0B0C0D), Errc::ok);  // exactly fills it
  EXPECT_EQ(w.room(), 0u);
  EXPECT_EQ(w.put_u8(0), Errc::frame_too_big);
  EXPECT_EQ(w.put_value(Value::null()), Errc::frame_too_big);
  const auto one = hex("FF");
  EXPECT_EQ(w.put_bytes(one), Errc::frame_too_big);
  EXPECT_EQ(to_hex(out), "01 02 0a 0b 0c 0d");
}

TEST(WireWriter, RoomIsZeroWhenTheVectorIsAlreadyPastTheLimit) {
  std::vector<std::byte> out(10);
  WireWriter w(out, 4);
  EXPECT_EQ(w.room(), 0u);
  EXPECT_EQ(w.put_u8(1), Errc::frame_too_big);
  EXPECT_EQ(out.size(), 10u);
}

TEST(WireWriter, BoolCarriesItsValueInTheFlagNibble) {
  std::vector<std::byte> out;
  WireWriter w(out);
  ASSERT_EQ(w.put_value(Value::boolean(true)), Errc::ok);
  ASSERT_EQ(w.put_value(Value::boolean(false)), Errc::ok);
  EXPECT_EQ(to_hex(out), "11 01");
}

}  // namespace
}  // namespace spop
