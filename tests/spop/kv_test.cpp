#include "spop/kv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;

TEST(KvReader, IteratesItemsThenNeedsMoreAtTheEnd) {
  const auto payload = hex(
      "0b 7374617475732d636f6465  03 00"      // status-code = UINT32 0
      "07 6d657373616765  08 06 6e6f726d616c"  // message = "normal"
  );
  KvReader r(payload);
  KvItem item;
  ASSERT_EQ(r.next(item), Errc::ok);
  EXPECT_EQ(item.key, "status-code");
  EXPECT_TRUE(item.value == Value::uint32(0));
  EXPECT_EQ(item.type_byte, 0x03);
  EXPECT_EQ(r.offset(), 14u);
  ASSERT_EQ(r.next(item), Errc::ok);
  EXPECT_EQ(item.key, "message");
  EXPECT_TRUE(item.value == Value::string("normal"));
  EXPECT_EQ(r.offset(), payload.size());
  EXPECT_EQ(r.next(item), Errc::need_more);
  EXPECT_EQ(r.next(item), Errc::need_more);
}

TEST(KvReader, EmptyListHasNoItem) {
  KvReader r(std::span<const std::byte>{});
  KvItem item;
  EXPECT_EQ(r.next(item), Errc::need_more);
}

TEST(KvReader, ReportsBrokenItems) {
  struct Case {
    const char* payload;
    Errc error;
  };
  const Case cases[] = {
      {"05 6b6579", Errc::truncated},                  // key runs past the end
      {"03 6b6579", Errc::truncated},                  // key without a value
      {"03 6b6579 08 05 6162", Errc::truncated},       // value runs past the end
      {"03 6b6579 02", Errc::truncated},               // integer without its varint
      {"03 6b6579 02 FFFFFFFFFFFFFFFFFFFF00", Errc::varint_too_long},
      {"FFFFFFFFFFFFFFFFFFFF00", Errc::varint_too_long},  // key length
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.payload);
    const auto payload = hex(c.payload);
    KvReader r(payload);
    KvItem item;
    EXPECT_EQ(r.next(item), c.error);
  }
}

// HAProxy's spoe_skip_data() has no case for type ids 10-15: it takes the type byte and moves on.
TEST(KvReader, ReservedTypeTakesOnlyItsTypeByte) {
  const auto payload = hex("03 666f6f 0A  03 626172 02 07");
  KvReader r(payload);
  KvItem item;
  ASSERT_EQ(r.next(item), Errc::ok);
  EXPECT_EQ(item.key, "foo");
  EXPECT_TRUE(item.value.is_null());
  EXPECT_EQ(item.type_byte, 0x0A);
  ASSERT_EQ(r.next(item), Errc::ok);
  EXPECT_EQ(item.key, "bar");
  EXPECT_TRUE(item.value == Value::int32(7));
  EXPECT_EQ(r.next(item), Errc::need_more);
}

TEST(KvReader, KeepsTheRawTypeByte) {
  const auto payload = hex("01 76 18 03 322e30");  // "v" = STRING with a flag bit
  KvReader r(payload);
  KvItem item;
  ASSERT_EQ(r.next(item), Errc::ok);
  EXPECT_EQ(item.type_byte, 0x18);
  EXPECT_EQ(item.value.type(), DataType::binary);  // as HAProxy decodes sample data
  EXPECT_EQ(item.value.as_bytes(), "2.0");
}

TEST(PutKv, WritesKeyThenTypedValue) {
  std::vector<std::byte> out;
  WireWriter w(out);
  ASSERT_EQ(put_kv(w, "max-frame-size", Value::uint32(16380)), Errc::ok);
  ASSERT_EQ(put_kv(w, "healthcheck", Value::boolean(true)), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(hex("0e 6d61782d6672616d652d73697a65 03 fcf006  0b 6865616c7468636865636b 11")));
}

TEST(PutKv, RefusesAnItemThatDoesNotFitAndWritesNothing) {
  std::vector<std::byte> out;
  WireWriter w(out, 8);
  // key 1+3, value 1+1+3 = 9 bytes: one too many. A partial key must not be left behind.
  EXPECT_EQ(put_kv(w, "key", Value::string("abc")), Errc::frame_too_big);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(put_kv(w, "key", Value::string("ab")), Errc::ok);  // exactly 8
  EXPECT_EQ(out.size(), 8u);
}

// HAProxy 2.x (flt_spoe.c) and 3.x (mux_spop.c) take a key as NAME when it starts with NAME:
// `sz >= strlen(NAME) && !memcmp(key, NAME, strlen(NAME))`.
TEST(KeyMatches, KeyStartingWithTheNameMatches) {
  EXPECT_TRUE(key_matches("version", keys::version));
  EXPECT_TRUE(key_matches("versionX", keys::version));
  EXPECT_TRUE(key_matches("versions", keys::version));
  EXPECT_TRUE(key_matches("max-frame-size-and-more", keys::max_frame_size));
  EXPECT_FALSE(key_matches("ver", keys::version));
  EXPECT_FALSE(key_matches("versio", keys::version));
  EXPECT_FALSE(key_matches("Version", keys::version));
  EXPECT_FALSE(key_matches(" version", keys::version));
  EXPECT_FALSE(key_matches("supported-versions", keys::version));
  EXPECT_FALSE(key_matches("", keys::version));  // an empty key is invalid in HAProxy
  EXPECT_FALSE(key_matches("", ""));
  EXPECT_FALSE(key_matches("x", ""));
}

}  // namespace
}  // namespace spop
