#include "spop-cli/typed_value.hpp"

#include <gtest/gtest.h>

namespace spop_cli {
namespace {

spop::Value parsed(std::string_view text) {
  static TypedValue keep;  // the returned view points into it until the next call
  const std::string err = parse_typed_value(text, keep);
  EXPECT_EQ(err, "") << text;
  return keep.view();
}

std::string typed_error_of(std::string_view text) {
  TypedValue v;
  return parse_typed_value(text, v);
}

TEST(TypedValue, ParsesEveryType) {
  EXPECT_EQ(parsed("null"), spop::Value::null());
  EXPECT_EQ(parsed("bool:true"), spop::Value::boolean(true));
  EXPECT_EQ(parsed("bool:0"), spop::Value::boolean(false));
  EXPECT_EQ(parsed("int32:-5"), spop::Value::int32(-5));
  EXPECT_EQ(parsed("uint32:4294967295"), spop::Value::uint32(4294967295u));
  EXPECT_EQ(parsed("int64:-9223372036854775808"), spop::Value::int64(INT64_MIN));
  EXPECT_EQ(parsed("uint64:18446744073709551615"), spop::Value::uint64(UINT64_MAX));
  EXPECT_EQ(parsed("int:0x10"), spop::Value::int64(16));
  EXPECT_EQ(parsed("str:a=b:c"), spop::Value::string("a=b:c"));
  EXPECT_EQ(parsed("str:"), spop::Value::string(""));
  EXPECT_EQ(parsed("bin:hex:00ff"), spop::Value::binary(std::string_view("\x00\xff", 2)));
  EXPECT_EQ(parsed("bin:base64:AP8="), spop::Value::binary(std::string_view("\x00\xff", 2)));
  spop::Ipv4Address v4;
  ASSERT_TRUE(spop::parse_ipv4("10.0.0.1", v4));
  EXPECT_EQ(parsed("ipv4:10.0.0.1"), spop::Value::ipv4(v4));
  EXPECT_EQ(parsed("ip:10.0.0.1"), spop::Value::ipv4(v4));
  spop::Ipv6Address v6;
  ASSERT_TRUE(spop::parse_ipv6("::1", v6));
  EXPECT_EQ(parsed("ipv6:::1"), spop::Value::ipv6(v6));
  EXPECT_EQ(parsed("ip:::1"), spop::Value::ipv6(v6));
}

TEST(TypedValue, RefusesWithAReason) {
  EXPECT_NE(typed_error_of("int32:3000000000").find("out of range"), std::string::npos);
  EXPECT_NE(typed_error_of("int64:9223372036854775808").find("out of range"), std::string::npos);
  EXPECT_NE(typed_error_of("uint32:-1").find("negative"), std::string::npos);
  EXPECT_NE(typed_error_of("int32:12x").find("not an integer"), std::string::npos);
  EXPECT_NE(typed_error_of("bool:yes").find("bool value"), std::string::npos);
  EXPECT_NE(typed_error_of("ipv4:::1").find("IPv4"), std::string::npos);
  EXPECT_NE(typed_error_of("ipv6:1.2.3.4").find("IPv6"), std::string::npos);
  EXPECT_NE(typed_error_of("bin:00ff").find("hex: or base64:"), std::string::npos);
  EXPECT_NE(typed_error_of("bin:hex:0f0").find("even number"), std::string::npos);
  EXPECT_NE(typed_error_of("bin:base64:@@").find("base64"), std::string::npos);
  EXPECT_NE(typed_error_of("float:1.5").find("unknown type 'float'"), std::string::npos);
  EXPECT_NE(typed_error_of("hello").find("no type"), std::string::npos);
}

TEST(TypedValue, OwnsItsBytesAcrossCopiesAndMoves) {
  TypedValue a;
  ASSERT_EQ(parse_typed_value("str:a short string", a), "");
  TypedValue b = a;
  TypedValue c = std::move(a);
  a = TypedValue{};
  EXPECT_EQ(b.view(), spop::Value::string("a short string"));
  EXPECT_EQ(c.view(), spop::Value::string("a short string"));
  EXPECT_EQ(b, c);
}

TEST(TypedValue, HexAndBase64RoundTrip) {
  const std::string bytes("\x00\x01\xfe\xff hello", 10);
  std::string back;
  ASSERT_TRUE(decode_hex(encode_hex(bytes), back));
  EXPECT_EQ(back, bytes);
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    ASSERT_TRUE(decode_base64(encode_base64(bytes.substr(0, n)), back)) << n;
    EXPECT_EQ(back, bytes.substr(0, n));
  }
  EXPECT_EQ(encode_base64(std::string_view("\x00\xff", 2)), "AP8=");
  EXPECT_FALSE(decode_hex("0g", back));
}

TEST(TypedValue, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));          // cut short
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // a surrogate
}

}  // namespace
}  // namespace spop_cli
