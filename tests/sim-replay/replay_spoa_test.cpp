// spop-sim replay (the binary) against our agent: traffic recorded from spoa running replay_v1.lua is
// replayed against the same script (no difference) and against replay_v2.lua (exactly the expected
// differences, counts included), from a recording and from a capture the test writes; --ignore, the 3.1
// profile, --unix, pacing, calls that time out now, every bad input, and an agent that is not there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>

#include "spop/frame.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/spop-cli/fake_agent.hpp"
#include "tests/recording/recording_builder.hpp"
#include "tests/sim-replay/replay_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace spop::sim::replay {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using test::Exchanged;
using test::run_replay;

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One NOTIFY sent to the agent and the ACK frame it sent back, with their times; nullopt without an ACK.
std::optional<Exchanged> exchange(spoa::test::TestClient& client, std::vector<std::byte> notify) {
  Exchanged e;
  e.notify = std::move(notify);
  e.notify_ns = wall_ns();
  EXPECT_TRUE(client.send(e.notify));
  const auto ack = client.read_frame();
  EXPECT_TRUE(ack);
  if (!ack) return std::nullopt;
  e.ack_ns = wall_ns();
  spop::FrameWriter w(e.ack, ack->header, spop::default_max_frame_size);
  w.payload().put_bytes(ack->payload);
  w.finish();
  return e;
}

// Real traffic: NOTIFYs for n in `ns` sent to the agent one at a time on one connection, each with the
// ACK frame it sent back, as a recorder between HAProxy and the agent would keep them.
std::vector<Exchanged> exchange_with(std::uint16_t port, const std::vector<std::int64_t>& ns) {
  spoa::test::TestClient client(port);
  EXPECT_TRUE(client.connected());
  EXPECT_TRUE(client.hello());
  std::vector<Exchanged> out;
  std::uint64_t sid = 0;
  for (std::int64_t n : ns) {
    auto e = exchange(client, test::check_notify(sid++, n));
    if (!e) break;
    out.push_back(std::move(*e));
  }
  return out;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> v;
  for (std::int64_t n = from; n < to; ++n) v.push_back(n);
  return v;
}

class ReplayAgainstSpoa : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    v1_ = new spoa::test::AgentProcess({"-n", "1", "-f", SPOP_SOURCE_DIR "/tests/sim-replay/replay_v1.lua"});
    v2_ = new spoa::test::AgentProcess({"-n", "1", "-f", SPOP_SOURCE_DIR "/tests/sim-replay/replay_v2.lua"});
    dir_ = new std::filesystem::path(spop::test::scratch_dir("sim-replay-spoa"));
    if (v1_->ready()) {
      traffic_ = new std::vector<Exchanged>(exchange_with(v1_->port(), range(0, 50)));
      recording_ = new std::string(test::write_recording(*dir_ / "traffic.rec", *traffic_).string());
    }
  }
  static void TearDownTestSuite() {
    delete v1_;
    delete v2_;
    delete traffic_;
    delete recording_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(v1_->ready()) << v1_->log();
    ASSERT_TRUE(v2_->ready()) << v2_->log();
    ASSERT_EQ(traffic_->size(), 50u);
  }

  static std::string port(const spoa::test::AgentProcess* a) { return std::to_string(a->port()); }
  static nlohmann::json json_of(const test::Exec& e) {
    try {
      return nlohmann::json::parse(e.out);
    } catch (const std::exception&) {
      ADD_FAILURE() << "not JSON: " << e.out << e.err;
      return {};
    }
  }

  static spoa::test::AgentProcess* v1_;
  static spoa::test::AgentProcess* v2_;
  static std::filesystem::path* dir_;
  static std::vector<Exchanged>* traffic_;
  static std::string* recording_;
};
spoa::test::AgentProcess* ReplayAgainstSpoa::v1_ = nullptr;
spoa::test::AgentProcess* ReplayAgainstSpoa::v2_ = nullptr;
std::filesystem::path* ReplayAgainstSpoa::dir_ = nullptr;
std::vector<Exchanged>* ReplayAgainstSpoa::traffic_ = nullptr;
std::string* ReplayAgainstSpoa::recording_ = nullptr;

TEST_F(ReplayAgainstSpoa, TheSameScriptGivesNoDifference) {
  // One more record: a NOTIFY the agent did not answer when it was recorded. It is replayed, not compared.
  std::vector<Exchanged> traffic = *traffic_;
  traffic.push_back({test::check_notify(50, 50), {}, traffic.back().notify_ns + 1000, 0});
  const auto path = test::write_recording(*dir_ / "with-unanswered.rec", traffic);
  const auto e = run_replay({path.string(), "--port", port(v1_), "--var-prefix", "p"});
  EXPECT_EQ(e.status, 0) << e.out << e.err;
  EXPECT_EQ(e.err, "");
  EXPECT_THAT(e.out, HasSubstr("input " + path.string() + " (recording): 51 exchanges, 1 of them without an ACK\n"));
  EXPECT_THAT(e.out, HasSubstr("compared 50 ACKs: 50 identical, 0 differ\n"));
  EXPECT_THAT(e.out, HasSubstr("without an ACK in the input: 1, answered now: 1 (not compared)\n"));
  EXPECT_THAT(e.out, HasSubstr("SAME: no difference\n"));
  const auto j = json_of(run_replay({*recording_, "--port", port(v1_), "--json"}));
  EXPECT_EQ(j["sent"], 50);
  EXPECT_EQ(j["answered"], 50);
  EXPECT_EQ(j["compared"], 50);
  EXPECT_EQ(j["differing"], 0);
  EXPECT_EQ(j["latency"]["recorded"]["count"], 50);
  EXPECT_EQ(j["latency"]["replayed"]["count"], 50);
  EXPECT_EQ(j["differs"], false);
}

// replay_v2.lua against replay_v1.lua for n = 0..49: the score of n = 0, 10, 20, 30, 40 (5 ACKs), legacy
// of n = 13 (1 ACK), fresh of n = 45..49 (5 ACKs): 11 ACKs differ.
TEST_F(ReplayAgainstSpoa, AChangedScriptGivesExactlyItsDifferences) {
  const auto html = *dir_ / "report.html";
  const auto e = run_replay({*recording_, "--port", port(v2_), "--var-prefix", "p", "--html", html.string()});
  EXPECT_EQ(e.status, 1) << e.out << e.err;
  EXPECT_THAT(e.out, HasSubstr("compared 50 ACKs: 39 identical, 11 differ\n"
                               "  check: 11 of 50 ACKs differ\n"));
  EXPECT_THAT(e.out, HasSubstr("    txn.p.fresh: (not set) -> bool:true in 5 of 50 ACKs\n"
                               "      e.g. " + *recording_ + " record 46: (not set) -> bool:true\n"));
  EXPECT_THAT(e.out, HasSubstr("    txn.p.legacy: str:\"yes\" -> (not set) in 1 of 50 ACKs\n"
                               "      e.g. " + *recording_ + " record 14: str:\"yes\" -> (not set)\n"));
  EXPECT_THAT(e.out, HasSubstr("    txn.p.score: int32:12 -> int32:40 in 5 of 50 ACKs\n"
                               "      e.g. " + *recording_ + " record 1: int32:12 -> int32:40\n"
                               "      e.g. " + *recording_ + " record 11: int32:12 -> int32:40\n"
                               "      e.g. " + *recording_ + " record 21: int32:12 -> int32:40\n"));
  EXPECT_THAT(e.out, testing::Not(HasSubstr("txn.p.class")));
  EXPECT_THAT(e.out, HasSubstr("DIFFERENT: 11 ACK(s) differ, 0 call(s) failed\n"));
  std::ifstream page(html);
  const std::string text((std::istreambuf_iterator<char>(page)), {});
  EXPECT_THAT(text, HasSubstr("int32:12 -&gt; int32:40"));
  EXPECT_THAT(text, HasSubstr("<svg"));

  const auto j = json_of(run_replay({*recording_, "--port", port(v2_), "--var-prefix", "p", "--json"}));
  EXPECT_EQ(j["differing"], 11);
  const auto& vars = j["messages"]["check"]["variables"];
  EXPECT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars["txn.p.score"]["changed"], 5);
  EXPECT_EQ(vars["txn.p.legacy"]["missing"], 1);
  EXPECT_EQ(vars["txn.p.fresh"]["added"], 5);
  EXPECT_EQ(vars["txn.p.score"]["transitions"][0]["to"], "int32:40");
}

TEST_F(ReplayAgainstSpoa, IgnoredVariablesDoNotCount) {
  const auto j = json_of(run_replay({*recording_, "--port", port(v2_), "--var-prefix", "p", "--json", "--ignore",
                                     "txn.p.score", "--ignore", "txn.*.fresh"}));
  EXPECT_EQ(j["differing"], 1);
  EXPECT_EQ(j["messages"]["check"]["variables"].size(), 1u);
  EXPECT_TRUE(j["messages"]["check"]["variables"].contains("txn.p.legacy"));
  EXPECT_EQ(j["ignored_variables"], (nlohmann::json{"txn.p.fresh", "txn.p.score"}));
  const auto all = run_replay({*recording_, "--port", port(v2_), "--ignore", "*"});
  EXPECT_EQ(all.status, 0) << all.out;
  EXPECT_THAT(all.out, HasSubstr("SAME: no difference\n"));
}

TEST_F(ReplayAgainstSpoa, ACaptureWrittenByTheTestReplaysLikeTheRecording) {
  const auto pcap = test::write_pcap(*dir_ / "traffic.pcap", *traffic_, {.agent_port = 12345});
  const auto same = run_replay({pcap.string(), "--port", port(v1_), "--capture-port", "12345"});
  EXPECT_EQ(same.status, 0) << same.out << same.err;
  EXPECT_THAT(same.out, HasSubstr("input " + pcap.string() + " (capture): 50 exchanges\n"));
  EXPECT_THAT(same.out, HasSubstr("compared 50 ACKs: 50 identical, 0 differ\n"));
  const auto j = json_of(run_replay({pcap.string(), "--port", port(v2_), "--capture-port", "12345", "--json"}));
  EXPECT_EQ(j["compared"], 50);
  EXPECT_EQ(j["differing"], 11);
  // Both inputs at once: 100 exchanges.
  const auto both = json_of(run_replay({*recording_, pcap.string(), "--port", port(v1_), "--capture-port", "12345", "--json"}));
  EXPECT_EQ(both["compared"], 100);
  EXPECT_EQ(both["differing"], 0);
}

TEST_F(ReplayAgainstSpoa, Profile31AndSeveralConnections) {
  const auto j = json_of(run_replay({*recording_, "--port", port(v1_), "--profile", "3.1", "--connections", "3",
                                     "--in-flight", "5", "--repeat", "4", "--json"}));
  EXPECT_EQ(j["profile"], "3.2");
  EXPECT_EQ(j["sent"], 200);
  EXPECT_EQ(j["compared"], 200);
  EXPECT_EQ(j["differing"], 0);
  EXPECT_EQ(j["connections_opened"], 3);
}

TEST_F(ReplayAgainstSpoa, TheRecordedPaceIsKept) {
  // 20 exchanges recorded 10 ms apart: at --speed 1 the replay takes at least the 190 ms they spanned,
  // at --speed 10 at least 19 ms (slower machines only take longer).
  std::vector<Exchanged> paced(traffic_->begin(), traffic_->begin() + 20);
  for (std::size_t i = 0; i < paced.size(); ++i) {
    paced[i].notify_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 10'000'000;
    paced[i].ack_ns = paced[i].notify_ns + 100'000;
  }
  const auto path = test::write_recording(*dir_ / "paced.rec", paced);
  const auto real_time = json_of(run_replay({path.string(), "--port", port(v1_), "--speed", "1", "--json"}));
  EXPECT_EQ(real_time["compared"], 20);
  EXPECT_GE(real_time["elapsed_s"].get<double>(), 0.19);
  const auto faster = json_of(run_replay({path.string(), "--port", port(v1_), "--speed", "10", "--json"}));
  EXPECT_EQ(faster["compared"], 20);
  EXPECT_GE(faster["elapsed_s"].get<double>(), 0.019);
  EXPECT_THAT(faster["mode"].get<std::string>(), HasSubstr("the recorded pace x 10"));
}

// --unix: the same comparison against an agent that listens on a Unix socket only.
TEST_F(ReplayAgainstSpoa, OverAUnixSocket) {
  const auto socket = (*dir_ / "v2.sock").string();
  spoa::test::AgentProcess agent({"-n", "1", "--unix", socket, "-f", SPOP_SOURCE_DIR "/tests/sim-replay/replay_v2.lua"},
                                 /*add_listen_args=*/false);
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto e = run_replay({*recording_, "--unix", socket, "--var-prefix", "p"});
  EXPECT_EQ(e.status, 1) << e.out << e.err;
  EXPECT_THAT(e.out, HasSubstr("compared 50 ACKs: 39 identical, 11 differ\n"));
  EXPECT_THAT(e.out, HasSubstr("    txn.p.score: int32:12 -> int32:40 in 5 of 50 ACKs\n"));
  const auto absent = run_replay({*recording_, "--unix", (*dir_ / "nobody.sock").string()});
  EXPECT_EQ(absent.status, 3) << "no agent on that socket: " << absent.out << absent.err;
}

TEST_F(ReplayAgainstSpoa, CallsThatTimeOutNowAreReported) {
  // Recorded against replay_v1.lua (n = 0..9, then 99); replay_v2.lua spins on 99.
  const auto traffic = exchange_with(v1_->port(), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99});
  ASSERT_EQ(traffic.size(), 11u);
  const auto path = test::write_recording(*dir_ / "spin.rec", traffic);
  spoa::test::AgentProcess spinning({"-n", "1", "--call-budget", "1s", "-f", SPOP_SOURCE_DIR "/tests/sim-replay/replay_v2.lua"});
  ASSERT_TRUE(spinning.ready()) << spinning.log();
  const auto e = run_replay({path.string(), "--port", port(&spinning), "--connections", "1", "--in-flight", "1",
                             "--processing-timeout", "300ms", "--var-prefix", "p"});
  EXPECT_EQ(e.status, 1) << e.out << e.err;
  EXPECT_THAT(e.out, HasSubstr("calls that failed now (answered when recorded):\n"
                               "  1  processing timeout (300 ms)\n"
                               "      e.g. " + path.string() + " record 11\n"));
  EXPECT_THAT(e.out, HasSubstr("    txn.p.score: int32:12 -> int32:40 in 1 of 10 ACKs\n"));
  EXPECT_THAT(e.out, HasSubstr("DIFFERENT: 1 ACK(s) differ, 1 call(s) failed\n"));
}

TEST_F(ReplayAgainstSpoa, ANotifyLargerThanTheAgentsFrameSizeIsReportedAsFailed) {
  // Recorded with HAProxy's frame size: n = 0..2, then n = 3 with a 400-byte argument the script ignores.
  // Replayed against an agent that negotiates 256-byte frames, that NOTIFY cannot be sent.
  spoa::test::TestClient client(v1_->port());
  ASSERT_TRUE(client.hello());
  std::vector<Exchanged> traffic;
  for (std::int64_t n = 0; n < 3; ++n) {
    auto e = exchange(client, test::check_notify(static_cast<std::uint64_t>(n), n));
    ASSERT_TRUE(e);
    traffic.push_back(std::move(*e));
  }
  const std::string pad(400, 'x');
  const spop::Argument args[] = {{"n", spop::Value::int64(3)}, {"pad", spop::Value::string(pad)}};
  auto big = exchange(client, spop::test::notify_bytes(3, 1, "check", args));
  ASSERT_TRUE(big);
  traffic.push_back(std::move(*big));
  const auto path = test::write_recording(*dir_ / "big.rec", traffic);

  spoa::test::AgentProcess small({"-n", "1", "--max-frame-size", "256", "-f", SPOP_SOURCE_DIR "/tests/sim-replay/replay_v1.lua"});
  ASSERT_TRUE(small.ready()) << small.log();
  const auto e = run_replay({path.string(), "--port", port(&small), "--connections", "1", "--in-flight", "1"});
  EXPECT_EQ(e.status, 1) << e.out << e.err;
  EXPECT_THAT(e.out, HasSubstr("compared 3 ACKs: 3 identical, 0 differ\n"));
  EXPECT_THAT(e.out, HasSubstr("calls that failed now (answered when recorded):\n"
                               "  1  NOTIFY larger than the negotiated frame size\n"
                               "      e.g. " + path.string() + " record 4\n"));
}

TEST_F(ReplayAgainstSpoa, CallsLeftWhenNoConnectionCompletesItsHandshakeAreReportedAsFailed) {
  // An agent that answers the first HELLO and then closes that connection, and never answers another
  // one (the connections after it wait, accepted by the kernel, unanswered): what was not sent on the
  // first connection fails as "not sent", once replay has waited long enough (2 s) for a usable connection.
  std::atomic<int> served{0};
  spop_cli::test::FakeAgent flaky([&served](spop_cli::test::AgentSide& side) {
    if (served++ == 0) {
      if (side.read_frame()) side.send(spop_cli::test::agent_hello("pipelining"));
      return;  // closes
    }
    side.wait_close(std::chrono::seconds(30));  // holds the fake's only thread: later connects wait unanswered
  });
  const auto e = run_replay({*recording_, "--port", flaky.port_text(), "--connections", "1", "--in-flight", "1", "--json"});
  EXPECT_EQ(e.status, 1) << e.out << e.err;
  const auto j = json_of(e);
  const auto& failures = j["failures"];
  const std::string not_sent = "not sent: no connection to the agent completed its handshake";
  ASSERT_TRUE(failures.contains(not_sent)) << e.out;
  // The first NOTIFY may have gone out on the first connection before its close was seen (it then
  // fails as a connection closed with requests in flight); none of the others was sent.
  EXPECT_GE(failures[not_sent]["count"].get<int>(), 49) << e.out;
  int total = 0;
  for (const auto& [kind, f] : failures.items()) total += f["count"].get<int>();
  EXPECT_EQ(total, 50) << e.out;
  EXPECT_EQ(j["answered"], 0);
}

TEST_F(ReplayAgainstSpoa, BadInputsReplayWhatCameBefore) {
  spop::test::RecordingBuilder b;
  for (const Exchanged& x : *traffic_) b.add(x.notify, x.ack, 1, x.notify_ns, x.ack_ns);
  const std::size_t record = 40 + traffic_->back().notify.size() + traffic_->back().ack.size();
  const std::size_t last = b.bytes().size() - record;

  auto cut = b;
  cut.bytes().resize(cut.bytes().size() - 7);
  const auto truncated = cut.write(*dir_ / "truncated.rec").string();
  auto e = run_replay({truncated, "--port", port(v1_), "--json"});
  EXPECT_EQ(e.status, 2);
  EXPECT_EQ(e.err, "spop-sim replay: " + truncated + ": byte " + std::to_string(last) +
                       ": record 50 is cut short: its header says " + std::to_string(record) + " bytes, the file has " +
                       std::to_string(record - 7) + "\n");
  auto j = json_of(e);
  EXPECT_EQ(j["compared"], 49);
  EXPECT_EQ(j["differing"], 0);
  EXPECT_EQ(j["input_errors"], true);

  auto flip = b;
  flip.bytes()[last + 50] ^= std::byte{0x01};
  const auto corrupted = flip.write(*dir_ / "corrupted.rec").string();
  e = run_replay({corrupted, "--port", port(v1_)});
  EXPECT_EQ(e.status, 2);
  EXPECT_THAT(e.err, HasSubstr("spop-sim replay: " + corrupted + ": byte " + std::to_string(last) +
                               ": record 50: checksum mismatch (stored 0x"));
  EXPECT_THAT(e.out, HasSubstr("compared 49 ACKs: 49 identical, 0 differ\n"));
  EXPECT_THAT(e.out, HasSubstr("INPUT ERRORS: what came before each error was replayed\n"));

  auto future = b;
  future.bytes()[9] = std::byte{2};
  const auto v2 = future.write(*dir_ / "version2.rec").string();
  e = run_replay({v2, "--port", port(v1_)});
  EXPECT_EQ(e.status, 2);
  EXPECT_EQ(e.err, "spop-sim replay: " + v2 +
                       ": byte 0: recording format version 2 is not supported (this build reads version 1)\n"
                       "spop-sim replay: nothing to replay\n");
  EXPECT_EQ(e.out, "");

  const auto other_port = test::write_pcap(*dir_ / "no-spop.pcap", *traffic_, {.agent_port = 8080}).string();
  e = run_replay({other_port, "--port", port(v1_), "--capture-port", "12345"});
  EXPECT_EQ(e.status, 2);
  EXPECT_THAT(e.err, HasSubstr(other_port + ": no SPOP NOTIFY on port 12345 (0 TCP connection(s) to it"));

  const auto cut_pcap = test::write_pcap(*dir_ / "cut.pcap", *traffic_, {.agent_port = 12345, .cut_tail = 3}).string();
  e = run_replay({cut_pcap, "--port", port(v1_), "--capture-port", "12345", "--json"});
  EXPECT_EQ(e.status, 2);
  EXPECT_THAT(e.err, HasSubstr(cut_pcap + ": connection #1 agent->haproxy, byte "));
  EXPECT_THAT(e.err, HasSubstr("bytes do not make a whole frame\n"));
  j = json_of(e);
  EXPECT_EQ(j["compared"], 49) << "the last NOTIFY has no whole ACK: replayed, not compared";
  EXPECT_EQ(j["sent"], 50);
}

TEST_F(ReplayAgainstSpoa, AnAgentThatIsNotThere) {
  // A port nothing listens on: bind one, note it, close it.
  const std::uint16_t closed = [] {
    spoa::test::AgentProcess probe({"-n", "1"});
    return probe.port();
  }();
  const auto e = run_replay({*recording_, "--port", std::to_string(closed)});
  EXPECT_EQ(e.status, 3);
  EXPECT_THAT(e.err, HasSubstr("spop-sim replay: the agent at 127.0.0.1:" + std::to_string(closed) +
                               " could not be reached: connect: Connection refused\n"));
}

TEST_F(ReplayAgainstSpoa, UsageErrors) {
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{*recording_, "--speed", "0"}, "--speed: expected max or a factor above 0 such as 1 or 10, not '0'"},
           {{*recording_, "--profile", "2.4"}, "--profile: expected 2.6 or 3.2 (or 3.1), not '2.4'"},
           {{*recording_, "--unix", "/x", "--port", "1"}, "--unix excludes --host and --port"},
           {{*recording_, "--connections", "0"}, "--connections: expected a whole number from 1 to 10000, not '0'"},
           {{*recording_, "--spoe", "x"}, "unknown option '--spoe'"},
       }) {
    const auto e = run_replay(args);
    EXPECT_EQ(e.status, 2) << message;
    EXPECT_EQ(e.err, "spop-sim replay: " + message + " (see spop-sim replay --help)\n");
  }
}

}  // namespace
}  // namespace spop::sim::replay
