#include "spop-cli/frame_decoder.hpp"

#include <gtest/gtest.h>

#include "spop-cli/frame_encoder.hpp"
#include "spop-cli/frame_printer.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using spop::test::hex;

std::vector<std::byte> capture(std::string_view name) { return spop::test::read_file(spop::test::capture(name)); }

std::vector<std::byte> reencode(const StreamDecode& d) {
  std::vector<std::byte> out;
  for (const FrameModel& f : d.frames) encode_frame(f, out);
  return out;
}

// Every capture decodes without a problem and encodes back to the same bytes.
class EveryCapture : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryCapture, DecodesCleanlyAndReencodesIdentically) {
  const auto bytes = capture(GetParam());
  const StreamDecode d = decode_stream(bytes);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_FALSE(has_errors(d)) << (d.frames[0].issue ? d.frames[0].issue->reason : "");
  EXPECT_TRUE(d.frames[0].notes.empty()) << d.frames[0].notes.front();
  EXPECT_EQ(d.consumed, bytes.size());
  EXPECT_EQ(reencode(d), bytes);
}

INSTANTIATE_TEST_SUITE_P(Captures, EveryCapture,
                         ::testing::Values("haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.bin",
                                           "haproxy-2.6/agent-disconnect.bin", "haproxy-2.6/agent-hello.bin",
                                           "haproxy-2.6/haproxy-disconnect-softstop.bin",
                                           "haproxy-2.6/hello-healthcheck.bin", "haproxy-2.6/hello.bin",
                                           "haproxy-2.6/notify-simple.bin", "haproxy-2.6/notify-types.bin",
                                           "haproxy-3.2/ack-setvar-sess-ip_score-int32-42.bin", "haproxy-3.2/hello.bin",
                                           "haproxy-3.2/notify-sid1.bin", "haproxy-3.2/notify-sid3.bin"));

TEST(FrameDecoder, NotifyTypesCaptureContents) {
  const StreamDecode d = decode_stream(capture("haproxy-2.6/notify-types.bin"));
  const FrameModel& f = d.frames.at(0);
  EXPECT_EQ(f.type, 3);
  EXPECT_EQ(f.stream_id, 0u);
  EXPECT_EQ(f.frame_id, 1u);
  ASSERT_EQ(f.messages.size(), 2u);
  EXPECT_EQ(f.messages[0].name, "check-client");
  EXPECT_EQ(f.messages[0].args.at(1).value.view(), spop::Value::string("example.com"));
  const auto& types = f.messages[1];
  EXPECT_EQ(types.name, "types");
  ASSERT_EQ(types.args.size(), 13u);
  EXPECT_EQ(types.args[1].name, "sint");
  EXPECT_EQ(types.args[1].value.view(), spop::Value::int64(-5));
  EXPECT_EQ(types.args[8].value.view(), spop::Value::null());
  EXPECT_EQ(types.args[10].name, "");  // unnamed `args method`
  EXPECT_EQ(types.args[10].value.view(), spop::Value::string("GET"));
  EXPECT_EQ(types.args[1].offset, 0x43u);  // the length byte of "sint" is at 0x43 in the capture
}

TEST(FrameDecoder, AckWithPrefixIsNamedAsHaproxyDoes) {
  const StreamDecode d = decode_stream(capture("haproxy-3.2/ack-setvar-sess-ip_score-int32-42.bin"));
  std::ostringstream os;
  PrintOptions o;
  o.var_prefix = "iprep";
  print_frame(os, d.frames.at(0), o);
  EXPECT_EQ(os.str(), "@0 ACK stream-id=1 frame-id=1 len=21 flags=FIN\n  set-var sess.iprep.ip_score = int32:42\n");
}

TEST(FrameDecoder, SeveralFramesInOneStream) {
  auto bytes = capture("haproxy-2.6/hello.bin");
  const auto agent = capture("haproxy-2.6/agent-hello.bin");
  bytes.insert(bytes.end(), agent.begin(), agent.end());
  const StreamDecode d = decode_stream(bytes);
  ASSERT_EQ(d.frames.size(), 2u);
  EXPECT_EQ(d.frames[1].offset, 133u);
  EXPECT_EQ(d.frames[1].kv.at(0).offset, 133u + 11u);
}

// A 10-byte stream-id whose last byte carries bits past the 64th (HAProxy drops them too) decodes, with a
// note, and re-encodes in the value's own form, which is stable (fuzz target cli_decode found it).
TEST(FrameDecoder, VarintWithBitsPastTheSixtyFourthIsNotedAndWrittenInItsOwnForm) {
  const auto bytes = hex("00 00 00 10 03 00 00 00 01 fc e1 e1 e1 e1 e1 e1 e1 e1 70 01");
  const StreamDecode d = decode_stream(bytes);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_FALSE(has_errors(d));
  EXPECT_EQ(d.frames[0].notes.at(0),
            "stream-id is not in its shortest varint form (10 bytes; HAProxy reads the same value, encode writes "
            "the shortest form)");
  const auto again = reencode(d);
  EXPECT_NE(again, bytes);
  const StreamDecode d2 = decode_stream(again);
  ASSERT_EQ(d2.frames.size(), 1u);
  EXPECT_EQ(d2.frames[0].stream_id, d.frames[0].stream_id);
  EXPECT_TRUE(d2.frames[0].notes.empty());
  EXPECT_EQ(reencode(d2), again);
}

struct BadCase {
  const char* name;
  const char* hex;
  std::size_t offset;
  const char* reason;
};

std::string case_name(const ::testing::TestParamInfo<BadCase>& p) { return p.param.name; }
// For ctest's and gtest's listings (else "32-byte object <63-EE ...>").
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

// Each malformed input names the exact byte and the reason.
class Malformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(Malformed, ReportsByteAndReason) {
  const BadCase& c = GetParam();
  const StreamDecode d = decode_stream(hex(c.hex));
  ASSERT_TRUE(has_errors(d));
  const DecodeIssue issue = d.stream_error ? *d.stream_error : *d.frames.at(0).issue;
  EXPECT_EQ(issue.offset, c.offset);
  EXPECT_EQ(issue.reason, c.reason);
  // A malformed frame still encodes back to its bytes (the undecoded rest is kept).
  if (!d.stream_error) {
    EXPECT_EQ(reencode(d), hex(c.hex));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Malformed,
    ::testing::Values(
        BadCase{"short_length", "00 00 00", 0, "frame length cut short: 3 bytes left, the length field takes 4"},
        BadCase{"tiny_length", "00 00 00 03 67 00 00", 0, "frame length 3 is below the minimum of 7"},
        BadCase{"cut_frame", "00 00 00 15 67 00 00 00 01 01 01", 0,
                "frame cut short: its length is 21 but only 7 bytes follow"},
        BadCase{"long_varint", "00 00 00 10 67 00 00 00 01 ff ff ff ff ff ff ff ff ff ff ff", 9,
                "stream-id: varint longer than 10 bytes"},
        BadCase{"kv_value_cut", "00 00 00 0d 65 00 00 00 01 00 00 03 6b 65 79 08 05", 15,
                "value of 'key' runs past the end of the frame (2 bytes left)"},
        BadCase{"kv_reserved_type", "00 00 00 0a 65 00 00 00 01 00 00 01 6b 0c", 13,
                "value of 'k': reserved data type id 12"},
        // A name with control bytes is shown escaped, as the frame printer shows it.
        BadCase{"kv_reserved_type_odd_key", "00 00 00 0b 65 00 00 00 01 00 00 02 01 6b 0c", 14,
                "value of \"\\x01k\": reserved data type id 12"},
        BadCase{"notify_arg_cut", "00 00 00 0e 03 00 00 00 01 01 01 01 6d 01 01 61 06 7f", 16,
                "value of argument 1/1 of message 'm' runs past the end of the frame (2 bytes left)"},
        BadCase{"notify_arg_count_cut", "00 00 00 09 03 00 00 00 01 01 01 01 6d", 13,
                "argument count of message 'm' runs past the end of the frame (0 bytes left)"},
        BadCase{"ack_unknown_action", "00 00 00 0a 67 00 00 00 01 01 01 07 03 02", 11,
                "unknown action type 7 (1 set-var, 2 unset-var): HAProxy ignores the rest of the ACK"},
        BadCase{"ack_bad_nb_args", "00 00 00 0b 67 00 00 00 01 01 01 01 02 02 00", 12,
                "set-var has 2 arguments, 3 expected: HAProxy ignores the rest of the ACK"},
        BadCase{"ack_bad_scope", "00 00 00 0c 67 00 00 00 01 01 01 02 02 05 01 78", 13,
                "unset-var scope 5 is not 0-4 (proc, sess, txn, req, res): HAProxy ignores the rest of the ACK"},
        BadCase{"ack_name_cut", "00 00 00 0c 67 00 00 00 01 01 01 01 03 02 05 78", 14,
                "set-var variable name runs past the end of the frame (2 bytes left)"}),
    case_name);

TEST(FrameDecoder, MaxFrameSizeIsEnforcedOnlyWhenAsked) {
  const auto bytes = capture("haproxy-2.6/notify-types.bin");  // LEN 480
  EXPECT_FALSE(has_errors(decode_stream(bytes)));
  const StreamDecode d = decode_stream(bytes, DecodeOptions{256, 0});
  ASSERT_TRUE(d.stream_error);
  EXPECT_EQ(d.stream_error->reason, "frame length 480 is above the maximum frame size 256");
}

TEST(FrameDecoder, NotesOnLegalButOddFrames) {
  // AGENT-HELLO with ids 1/1 and without FIN: both noted, HAProxy refuses such a frame.
  const StreamDecode d = decode_stream(hex("00 00 00 07 65 00 00 00 00 01 01"));
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_FALSE(has_errors(d));
  ASSERT_EQ(d.frames[0].notes.size(), 2u);
  EXPECT_NE(d.frames[0].notes[0].find("must be 0"), std::string::npos);
  EXPECT_NE(d.frames[0].notes[1].find("no FIN"), std::string::npos);
  // A NOTIFY fragment (no FIN) is shown as bytes.
  const StreamDecode frag = decode_stream(hex("00 00 00 09 03 00 00 00 00 01 01 aa bb"));
  EXPECT_EQ(frag.frames.at(0).kind, PayloadKind::raw);
  EXPECT_EQ(frag.frames.at(0).raw, "\xaa\xbb");
}

TEST(FrameDecoder, FlagQuirksSurviveARoundTrip) {
  // BOOL 0x31 (false for HAProxy) and a STRING byte with flags (0x18, read as BINARY).
  const auto bytes = hex("00 00 00 12 03 00 00 00 01 01 01 01 6d 02 01 62 31 01 73 18 01 41");
  const StreamDecode d = decode_stream(bytes);
  ASSERT_FALSE(has_errors(d));
  EXPECT_EQ(d.frames[0].messages[0].args[0].value.view(), spop::Value::boolean(false));
  EXPECT_EQ(d.frames[0].messages[0].args[1].value.view(), spop::Value::binary("A"));
  EXPECT_EQ(reencode(d), bytes);
}

}  // namespace
}  // namespace spop_cli
