// End to end: `decode` (hex, xxd dumps, raw files, stdin, pcapng) and `encode` of the spop-cli binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tests/spop-cli/run_cli.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using nlohmann::json;
using test::run_cli;

std::string capture_path(const std::string& name) { return spop::test::capture(name).string(); }

std::string raw(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::vector<std::filesystem::path> capture_files(const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const char* dir : {"haproxy-2.6", "haproxy-3.2"}) {
    for (const auto& e : std::filesystem::directory_iterator(spop::test::capture(dir))) {
      if (e.path().extension() == ext) out.push_back(e.path());
    }
  }
  return out;
}

TEST(CliDecode, EveryCaptureDumpAndItsRawFileDecodeTheSame) {
  const auto dumps = capture_files(".hex");
  ASSERT_GE(dumps.size(), 12u);
  for (const auto& hex : dumps) {
    auto bin = hex;
    bin.replace_extension(".bin");
    const auto from_dump = run_cli({"decode", "-f", hex.string(), "--json"});
    const auto from_raw = run_cli({"decode", "-f", bin.string(), "--json"});
    ASSERT_EQ(from_dump.status, 0) << hex << from_dump.err;
    ASSERT_EQ(from_raw.status, 0) << bin << from_raw.err;
    const json d = json::parse(from_dump.out);
    EXPECT_EQ(d, json::parse(from_raw.out)) << hex;
    EXPECT_EQ(d.at("frames").size(), 1u) << hex;
    EXPECT_FALSE(d.at("frames")[0].contains("error")) << hex;
  }
}

TEST(CliDecode, TreeOfAnAck) {
  const auto r = run_cli(
      {"decode", "--var-prefix", "test", "-f", capture_path("haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.hex")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "@0 ACK stream-id=0 frame-id=1 len=14 flags=FIN\n  set-var txn.test.x = int32:1\n");
}

TEST(CliDecode, HexArgumentsAndStdin) {
  const auto args = run_cli({"decode", "00 00 00 07", "67 00 00 00 01 01 01"});
  ASSERT_EQ(args.status, 0) << args.err;
  EXPECT_EQ(args.out, "@0 ACK stream-id=1 frame-id=1 len=7 flags=FIN\n  (no actions)\n");
  const auto text = run_cli({"decode"}, "00000007 67 00000001 01 01  # an empty ACK\n");
  EXPECT_EQ(text.out, args.out);
  const auto binary = run_cli({"decode"}, raw(spop::test::hex("00 00 00 07 67 00 00 00 01 01 01")));
  EXPECT_EQ(binary.out, args.out);
  const auto forced = run_cli({"decode", "--format", "raw"}, "00");
  EXPECT_EQ(forced.status, 2);  // two ASCII bytes read as raw are not a frame
}

TEST(CliDecode, PcapngOfAHealthCheckAndANotify) {
  const auto r = run_cli({"decode", "--pcap", capture_path("haproxy-2.6/healthcheck-and-notify.pcapng"), "--port",
                          "12345", "--var-prefix", "test"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(": 28 packets, 28 TCP segments on port 12345, 4 connections\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    0.000000 #1 connection from HAProxy 127.0.0.1:47122 to the agent 127.0.0.1:12345\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("#1 haproxy->agent @0 HAPROXY-HELLO stream-id=0 frame-id=0 len=78 flags=FIN\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("healthcheck = bool:true"), std::string::npos);
  EXPECT_NE(r.out.find("#1 closed: RST from HAProxy\n"), std::string::npos);
  EXPECT_NE(r.out.find("#3 haproxy->agent @133 NOTIFY stream-id=0 frame-id=1 len=47 flags=FIN\n"), std::string::npos);
  EXPECT_NE(r.out.find("#3 agent->haproxy @68 ACK stream-id=0 frame-id=1 len=14 flags=FIN\n"
                       "                     set-var txn.test.x = int32:1\n"),
            std::string::npos)
      << r.out;

  const auto j =
      run_cli({"decode", "--pcap", capture_path("haproxy-2.6/healthcheck-and-notify.pcapng"), "-p", "12345", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const json out = json::parse(j.out);
  EXPECT_EQ(out.at("connections").size(), 4u);
  std::size_t frames = 0, resets = 0;
  for (const json& e : out.at("events")) {
    frames += e.at("kind") == "frame";
    resets += e.at("kind") == "closed" && e.at("text") == "RST from HAProxy";
  }
  EXPECT_EQ(frames, 10u);
  EXPECT_EQ(resets, 3u);  // after each of the three health checks
  EXPECT_EQ(out.at("events")[0].at("time"), "2026-11-25T01:33:24.687946523Z");
}

TEST(CliDecode, ErrorsNameTheByte) {
  // An ACK whose variable name runs past the end: status 2, the byte on stderr and in the tree.
  const auto r = run_cli({"decode", "00 00 00 0c 67 00 00 00 01 01 01 01 03 02 05 78"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "spop-cli decode: byte 14: set-var variable name runs past the end of the frame (2 bytes left)\n");
  EXPECT_NE(r.out.find("  error at byte 14: set-var variable name"), std::string::npos) << r.out;
  const auto cut = run_cli({"decode", "--json", "00 00 00 15 67 00 00 00 01 01 01"});
  EXPECT_EQ(cut.status, 2);
  EXPECT_EQ(json::parse(cut.out).at("error").at("offset"), 0);
  EXPECT_EQ(cut.err, "spop-cli decode: byte 0: frame cut short: its length is 21 but only 7 bytes follow\n");
}

TEST(CliDecode, BadInputIsAUsageError) {
  auto r = run_cli({"decode", "00 0z"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "spop-cli decode: the arguments: not hex: line 1, column 5: 'z' is not a hex digit\n");
  r = run_cli({"decode", "--hex", "00"});  // not an option: TCLAP would have passed it on as hex
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "spop-cli decode: unknown option '--hex'\nRun 'spop-cli decode --help' for the options.\n");
  r = run_cli({"encode", "--bogus", "notify"});  // TCLAP alone would take --bogus for the TYPE
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "spop-cli encode: unknown option '--bogus'\nRun 'spop-cli encode --help' for the options.\n");
  r = run_cli({"decode", "-f", "/nonexistent"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "spop-cli decode: cannot open /nonexistent\n");
  r = run_cli({"decode"}, "");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "spop-cli decode: no bytes to decode in stdin\n");
  r = run_cli({"decode", "--pcap", capture_path("haproxy-2.6/healthcheck-and-notify.pcapng")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--pcap needs --port"), std::string::npos);
  r = run_cli({"decode", "--pcap", "/nonexistent.pcap", "--port", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent.pcap: "), std::string::npos);
  r = run_cli({"decode", "--pcap", capture_path("haproxy-2.6/healthcheck-and-notify.pcapng"), "--port", "80"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no TCP connection on port 80"), std::string::npos);
}

// ---- encode ----------------------------------------------------------------------------------

TEST(CliEncode, ReproducesTheRealHaproxyAndAgentFrames) {
  struct Case {
    std::vector<std::string> args;
    const char* capture;
  };
  const std::vector<Case> cases = {
      {{"encode", "haproxy-hello", "--healthcheck"}, "haproxy-2.6/hello-healthcheck.bin"},
      {{"encode", "haproxy-hello", "--engine-id", "15162872-4af8-4605-93e8-3cf27d0312ad"}, "haproxy-2.6/hello.bin"},
      {{"encode", "agent-hello"}, "haproxy-2.6/agent-hello.bin"},
      {{"encode", "agent-disconnect"}, "haproxy-2.6/agent-disconnect.bin"},
      {{"encode", "haproxy-disconnect", "--status", "0", "--message", "normal"},
       "haproxy-2.6/haproxy-disconnect-softstop.bin"},
      {{"encode", "ack", "-s", "0", "-i", "1", "--set-var", "txn.x=int32:1"},
       "haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.bin"},
      {{"encode", "notify", "-s", "3", "-m", "check-client-ip", "-a", "ip=ipv4:127.0.0.1"},
       "haproxy-3.2/notify-sid3.bin"},
      {{"encode", "notify", "-s", "0", "-m", "check-client", "-a", "ip=ipv4:127.0.0.1", "-a", "host=str:example.com"},
       "haproxy-2.6/notify-simple.bin"},
  };
  for (const Case& c : cases) {
    auto args = c.args;
    args.insert(args.end(), {"--format", "raw"});
    const auto r = run_cli(args);
    ASSERT_EQ(r.status, 0) << c.capture << r.err;
    EXPECT_EQ(r.out, raw(spop::test::read_file(spop::test::capture(c.capture)))) << c.capture;
  }
}

TEST(CliEncode, EveryTypeRoundTripsThroughDecode) {
  const std::string seed = test::temp_path("seed.bin");
  const auto e = run_cli({"encode", "notify",
                          "-m",     "m",
                          "-a",     "n=null",
                          "-a",     "b=bool:false",
                          "-a",     "i=int32:-1",
                          "-a",     "u=uint32:7",
                          "-a",     "l=int64:-5",
                          "-a",     "q=uint64:18446744073709551615",
                          "-a",     "v4=ip:192.168.0.1",
                          "-a",     "v6=ip:fe80::1",
                          "-a",     "s=str:text",
                          "-a",     "x=bin:base64:/w==",
                          "-o",     seed});
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out, "");  // -o alone writes the file only
  const auto d = run_cli({"decode", "-f", seed, "--json"});
  ASSERT_EQ(d.status, 0) << d.err;
  const json args = json::parse(d.out).at("frames").at(0).at("messages").at(0).at("args");
  ASSERT_EQ(args.size(), 10u);
  EXPECT_EQ(args[0].at("value").at("type"), "null");
  EXPECT_EQ(args[1].at("value").at("value"), false);
  EXPECT_EQ(args[2].at("value"), json({{"type", "int32"}, {"value", -1}}));
  EXPECT_EQ(args[3].at("value"), json({{"type", "uint32"}, {"value", 7}}));
  EXPECT_EQ(args[4].at("value"), json({{"type", "int64"}, {"value", -5}}));
  EXPECT_EQ(args[5].at("value").at("value"), UINT64_MAX);
  EXPECT_EQ(args[6].at("value"), json({{"type", "ipv4"}, {"value", "192.168.0.1"}}));
  EXPECT_EQ(args[7].at("value"), json({{"type", "ipv6"}, {"value", "fe80::1"}}));
  EXPECT_EQ(args[8].at("value").at("value"), "text");
  EXPECT_EQ(args[9].at("value"), json({{"type", "bin"}, {"value", "ff"}}));
}

TEST(CliEncode, DecodeJsonPipedIntoEncodeGivesTheSameBytes) {
  for (const auto& bin : capture_files(".bin")) {
    const auto d = run_cli({"decode", "-f", bin.string(), "--json"});
    ASSERT_EQ(d.status, 0) << bin;
    const auto e = run_cli({"encode", "--json", "-", "--format", "raw"}, d.out);
    ASSERT_EQ(e.status, 0) << bin << e.err;
    EXPECT_EQ(e.out, raw(spop::test::read_file(bin))) << bin;
  }
}

TEST(CliEncode, CraftedBrokenFramesForTests) {
  // An AGENT-HELLO without max-frame-size, and trailing garbage after an ACK.
  auto r = run_cli({"encode", "agent-hello", "--bare", "--kv", "version=str:2.0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "00 00 00 14 65 00 00 00 01 00 00 07 76 65 72 73 69 6f 6e 08 03 32 2e 30\n");
  r = run_cli({"encode", "ack", "--trailing-hex", "07", "--format", "hex"});
  EXPECT_EQ(r.out, "000000086700000001010107\n");
  r = run_cli({"encode", "notify", "--no-fin", "--payload-hex", "aabb", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out).at("frames").at(0);
  EXPECT_EQ(j.at("fin"), false);
  EXPECT_EQ(j.at("payload_hex"), "aabb");
  r = run_cli({"encode", "7", "--flags", "0x3", "--payload-hex", "01"});
  EXPECT_EQ(r.out, "00 00 00 08 07 00 00 00 03 00 00 01\n");
  r = run_cli({"encode", "ack", "--format", "xxd"});
  EXPECT_EQ(r.out, "0000: 00 00 00 07 67 00 00 00 01 01 01                 ....g......\n");
}

TEST(CliEncode, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"encode"}, "missing the frame TYPE"},
      {{"encode", "bogus"}, "unknown frame type 'bogus'"},
      {{"encode", "ack", "-m", "x"}, "--msg only applies to notify frames"},
      {{"encode", "notify", "--set-var", "txn.x=int32:1"}, "--set-var only applies to ack frames"},
      {{"encode", "ack", "--status", "1"}, "--status only applies to hello and disconnect frames"},
      {{"encode", "ack", "--set-var", "txn.x"}, "write SCOPE.NAME=TYPE:VALUE"},
      {{"encode", "notify", "-a", "x=int32:1"}, "comes before any --msg"},
      {{"encode", "agent-disconnect", "--status", "-1"}, "--status: '-1' is negative"},
      {{"encode", "ack", "--format", "png"}, "--format: 'png' is not spaced, hex, xxd, json or raw"},
      {{"encode", "--json", "-"}, "--json: stdin is not valid JSON"},
      {{"encode", "ack", "--json", "x.json"}, "give a frame TYPE or --json, not both"},
  };
  for (const Case& c : cases) {
    const auto r = run_cli(c.args, "{oops");
    EXPECT_EQ(r.status, 1) << c.err;
    EXPECT_NE(r.err.find(c.err), std::string::npos) << "wanted '" << c.err << "' in: " << r.err;
  }
}

}  // namespace
}  // namespace spop_cli
