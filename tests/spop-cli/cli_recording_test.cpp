// spop-cli decode of recordings (spoa --record's format): text and JSON, found by -f too, and a truncated,
// corrupted or unknown-version file reported after everything before it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recording/writer.hpp"
#include "tests/recording/recording_builder.hpp"
#include "tests/spop-cli/run_cli.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using test::run_cli;
using test::temp_path;

// Two records: an exchange on connection 7 (ACK 250 us later) and a NOTIFY without ACK on connection 8.
spop::test::RecordingBuilder two_records(const spop::recording::FileHeader& header = {}) {
  spop::test::RecordingBuilder b(header);
  const spop::Argument args[] = {{"ip", spop::Value::ipv4({{127, 0, 0, 1}})}};
  const spop::test::SetVar vars[] = {{spop::Scope::txn, "ip_score", spop::Value::int32(42)}};
  b.add(spop::test::notify_bytes(1, 1, "check-client-ip", args), spop::test::ack_bytes(1, 1, vars), 7,
        1'764'000'000'000'000'000, 1'764'000'000'000'250'000);
  b.add(spop::test::notify_bytes(2, 1, "check-client-ip", args), {}, 8, 1'764'000'001'000'000'000);
  return b;
}

TEST(DecodeRecording, PrintsEachRecordWithItsFrames) {
  const auto path = two_records().write(temp_path("two.rec")).string();
  const auto r = run_cli({"decode", "--recording", path, "--var-prefix", "iprep"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.rfind(path + ": spop recording, format version 1, created 1970-01-01T00:00:00.000000000Z\n", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("record 1 @32 2025-11-24T16:00:00.000000000Z source 0 connection 7, ACK after 0.250 ms\n"
                       "  @72 NOTIFY stream-id=1 frame-id=1 len=32 flags=FIN\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  @108 ACK stream-id=1 frame-id=1 len=21 flags=FIN\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("txn.iprep.ip_score"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("record 2 @133 2025-11-24T16:00:01.000000000Z source 0 connection 8, no ACK\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(path + ": 2 records\n"), std::string::npos) << r.out;

  // -f finds out that the file is a recording by itself.
  const auto by_file = run_cli({"decode", "-f", path, "--var-prefix", "iprep"});
  EXPECT_EQ(by_file.status, 0);
  EXPECT_EQ(by_file.out, r.out);
}

TEST(DecodeRecording, Json) {
  spop::recording::FileHeader h;
  h.flags = spop::recording::header_flags::redacted;
  h.key_id = 0xfedcba9876543210;
  h.created_ns = 5;
  const auto path = two_records(h).write(temp_path("two.json.rec")).string();
  const auto r = run_cli({"decode", "--recording", path, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["redacted"], true);
  EXPECT_EQ(j["key_id"], "fedcba9876543210");
  ASSERT_EQ(j["records"].size(), 2u);
  const auto& first = j["records"][0];
  EXPECT_EQ(first["offset"], 32);
  EXPECT_EQ(first["connection"], 7);
  EXPECT_EQ(first["kind"], "exchange");
  EXPECT_DOUBLE_EQ(first["latency_ms"].get<double>(), 0.25);
  EXPECT_EQ(first["notify"]["type"], "NOTIFY");
  EXPECT_EQ(first["notify"]["messages"][0]["name"], "check-client-ip");
  EXPECT_EQ(first["ack"]["actions"][0]["name"], "ip_score");
  EXPECT_EQ(j["records"][1]["kind"], "notify_only");
  EXPECT_FALSE(j["records"][1].contains("ack"));
  EXPECT_FALSE(j.contains("error"));
  const auto text = run_cli({"decode", "--recording", path});
  EXPECT_NE(text.out.find(", argument values redacted (key id fedcba9876543210)\n"), std::string::npos) << text.out;
}

TEST(DecodeRecording, TruncatedFileShowsEverythingBeforeTheError) {
  auto b = two_records();
  b.bytes().resize(b.bytes().size() - 5);
  const auto path = b.write(temp_path("cut.rec")).string();
  const auto r = run_cli({"decode", "--recording", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("record 1 @32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error at byte 133: record 2 is cut short: its header says 76 bytes, the file has 71\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(path + ": 1 record before the error\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "spop-cli decode: " + path + ": byte 133: record 2 is cut short: its header says 76 bytes, the "
                   "file has 71\n");
  const auto j = nlohmann::json::parse(run_cli({"decode", "--recording", path, "--json"}).out);
  EXPECT_EQ(j["records"].size(), 1u);
  EXPECT_EQ(j["error"]["offset"], 133);
}

TEST(DecodeRecording, CorruptedRecordAndUnknownVersion) {
  auto b = two_records();
  b.bytes()[140] ^= std::byte{1};
  const auto corrupted = b.write(temp_path("flip.rec")).string();
  const auto r = run_cli({"decode", "-f", corrupted});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(corrupted + ": byte 133: record 2: checksum mismatch"), std::string::npos) << r.err;

  auto v = two_records();
  v.bytes()[9] = std::byte{3};
  const auto future = v.write(temp_path("v3.rec")).string();
  const auto u = run_cli({"decode", "--recording", future});
  EXPECT_EQ(u.status, 1);
  EXPECT_EQ(u.out, "");
  EXPECT_EQ(u.err, "spop-cli decode: " + future +
                       ": byte 0: recording format version 3 is not supported (this build reads version 1)\n");

  const auto none = run_cli({"decode", "--recording", "/nonexistent.rec"});
  EXPECT_EQ(none.status, 1);
  EXPECT_EQ(none.err, "spop-cli decode: /nonexistent.rec: byte 0: cannot open: No such file or directory\n");
  const auto both = run_cli({"decode", "--recording", corrupted, "--pcap", "x"});
  EXPECT_EQ(both.status, 1);
  EXPECT_EQ(both.err, "spop-cli decode: --recording reads the recording only: no hex, --file or --pcap\n");
}

TEST(DecodeRecording, AMalformedRecordedFrameIsReported) {
  spop::test::RecordingBuilder b;
  // A NOTIFY whose argument value runs past the end of its frame (the record itself is well formed).
  const auto notify = spop::test::hex("00000011 03 00000001 01 01 02 6d31 01 02 6970 06 7f00");
  b.add(notify, {}, 1);
  const auto path = b.write(temp_path("bad-frame.rec")).string();
  const auto r = run_cli({"decode", "--recording", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("spop-cli decode: " + path + ": byte "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(path + ": 1 record\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace spop_cli
