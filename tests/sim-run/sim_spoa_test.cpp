// spop-sim run against our real agent (spoa -f score.lua): every fault is injected with a short run
// and the agent's reaction is the one HAProxy expects; the spop-sim binary's exit statuses, JSON
// and HTML reports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "simulator/run/runner.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/sim-run/sim_run_support.hpp"

namespace spop::sim {
namespace {

using namespace std::chrono_literals;
using testing::Contains;
using testing::HasSubstr;
using testing::Key;

class SimAgainstSpoa : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    agent_ = new spoa::test::AgentProcess(
        std::vector<std::string>{"-n", "1", "-f", SPOP_SOURCE_DIR "/tests/sim-run/score.lua"});
  }
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(agent_->ready()) << agent_->log(); }

  static RunOptions options(const std::string& load, const std::string& rest = "") {
    RunOptions o = test::options_for(test::basic_spoe(), test::basic_scenario(load, rest), agent_->port());
    o.reaction_timeout = 1000ms;
    return o;
  }
  static RunReport with_fault(const std::string& fault, const std::string& load = "{connections: 2, in_flight: 4, count: 300}") {
    RunOptions o = options(load);
    std::string error;
    auto f = parse_fault_option(fault, error);
    EXPECT_TRUE(f) << error;
    if (f) o.faults.push_back(*f);
    return run_simulation(make_plan(o));
  }
  static const FaultOutcome& outcome(const RunReport& r) {
    static const FaultOutcome none;
    return r.faults.empty() ? none : r.faults.front();
  }

  static spoa::test::AgentProcess* agent_;
};
spoa::test::AgentProcess* SimAgainstSpoa::agent_ = nullptr;

TEST_F(SimAgainstSpoa, PlainRunAnswersEveryRequestWithTheScriptsVariables) {
  const RunReport r = run_simulation(make_plan(options("{connections: 2, in_flight: 4, count: 200}",
                                                       "expect:\n  max_error_rate: 0\n  messages:\n    m1:\n"
                                                       "      txn.p.score: int32:42\n      txn.p.n: int64:7\n")));
  EXPECT_EQ(r.completed, 200u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.violation_count, 0u);
  EXPECT_EQ(r.latency.count(), 200u);
  EXPECT_EQ(r.variables.at("m1").at("txn.p.score").types.at("int32"), 200u);
}

TEST_F(SimAgainstSpoa, OpenLoopRateSendsTheCount) {
  RunOptions o = options("{connections: 2, rate: 2000, count: 100}");
  const RunReport r = run_simulation(make_plan(o));
  EXPECT_EQ(r.completed, 100u);
  EXPECT_THAT(r.mode, HasSubstr("open loop"));
}

TEST_F(SimAgainstSpoa, WriteShapingFaultsChangeNothingForACorrectAgent) {
  for (const char* f : {"split_frames:chunk=5", "delay_bytes:delay=100us,chunk=40", "batch_frames:count=8"}) {
    const RunReport r = with_fault(f, "{connections: 1, in_flight: 8, count: 100}");
    EXPECT_EQ(r.completed, 100u) << f;
    EXPECT_EQ(r.errors, 0u) << f;
    EXPECT_GT(outcome(r).injected, 0u) << f;
  }
}

TEST_F(SimAgainstSpoa, SlowReaderGetsEveryAckEventually) {
  const RunReport r = with_fault("slow_reader:rate=50000", "{connections: 1, in_flight: 8, count: 100}");
  EXPECT_EQ(r.completed + r.errors, 100u);
  EXPECT_GT(outcome(r).injected, 0u);
  for (const auto& [kind, n] : r.errors_by_kind) EXPECT_THAT(kind, testing::Not(HasSubstr("protocol"))) << kind;
}

TEST_F(SimAgainstSpoa, OversizeFrameGetsDisconnect3) {
  const RunReport r = with_fault("oversize_frame:every=50");
  EXPECT_EQ(outcome(r).injected, 6u);
  EXPECT_THAT(outcome(r).reactions, Contains(Key(HasSubstr("AGENT-DISCONNECT 3 \"frame is too big\""))));
  EXPECT_TRUE(outcome(r).haproxy_accepts);
  EXPECT_EQ(r.errors, 0u);
}

TEST_F(SimAgainstSpoa, InvalidFrameGetsDisconnect4) {
  const RunReport r = with_fault("invalid_frame:every=100");
  EXPECT_EQ(outcome(r).injected, 3u);
  EXPECT_THAT(outcome(r).reactions, Contains(Key(HasSubstr("AGENT-DISCONNECT 4"))));
}

TEST_F(SimAgainstSpoa, TruncatedFrameMakesTheAgentClose) {
  const RunReport r = with_fault("truncated_frame:every=100");
  EXPECT_EQ(outcome(r).injected, 3u);
  EXPECT_THAT(outcome(r).reactions, Contains(Key(HasSubstr("closed"))));
}

TEST_F(SimAgainstSpoa, RstMidFrameThenTheNextConnectionWorks) {
  const RunReport r = with_fault("rst_mid_frame:every=100");
  EXPECT_EQ(outcome(r).injected, 3u);
  EXPECT_THAT(outcome(r).reactions, Contains(Key("the agent accepted the next connection")));
  EXPECT_EQ(r.errors, 0u);
}

TEST_F(SimAgainstSpoa, UnknownMessageGetsAnEmptyAck) {
  const RunReport r = with_fault("unknown_message:every=10");
  EXPECT_EQ(outcome(r).injected, 30u);
  EXPECT_THAT(outcome(r).reactions, Contains(std::pair<const std::string, std::uint64_t>("ACK with 0 action(s)", 30)));
}

TEST_F(SimAgainstSpoa, SoftStopWithStreamsInFlightGetsAgentDisconnect) {
  const RunReport r = with_fault("soft_stop:at=50ms", "{connections: 2, in_flight: 4, duration: 300ms}");
  EXPECT_EQ(outcome(r).injected, 2u);
  EXPECT_THAT(outcome(r).reactions, Contains(Key("AGENT-DISCONNECT 0 \"normal\"")));
  EXPECT_GT(r.completed, 0u);
}

// As HAProxy 3.2.0 does on soft stop (tests/captures/haproxy-3.2): no DISCONNECT; the requests in flight
// are answered, then each old connection is reset and new ones serve the rest.
TEST_F(SimAgainstSpoa, SoftStopAs32AnswersTheRequestsInFlightThenResets) {
  RunOptions o = options("{connections: 2, in_flight: 4, duration: 300ms}");
  o.profile = Profile::haproxy_3_1;
  std::string error;
  const auto f = parse_fault_option("soft_stop:at=50ms", error);
  ASSERT_TRUE(f) << error;
  o.faults.push_back(*f);
  const RunReport r = run_simulation(make_plan(o));
  EXPECT_EQ(outcome(r).injected, 2u);
  EXPECT_THAT(outcome(r).reactions,
              Contains(std::pair<const std::string, std::uint64_t>("the requests in flight answered, then the connection reset", 2)));
  EXPECT_EQ(outcome(r).expected, "the requests in flight answered; then HAProxy resets the connection (3.x sends no DISCONNECT)");
  EXPECT_EQ(r.aborted, 0u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_GE(r.connections_opened, 4u);  // two, then two more after the soft stop
  EXPECT_GT(r.completed, 0u);
}

TEST_F(SimAgainstSpoa, ReconnectStormAndHealthCheckFlood) {
  const RunReport storm = with_fault("reconnect_storm:interval=50ms", "{connections: 2, in_flight: 4, duration: 300ms}");
  EXPECT_GT(outcome(storm).injected, 0u);
  EXPECT_THAT(outcome(storm).reactions, Contains(Key("the agent accepted the next connection")));
  EXPECT_EQ(storm.errors, 0u);
  const RunReport flood = with_fault("healthcheck_flood:rate=200", "{connections: 1, in_flight: 4, duration: 300ms}");
  EXPECT_GT(outcome(flood).injected, 10u);
  EXPECT_THAT(outcome(flood).reactions, Contains(Key("passed")));
  EXPECT_EQ(outcome(flood).reactions.size(), 1u);
}

// ---- the binary --------------------------------------------------------------------------------

struct Exec {
  int status = -1;
  std::string out;
};

Exec run_sim(const std::string& args) {
  Exec e;
  const std::string cmd = std::string(SPOP_SIM_PATH) + " run " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) e.out.append(buf, n);
  const int st = ::pclose(p);
  e.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return e;
}

std::string files_args(const RunOptions& o) { return "--config " + o.spoe_config + " --scenario " + o.scenario; }

TEST_F(SimAgainstSpoa, BinaryExitsZeroWithJsonReportWhenExpectationsHold) {
  const RunOptions o = options("{connections: 1, count: 1000}",
                               "expect:\n  messages:\n    m1:\n      txn.p.score: int32:42\n");
  const auto dir = std::filesystem::path(o.scenario).parent_path();
  // Command-line values override the scenario's: 50 requests, not 1000.
  const Exec e = run_sim(files_args(o) + " --port " + std::to_string(agent_->port()) +
                         " --requests 50 --connections 2 --json --html " + (dir / "r.html").string());
  EXPECT_EQ(e.status, 0) << e.out;
  const auto j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j["completed"], 50);
  EXPECT_EQ(j["connections_opened"], 2);
  EXPECT_EQ(j["expectations"]["passed"], true);
  for (const char* k : {"p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "max_ms"}) EXPECT_TRUE(j["latency"].contains(k)) << k;
  EXPECT_TRUE(j["variables"]["m1"].contains("txn.p.score"));
  std::ifstream html(dir / "r.html");
  const std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_THAT(page, HasSubstr("<svg"));
  EXPECT_THAT(page, testing::Not(HasSubstr("<script")));
  EXPECT_THAT(page, testing::Not(HasSubstr("src=")));
}

TEST_F(SimAgainstSpoa, BinaryExitsOneWhenAnExpectationFails) {
  const RunOptions o = options("{connections: 1, count: 10}", "expect:\n  messages:\n    m1:\n      txn.p.score: int32:41\n");
  const Exec e = run_sim(files_args(o) + " --port " + std::to_string(agent_->port()));
  EXPECT_EQ(e.status, 1) << e.out;
  EXPECT_THAT(e.out, HasSubstr("txn.p.score"));
  EXPECT_THAT(e.out, HasSubstr("FAILED"));
}

TEST_F(SimAgainstSpoa, BinaryExitsTwoOnUsageAndConfigErrors) {
  const RunOptions o = options("{connections: 1, count: 10}");
  EXPECT_EQ(run_sim(files_args(o) + " --profile 2.7").status, 2);
  EXPECT_EQ(run_sim(files_args(o) + " --fault nosuchfault").status, 2);
  EXPECT_EQ(run_sim(files_args(o) + " --fault soft_stop").status, 2);  // needs `at`
  EXPECT_EQ(run_sim("--scenario " + o.scenario).status, 2);           // no SPOE file
  EXPECT_EQ(run_sim(files_args(o) + " --group nosuchgroup").status, 2);
}

TEST_F(SimAgainstSpoa, BinaryExitsThreeWhenTheAgentIsNotThere) {
  const RunOptions o = options("{connections: 1, count: 10}");
  const Exec e = run_sim(files_args(o) + " --port 1");
  EXPECT_EQ(e.status, 3) << e.out;
}

}  // namespace
}  // namespace spop::sim
