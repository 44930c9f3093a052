#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spop/frame.hpp"
#include "tests/spop/golden_frames.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;
namespace golden = test::golden;

using golden::frame_of;

// The standard example of script-api.md: eleven SET-VARs for NOTIFY sid 1 fid 1.
constexpr std::string_view standard_example =
    "0000009c 67 00000001 01 01"
    " 01 03 02  04 6e756c6c  00"                                    // txn null = NULL
    " 01 03 02  07 626f6f6c65616e  11"                              // txn boolean = true
    " 01 03 02  05 696e743332  02 f23e"                             // txn int32 = INT32 1234
    " 01 03 02  06 75696e743332  03 f23e"                           // txn uint32 = UINT32 1234
    " 01 03 02  05 696e743634  04 f23e"                             // txn int64 = INT64 1234
    " 01 03 02  06 75696e743634  05 f23e"                           // txn uint64 = UINT64 1234
    " 01 03 02  04 69707634  06 7f000001"                           // txn ipv4 = 127.0.0.1
    " 01 03 02  04 69707636  07 0001000000000000000000000000000f"   // txn ipv6 = 1::f
    " 01 03 02  03 737472  08 04 313a3a66"                          // txn str = "1::f"
    " 01 03 02  03 62696e  09 04 313a3a66"                          // txn bin = "1::f" (binary)
    " 01 03 01  08 69705f73636f7265  02 2a";                        // sess ip_score = INT32 42

void add_standard_example(AckBuilder& b) {
  Ipv6Address v6;
  ASSERT_TRUE(parse_ipv6("1::f", v6));
  ASSERT_EQ(b.set_var(Scope::txn, "null", Value::null()), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "boolean", Value::boolean(true)), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "int32", Value::int32(1234)), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "uint32", Value::uint32(1234)), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "int64", Value::int64(1234)), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "uint64", Value::uint64(1234)), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "ipv4", Value::ipv4(Ipv4Address{{127, 0, 0, 1}})), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "ipv6", Value::ipv6(v6)), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "str", Value::string("1::f")), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::txn, "bin", Value::binary("1::f")), Errc::ok);
  ASSERT_EQ(b.set_var(Scope::sess, "ip_score", Value::int32(42)), Errc::ok);
}

// ---- AckBuilder -------------------------------------------------------------------------------

TEST(AckBuilder, BuildsTheAckOfTheSpec) {
  std::vector<std::byte> out;
  AckBuilder b(out, 1, 1, 16380);
  ASSERT_EQ(b.set_var(Scope::txn, "ip_score", Value::int32(42)), Errc::ok);
  b.finish();
  EXPECT_EQ(out.size(), 25u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::ack)));
}

TEST(AckBuilder, BuildsTheUnsetVarOfTheSpec) {
  std::vector<std::byte> out;
  AckBuilder b(out, 1, 1, 16380);
  ASSERT_EQ(b.unset_var(Scope::txn, "ip_score"), Errc::ok);
  b.finish();
  EXPECT_EQ(out.size(), 23u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::ack_unset)));
}

TEST(AckBuilder, BuildsAnEmptyAck) {
  std::vector<std::byte> out;
  AckBuilder b(out, 1, 1, 16380);
  EXPECT_EQ(b.action_count(), 0u);
  EXPECT_EQ(b.frame_length(), 7u);
  b.finish();
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::ack_empty)));
}

TEST(AckBuilder, BuildsTheStandardExample) {
  std::vector<std::byte> out;
  AckBuilder b(out, 1, 1, 16380);
  add_standard_example(b);
  EXPECT_EQ(b.action_count(), 11u);
  b.finish();
  EXPECT_EQ(out.size(), 160u);
  EXPECT_EQ(to_hex(out), to_hex(hex(standard_example)));
}

TEST(AckBuilder, CopiesTheIdsAndSignExtendsNegativeIntegers) {
  std::vector<std::byte> out;
  AckBuilder b(out, 300, 2288, 16380);
  EXPECT_EQ(b.stream_id(), 300u);
  EXPECT_EQ(b.frame_id(), 2288u);
  ASSERT_EQ(b.set_var(Scope::res, "n", Value::int32(-1)), Errc::ok);
  b.finish();
  EXPECT_EQ(to_hex(out), to_hex(hex("0000001A 67 00000001 FC03 F08000  01 03 04 01 6e 02 FFF0FEFEFEFEFEFEFE0E")));
}

TEST(AckBuilder, AppendsAfterExistingBytesAndCancels) {
  std::vector<std::byte> out = hex("EE");
  {
    AckBuilder b(out, 1, 1, 16380);
    ASSERT_EQ(b.unset_var(Scope::proc, "x"), Errc::ok);
    b.finish();
  }
  EXPECT_EQ(to_hex(out), to_hex(hex("EE  0000000C 67 00000001 01 01  02 02 00 01 78")));
  const auto before = out;
  AckBuilder b(out, 5, 5, 16380);
  ASSERT_EQ(b.set_var(Scope::txn, "y", Value::int32(1)), Errc::ok);
  b.cancel();
  EXPECT_EQ(out, before);
  EXPECT_EQ(b.action_count(), 0u);
}

TEST(AckBuilder, RefusesActionsPastTheMaximumAndStaysValid) {
  // Each action: 01 03 02 + "ip_score" (9) + INT32 42 (2) = 14 bytes; UNSET-VAR: 02 02 02 + 9 = 12.
  for (std::uint32_t max : {7u, 20u, 21u, 34u, 35u, 48u, 49u, 256u}) {
    SCOPED_TRACE(max);
    std::vector<std::byte> out;
    AckBuilder b(out, 1, 1, max);
    std::size_t accepted = 0;
    while (true) {
      const std::size_t count = b.action_count();
      const std::size_t length = b.frame_length();
      const Errc e = b.set_var(Scope::txn, "ip_score", Value::int32(42));
      if (e != Errc::ok) {
        EXPECT_EQ(e, Errc::frame_too_big);
        EXPECT_EQ(b.action_count(), count);
        EXPECT_EQ(b.frame_length(), length);
        break;
      }
      ++accepted;
    }
    EXPECT_EQ(accepted, (max - 7) / 14);
    EXPECT_LE(b.frame_length(), max);
    EXPECT_EQ(b.remaining(), max - b.frame_length());
    // A smaller action can still fit in what is left, and is refused when it does not.
    const Errc unset = b.unset_var(Scope::txn, "ip_score");
    EXPECT_EQ(unset == Errc::ok, (max - 7) % 14 >= 12);
    const std::size_t actions = b.action_count();
    b.finish();
    const Frame f = frame_of(out, max);
    EXPECT_LE(f.length, max);
    AckContents contents;
    read_ack_actions(f.payload, contents);
    EXPECT_EQ(contents.stop_reason, Errc::ok);
    EXPECT_EQ(contents.actions.size(), actions);
  }
}

// The builder may keep spare bytes after the frame while it is open; they never outlive it and
// never pass the frame's maximum.
TEST(AckBuilder, SpareBytesNeverOutliveTheBuilder) {
  const auto prefix = hex("AA BB");
  {
    std::vector<std::byte> out = prefix;
    {
      AckBuilder b(out, 1, 1, 16380);
      ASSERT_EQ(b.set_var(Scope::txn, "ip_score", Value::int32(42)), Errc::ok);
      EXPECT_GE(out.size(), 2u + 25u);
      EXPECT_EQ(b.frame_length(), 21u);
    }  // destroyed without finish(): only the (unpatched) frame remains
    EXPECT_EQ(out.size(), 2u + 25u);
    const auto ack = hex(golden::ack);
    EXPECT_EQ(to_hex(std::span(out).subspan(6)), to_hex(std::span(ack).subspan(4)));
  }
  {
    std::vector<std::byte> out = prefix;
    AckBuilder b(out, 1, 1, 20);  // the frame may not pass 20 bytes: neither may the spare room
    EXPECT_LE(out.size(), 2u + 4u + 20u);
    EXPECT_EQ(b.unset_var(Scope::txn, "abcdefghij"), Errc::frame_too_big);  // 7 + 3 + 11 = 21
    EXPECT_EQ(b.unset_var(Scope::txn, "abcdefghi"), Errc::ok);              // 7 + 3 + 10 = 20
    EXPECT_LE(out.size(), 2u + 4u + 20u);
    b.finish();
    EXPECT_EQ(out.size(), 2u + 4u + 20u);
  }
  {
    std::vector<std::byte> out = prefix;
    AckBuilder b(out, 1, 1, 16380);
    ASSERT_EQ(b.set_var(Scope::txn, "x", Value::int32(1)), Errc::ok);
    b.cancel();
    EXPECT_EQ(out, prefix);
  }
}

TEST(AckBuilder, RefusesAHugeStringWithoutTouchingTheFrame) {
  const std::string huge(20000, 's');  // the original agent crashed on a 20 KB string
  std::vector<std::byte> out;
  AckBuilder b(out, 1, 1, 16380);
  ASSERT_EQ(b.set_var(Scope::txn, "small", Value::int32(1)), Errc::ok);
  const auto before = out;
  EXPECT_EQ(b.set_var(Scope::txn, "big", Value::string(huge)), Errc::frame_too_big);
  EXPECT_EQ(out, before);
  EXPECT_EQ(b.action_count(), 1u);
}

// ---- read_ack_actions -------------------------------------------------------------------------

TEST(AckReader, ReadsTheStandardExampleBack) {
  const auto bytes = hex(standard_example);
  AckContents contents;
  read_ack_actions(frame_of(bytes).payload, contents);
  EXPECT_EQ(contents.stop_reason, Errc::ok);
  EXPECT_EQ(contents.stop_offset, 149u);
  ASSERT_EQ(contents.actions.size(), 11u);
  const Action& null_var = contents.actions[0];
  EXPECT_EQ(null_var.type, ActionType::set_var);
  EXPECT_EQ(null_var.name, "null");
  EXPECT_TRUE(null_var.value.is_null());
  EXPECT_TRUE(contents.actions[1].value == Value::boolean(true));
  EXPECT_TRUE(contents.actions[2].value == Value::int32(1234));
  EXPECT_TRUE(contents.actions[5].value == Value::uint64(1234));
  EXPECT_TRUE(contents.actions[9].value == Value::binary("1::f"));
  const Action& last = contents.actions[10];
  EXPECT_EQ(last.scope, Scope::sess);
  EXPECT_EQ(last.name, "ip_score");
  EXPECT_TRUE(last.value == Value::int32(42));
}

TEST(AckReader, ReadsTheAckOfTheSpec) {
  const auto bytes = hex(golden::ack);
  const Frame f = frame_of(bytes);
  EXPECT_EQ(f.header.type, FrameType::ack);
  EXPECT_EQ(f.header.flags, frame_flags::fin);
  EXPECT_EQ(f.header.stream_id, 1u);
  EXPECT_EQ(f.header.frame_id, 1u);
  AckContents contents;
  read_ack_actions(f.payload, contents);
  EXPECT_EQ(contents.stop_reason, Errc::ok);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].type, ActionType::set_var);
  EXPECT_EQ(contents.actions[0].scope, Scope::txn);
  EXPECT_EQ(contents.actions[0].name, "ip_score");
  EXPECT_TRUE(contents.actions[0].value == Value::int32(42));

  const auto empty = hex(golden::ack_empty);
  const Frame e = frame_of(empty);
  EXPECT_EQ(e.header.type, FrameType::ack);
  EXPECT_EQ(e.header.stream_id, 1u);
  EXPECT_EQ(e.header.frame_id, 1u);
  EXPECT_TRUE(e.payload.empty());
  read_ack_actions(e.payload, contents);
  EXPECT_TRUE(contents.actions.empty());
  EXPECT_EQ(contents.stop_reason, Errc::ok);
}

TEST(AckReader, ReadsUnsetVar) {
  const auto bytes = hex(golden::ack_unset);
  AckContents contents;
  read_ack_actions(frame_of(bytes).payload, contents);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].type, ActionType::unset_var);
  EXPECT_EQ(contents.actions[0].scope, Scope::txn);
  EXPECT_EQ(contents.actions[0].name, "ip_score");
  EXPECT_TRUE(contents.actions[0].value.is_null());
}

TEST(AckReader, EmptyPayloadHasNoAction) {
  AckContents contents;
  contents.actions.resize(3);  // cleared by the reader
  read_ack_actions({}, contents);
  EXPECT_TRUE(contents.actions.empty());
  EXPECT_EQ(contents.stop_reason, Errc::ok);
  EXPECT_EQ(contents.stop_offset, 0u);
}

// HAProxy (spoe_process_actions) stops silently at the first bad action and keeps the earlier ones.
TEST(AckReader, StopsAtTheFirstBadActionKeepingEarlierOnes) {
  const char* good = "01 03 02 01 61 02 01  02 02 01 01 62 ";  // set txn.a = 1; unset sess.b (12 bytes)
  struct Case {
    const char* what;
    const char* tail;
    Errc reason;
  };
  const Case cases[] = {
      {"unknown action type", "03 02 02 01 63", Errc::invalid_payload},
      {"action type 0", "00 03 02 01 63 00", Errc::invalid_payload},
      {"set-var with 2 args", "01 02 02 01 63 02 01", Errc::invalid_payload},
      {"set-var with 4 args", "01 04 02 01 63 02 01", Errc::invalid_payload},
      {"unset-var with 3 args", "02 03 02 01 63", Errc::invalid_payload},
      {"bad scope", "01 03 05 01 63 02 01", Errc::invalid_payload},
      {"scope 255", "02 02 FF 01 63", Errc::invalid_payload},
      {"no nb-args", "01", Errc::truncated},
      {"no scope", "01 03", Errc::truncated},
      {"no name", "01 03 02", Errc::truncated},
      {"name past the end", "01 03 02 05 6364", Errc::truncated},
      {"no value", "01 03 02 01 63", Errc::truncated},
      {"value past the end", "01 03 02 01 63 08 04 6162", Errc::truncated},
      {"overlong varint", "01 03 02 01 63 02 FFFFFFFFFFFFFFFFFFFF00", Errc::varint_too_long},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    // The bad action, then (unless the bad action is cut by the end of the payload) a valid one
    // that must not be read.
    const std::string after = c.reason == Errc::truncated ? "" : " 01 03 02 01 7a 02 07";
    const auto payload = hex(std::string(good) + c.tail + after);
    AckContents contents;
    read_ack_actions(payload, contents);
    EXPECT_EQ(contents.stop_reason, c.reason);
    EXPECT_EQ(contents.stop_offset, 12u);
    ASSERT_EQ(contents.actions.size(), 2u);
    EXPECT_EQ(contents.actions[0].name, "a");
    EXPECT_TRUE(contents.actions[0].value == Value::int32(1));
    EXPECT_EQ(contents.actions[1].type, ActionType::unset_var);
    EXPECT_EQ(contents.actions[1].scope, Scope::sess);
    EXPECT_EQ(contents.actions[1].name, "b");
  }
}

TEST(AckReader, TruncatedLastActionIsDropped) {
  const auto bytes = hex(golden::ack);
  const auto payload = frame_of(bytes).payload;
  for (std::size_t cut = 1; cut < payload.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::vector<std::byte> prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut));
    AckContents contents;
    read_ack_actions(prefix, contents);
    EXPECT_TRUE(contents.actions.empty());
    EXPECT_EQ(contents.stop_reason, Errc::truncated);
    EXPECT_EQ(contents.stop_offset, 0u);
  }
}

TEST(AckReader, NullSetVarIsKeptAsNull) {
  // HAProxy treats a SET-VAR whose value is NULL as an unset; the reader reports the NULL value.
  AckContents contents;
  const auto payload = hex("01 03 02 01 78 00  01 03 02 01 79 02 05");
  read_ack_actions(payload, contents);
  EXPECT_EQ(contents.stop_reason, Errc::ok);
  ASSERT_EQ(contents.actions.size(), 2u);
  EXPECT_EQ(contents.actions[0].type, ActionType::set_var);
  EXPECT_TRUE(contents.actions[0].value.is_null());
  EXPECT_TRUE(contents.actions[1].value == Value::int32(5));
}

TEST(AckReader, ReservedValueTypeReadsAsNullLikeHaproxy) {
  // spoe_decode_data() takes the type byte of ids 10-15 alone and leaves the sample untyped, which
  // set-var treats as an unset; the next action is read right after that byte.
  AckContents contents;
  const auto payload = hex("01 03 02 01 78 0B  01 03 02 01 79 02 05");
  read_ack_actions(payload, contents);
  EXPECT_EQ(contents.stop_reason, Errc::ok);
  ASSERT_EQ(contents.actions.size(), 2u);
  EXPECT_TRUE(contents.actions[0].value.is_null());
  EXPECT_EQ(contents.actions[1].name, "y");
  EXPECT_TRUE(contents.actions[1].value == Value::int32(5));
}

TEST(AckReader, ValueFlagsAreReadAsHaproxyDoes) {
  AckContents contents;
  const auto payload = hex("01 03 02 01 61 18 01 41  01 03 02 01 62 31  01 03 02 01 63 11");
  read_ack_actions(payload, contents);
  ASSERT_EQ(contents.actions.size(), 3u);
  EXPECT_EQ(contents.actions[0].value.type(), DataType::binary);  // STRING with a flag: binary
  EXPECT_TRUE(contents.actions[1].value == Value::boolean(false));  // 0x31: not the TRUE flag
  EXPECT_TRUE(contents.actions[2].value == Value::boolean(true));
}

}  // namespace
}  // namespace spop
