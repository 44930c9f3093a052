// Redaction of recorded NOTIFYs: SipHash against its reference vectors, and redacted values keep their
// type and length, equal values stay equal, other arguments and other bytes do not change.
#include "recording/redaction.hpp"

#include <gtest/gtest.h>

#include "spop/frame.hpp"
#include "spop/notify.hpp"
#include "spop/notify_builder.hpp"
#include "tests/recording/recording_builder.hpp"
#include "tests/support/hex.hpp"

namespace spop::recording {
namespace {

RedactionKey key_of(std::uint8_t first) {
  RedactionKey k;
  for (std::size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

TEST(SipHash, ReferenceVectors) {
  // Key 00..0f; messages 00, 00 01, ..., from the SipHash paper's reference output (vectors.h).
  const SipKey key = key_of(0).bytes;
  std::vector<std::byte> msg;
  EXPECT_EQ(siphash24(key, msg), 0x726fdb47dd0e0e31ULL);
  for (std::uint8_t i = 0; i < 15; ++i) msg.push_back(std::byte{i});
  EXPECT_EQ(siphash24(key, msg), 0xa129ca6149be45e5ULL);
  msg.resize(8);
  EXPECT_EQ(siphash24(key, msg), 0x93f5f5799a932462ULL);
}

// The arguments of the first message of a NOTIFY frame (views into `frame`, which must outlive them).
std::vector<spop::Argument> args_of(const std::vector<std::byte>& frame) {
  spop::Frame f;
  std::size_t used = 0;
  EXPECT_EQ(spop::split_frame(frame, UINT32_MAX, f, used), spop::Errc::ok);
  spop::NotifyView v;
  EXPECT_EQ(spop::NotifyView::parse(f.payload, v), spop::Errc::ok);
  std::vector<spop::Argument> out;
  v.begin()->arguments(out);
  return out;
}

std::vector<std::byte> redacted(const Redactor& r, std::vector<std::byte> frame, std::size_t expected_count) {
  std::size_t n = 0;
  EXPECT_TRUE(r.redact_notify(frame, n));
  EXPECT_EQ(n, expected_count);
  return frame;
}

const spop::Ipv6Address v6{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

TEST(Redactor, ReplacesNamedValuesKeepingTypeAndLength) {
  const spop::Argument args[] = {
      {"src", spop::Value::ipv4({{192, 0, 2, 10}})},
      {"v6", spop::Value::ipv6(v6)},
      {"host", spop::Value::string("www.example.com")},
      {"cookie", spop::Value::binary(std::string_view("\x00\x01\x02secret", 9))},
      {"port", spop::Value::int64(443)},
      {"keep", spop::Value::string("www.example.com")},
      {"flag", spop::Value::boolean(true)},
      {"none", spop::Value::null()},
  };
  const auto frame = spop::test::notify_bytes(7, 1, "check", args);
  const Redactor r(key_of(1), {"src", "v6", "host", "cookie", "port", "flag", "none"});
  const auto out = redacted(r, frame, 5);  // BOOL and NULL are left alone
  ASSERT_EQ(out.size(), frame.size());
  const auto before = args_of(frame);
  const auto after = args_of(out);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE(std::string(before[i].name));
    EXPECT_EQ(after[i].name, before[i].name);
    EXPECT_EQ(after[i].value.type(), before[i].value.type());
    const bool changes = i < 5;
    EXPECT_EQ(after[i].value == before[i].value, !changes);
  }
  const std::string_view host = after[2].value.as_bytes();
  EXPECT_EQ(host.size(), 15u);
  EXPECT_EQ(host.find_first_not_of("0123456789abcdef"), std::string_view::npos) << host;
  EXPECT_EQ(after[3].value.as_bytes().size(), 9u);
}

TEST(Redactor, EqualValuesStayEqualAcrossArgumentsAndFrames) {
  const spop::Argument a1[] = {{"src", spop::Value::ipv4({{10, 1, 2, 3}})}, {"xff", spop::Value::string("10.1.2.3")}};
  const spop::Argument a2[] = {{"xff", spop::Value::string("10.1.2.3")}, {"src", spop::Value::ipv4({{10, 1, 2, 3}})}};
  const spop::Argument a3[] = {{"src", spop::Value::ipv4({{10, 1, 2, 4}})}, {"xff", spop::Value::string("10.1.2.4")}};
  const Redactor r(key_of(1), {"src", "xff"});
  const auto f1 = redacted(r, spop::test::notify_bytes(1, 1, "m", a1), 2);
  const auto f2 = redacted(r, spop::test::notify_bytes(9, 2, "other", a2), 2);
  const auto f3 = redacted(r, spop::test::notify_bytes(1, 1, "m", a3), 2);
  const auto one = args_of(f1), two = args_of(f2), three = args_of(f3);
  EXPECT_EQ(one[0].value, two[1].value);
  EXPECT_EQ(one[1].value, two[0].value);
  EXPECT_NE(one[0].value, three[0].value);
  EXPECT_NE(one[1].value, three[1].value);
  // Another key, other values; the same key again, the same values.
  const auto f4 = redacted(Redactor(key_of(2), {"src", "xff"}), spop::test::notify_bytes(1, 1, "m", a1), 2);
  EXPECT_NE(one[0].value, args_of(f4)[0].value);
  EXPECT_NE(one[1].value, args_of(f4)[1].value);
  const auto f5 = redacted(Redactor(key_of(1), {"src", "xff"}), spop::test::notify_bytes(1, 1, "m", a1), 2);
  EXPECT_EQ(one[0].value, args_of(f5)[0].value);
  EXPECT_EQ(one[1].value, args_of(f5)[1].value);
}

TEST(Redactor, IntegersKeepTheirVarintLengthAtEveryRangeEdge) {
  const std::uint64_t edges[] = {0,          239,           240,          2287,          2288,
                                 264431,     264432,        33818863,     33818864,      4328786159ULL,
                                 4328786160ULL, UINT64_MAX / 2, UINT64_MAX - 5, UINT64_MAX};
  const Redactor r(key_of(3), {"n"});
  for (std::uint64_t v : edges) {
    for (const spop::Value& value : {spop::Value::uint64(v), spop::Value::integer(spop::DataType::int32, v)}) {
      SCOPED_TRACE(spop::describe(value));
      const spop::Argument args[] = {{"n", value}};
      const auto frame = spop::test::notify_bytes(1, 1, "m", args);
      const auto out = redacted(r, frame, 1);
      ASSERT_EQ(out.size(), frame.size());
      const auto after = args_of(out);
      EXPECT_EQ(after[0].value.type(), value.type());
      EXPECT_EQ(spop::varint_size(after[0].value.as_uint64()), spop::varint_size(v));
    }
  }
}

TEST(Redactor, ArgumentsOfEveryMessageAndNothingElse) {
  std::vector<std::byte> frame;
  spop::NotifyBuilder b(frame, 3, 1, 16380);
  const spop::Argument m1[] = {{"ip", spop::Value::ipv4({{1, 2, 3, 4}})}};
  const spop::Argument m2[] = {{"path", spop::Value::string("/")}, {"ip", spop::Value::ipv4({{1, 2, 3, 4}})}};
  ASSERT_EQ(b.add_message("first", m1), spop::Errc::ok);
  ASSERT_EQ(b.add_message("second", m2), spop::Errc::ok);
  b.finish();
  const auto out = redacted(Redactor(key_of(4), {"ip"}), frame, 2);
  // Only the 4 + 4 address bytes may differ (and equally: the same address); the rest is as it was.
  std::vector<std::size_t> differing;
  for (std::size_t i = 0; i < frame.size(); ++i)
    if (frame[i] != out[i]) differing.push_back(i);
  EXPECT_GE(differing.size(), 2u);
  EXPECT_LE(differing.size(), 8u);
  EXPECT_EQ(std::vector<std::byte>(out.end() - 4, out.end()), std::vector<std::byte>(out.begin() + 22, out.begin() + 26))
      << spop::test::to_hex(out);
}

TEST(Redactor, RefusesFramesItCannotWalk) {
  const Redactor r(key_of(5), {"ip"});
  std::size_t n = 9;
  auto truncated = spop::test::hex("00000010 03 00000001 01 01 02 6d31 01 02 6970 06 7f00");  // IPv4 cut short
  EXPECT_FALSE(r.redact_notify(truncated, n));
  EXPECT_EQ(n, 0u);
  auto ack = spop::test::hex("00000007 67 00000001 01 01");
  EXPECT_FALSE(r.redact_notify(ack, n));
  auto longer = spop::test::hex("00000007 03 00000001 01 01 00");  // a byte past LEN
  EXPECT_FALSE(r.redact_notify(longer, n));
  auto empty = spop::test::hex("00000007 03 00000001 01 01");  // a NOTIFY without messages is fine
  EXPECT_TRUE(r.redact_notify(empty, n));
  EXPECT_EQ(n, 0u);
}

TEST(RedactionKey, IdsDifferPerKeyAndAreNeverZero) {
  EXPECT_NE(key_of(1).id(), key_of(2).id());
  EXPECT_EQ(key_of(1).id(), key_of(1).id());
  EXPECT_NE(key_of(1).id(), 0u);
  EXPECT_NE(RedactionKey::random().bytes, RedactionKey::random().bytes);
}

}  // namespace
}  // namespace spop::recording
