#include "spop-cli/frame_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "spop-cli/frame_decoder.hpp"
#include "spop-cli/frame_encoder.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using nlohmann::json;

std::vector<std::byte> through_json(std::span<const std::byte> bytes) {
  std::vector<std::byte> out;
  for (const FrameModel& f : decode_stream(bytes).frames) {
    // Through text, as `decode --json | encode --json -` does.
    const json j = json::parse(dump_json(frame_to_json(f, JsonOptions{"pfx", true})));
    FrameModel back;
    EXPECT_EQ(frame_from_json(j, back), "");
    encode_frame(back, out);
  }
  return out;
}

TEST(FrameJson, EveryCaptureRoundTripsThroughJson) {
  for (const char* dir : {"haproxy-2.6", "haproxy-3.2"}) {
    for (const auto& entry : std::filesystem::directory_iterator(spop::test::capture(dir))) {
      if (entry.path().extension() != ".bin") continue;
      const auto bytes = spop::test::read_file(entry.path());
      EXPECT_EQ(through_json(bytes), bytes) << entry.path();
    }
  }
}

TEST(FrameJson, MalformedFramesRoundTripToo) {
  for (const char* h : {"00 00 00 0c 67 00 00 00 01 01 01 01 03 02 05 78",              // name cut short
                        "00 00 00 10 67 00 00 00 01 ff ff ff ff ff ff ff ff ff ff ff",  // bad header
                        "00 00 00 12 03 00 00 00 01 01 01 01 6d 02 01 62 31 01 73 18 01 41"}) {
    EXPECT_EQ(through_json(spop::test::hex(h)), spop::test::hex(h)) << h;
  }
}

TEST(FrameJson, ValueShapes) {
  EXPECT_EQ(value_to_json(spop::Value::int32(-5)), json({{"type", "int32"}, {"value", -5}}));
  EXPECT_EQ(value_to_json(spop::Value::uint64(UINT64_MAX)), json({{"type", "uint64"}, {"value", UINT64_MAX}}));
  EXPECT_EQ(value_to_json(spop::Value::null()), json({{"type", "null"}, {"value", nullptr}}));
  EXPECT_EQ(value_to_json(spop::Value::binary(std::string_view("\x00\xff", 2))).at("value"), "00ff");
  const json bad_utf8 = value_to_json(spop::Value::string("\xff"));
  EXPECT_EQ(bad_utf8.at("hex"), "ff");
  spop::Ipv6Address v6;
  ASSERT_TRUE(spop::parse_ipv6("1::f", v6));
  EXPECT_EQ(value_to_json(spop::Value::ipv6(v6)).at("value"), "1::f");
}

TEST(FrameJson, ValuesFromJsonInEveryAcceptedForm) {
  TypedValue v;
  std::uint8_t tb = 0;
  ASSERT_EQ(value_from_json(json("int32:7"), v, tb), "");
  EXPECT_EQ(v.view(), spop::Value::int32(7));
  ASSERT_EQ(value_from_json(json(-3), v, tb), "");
  EXPECT_EQ(v.view(), spop::Value::int64(-3));
  ASSERT_EQ(value_from_json(json(UINT64_MAX), v, tb), "");
  EXPECT_EQ(v.view(), spop::Value::uint64(UINT64_MAX));
  ASSERT_EQ(value_from_json(json(true), v, tb), "");
  EXPECT_EQ(v.view(), spop::Value::boolean(true));
  ASSERT_EQ(value_from_json(json({{"type", "ipv4"}, {"value", "10.1.2.3"}}), v, tb), "");
  EXPECT_EQ(v.type(), spop::DataType::ipv4);
  ASSERT_EQ(value_from_json(json({{"type", "str"}, {"value", "x"}, {"hex", "ff"}}), v, tb), "");
  EXPECT_EQ(v.view(), spop::Value::string("\xff"));  // "hex" wins
  EXPECT_NE(value_from_json(json({{"type", "int32"}, {"value", 1e20}}), v, tb), "");
  EXPECT_NE(value_from_json(json({{"type", "uint32"}, {"value", -1}}), v, tb).find("negative"), std::string::npos);
  // A 32-bit type given as a JSON number keeps the 64 wire bits (decode prints such values so); as text it
  // is range-checked.
  ASSERT_EQ(value_from_json(json({{"type", "uint32"}, {"value", 5000000000u}}), v, tb), "");
  EXPECT_EQ(v.view(), spop::Value::integer(spop::DataType::uint32, 5000000000u));
  ASSERT_EQ(value_from_json(json({{"type", "int32"}, {"value", -5000000000}}), v, tb), "");
  EXPECT_EQ(v.view().as_int64(), -5000000000);
  EXPECT_NE(value_from_json(json({{"type", "uint32"}, {"value", "5000000000"}}), v, tb).find("out of range"),
            std::string::npos);
}

// A UINT32 whose varint needs more than 32 bits is legal on the wire: decode notes it, and it survives
// `decode --json | encode --json -` byte for byte (fuzz target cli_decode found the round trip failing).
TEST(FrameJson, WideThirtyTwoBitIntegersRoundTrip) {
  std::vector<std::byte> frame;
  encode_frame(
      [] {
        FrameModel f;
        f.type = 101;  // AGENT-HELLO
        f.kind = PayloadKind::kv;
        const auto wide = [](spop::DataType t, std::int64_t v) {
          return TypedValue(spop::Value::integer(t, static_cast<std::uint64_t>(v)));
        };
        f.kv.push_back(KvEntry{"max-frame-size", wide(spop::DataType::uint32, 1ll << 40)});
        f.kv.push_back(KvEntry{"n", wide(spop::DataType::int32, -(1ll << 40))});
        return f;
      }(),
      frame);
  const StreamDecode d = decode_stream(frame);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_FALSE(has_errors(d));
  EXPECT_THAT(d.frames[0].notes,
              testing::Contains("value of 'max-frame-size': uint32:1099511627776 does not fit in 32 bits (HAProxy "
                                "reads every integer as 64 bits)"));
  EXPECT_THAT(d.frames[0].notes, testing::Contains(testing::HasSubstr("value of 'n': int32:-1099511627776")));
  EXPECT_EQ(through_json(frame), frame);
}

TEST(FrameJson, FramesFromHandWrittenJson) {
  FrameModel f;
  ASSERT_EQ(frame_from_json(json::parse(R"({"type": "ack", "stream_id": 1, "frame_id": 1,
      "actions": [{"action": "set-var", "scope": "txn", "name": "ip_score", "value": "int32:42"}]})"),
                            f),
            "");
  std::vector<std::byte> out;
  encode_frame(f, out);
  EXPECT_EQ(out, spop::test::hex("00 00 00 15 67 00 00 00 01 01 01 01 03 02 08 69 70 5f 73 63 6f 72 65 02 2a"));
}

TEST(FrameJson, ErrorsNameThePath) {
  FrameModel f;
  EXPECT_EQ(frame_from_json(json::parse(R"({"type": "notify", "messages": [{"name": "m", "args": [
      {"name": "a", "value": "int32:x"}]}]})"),
                            f),
            "messages[0].args[0].value: int32 value 'x' is not an integer");
  EXPECT_NE(frame_from_json(json::parse(R"({"type": "bogus"})"), f).find("type: unknown frame type"),
            std::string::npos);
  EXPECT_EQ(frame_from_json(json::parse(R"({"type": "ack", "actions": [{"action": "drop"}]})"), f),
            "actions[0].action: \"drop\" is not set-var or unset-var");
}

}  // namespace
}  // namespace spop_cli
