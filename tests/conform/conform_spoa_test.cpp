// Our own agent, the real spoa binary with the conformance scripts, passes every MUST and SHOULD check.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "simulator/conform/runner.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/conform/cli_capture.hpp"
#include "tests/support/test_certs.hpp"

namespace spop::sim::conform {
namespace {

using Ids = std::set<std::string>;

std::string example(const char* name) { return std::string(SPOP_SOURCE_DIR) + "/examples/" + name; }

// One worker; hello and idle timeouts far below the defaults, yet above the longest wait of any check
// (so that no check races them).
spoa::test::AgentProcess start_spoa(const char* script, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"-n", "1", "-f", example(script), "--hello-timeout", "3s", "--idle-timeout", "3s"};
  args.insert(args.end(), extra.begin(), extra.end());
  return spoa::test::AgentProcess(args);
}

// (profile, id) of every result that is not a pass, with its detail.
std::string not_passed(const Report& r) {
  std::string s;
  for (const Result& res : r.results) {
    if (res.outcome.verdict != Verdict::pass) {
      s += std::string(to_string(res.profile)) + " " + std::string(res.check->id) + " " +
           std::string(to_string(res.outcome.verdict)) + ": " + res.outcome.detail + "\n";
    }
  }
  return s;
}

// What is skipped for an agent without fragmentation: FR-* on both profiles, and the two 2.6-only id checks on 3.2.
const std::string expected_skips =
    "2.6 FR-01 skip: the agent did not announce fragmentation\n"
    "2.6 FR-02 skip: the agent did not announce fragmentation\n"
    "2.6 FR-03 skip: the agent did not announce fragmentation\n"
    "3.2 NA-02 skip: 3.1+ reserves stream-id 0 for HELLO and DISCONNECT\n"
    "3.2 NA-06 skip: only 2.6 reuses ids (after a processing timeout)\n"
    "3.2 FR-01 skip: only HAProxy 2.6 fragments NOTIFYs\n"
    "3.2 FR-02 skip: only HAProxy 2.6 fragments NOTIFYs\n"
    "3.2 FR-03 skip: only HAProxy 2.6 fragments NOTIFYs\n";

// The --json report of the whole suite against an agent without fragmentation: no failure, no warning,
// and exactly the expected skips.
void expect_all_passed_but_fragmentation(const nlohmann::json& j) {
  Ids skipped;
  for (const auto& res : j["results"]) {
    EXPECT_NE(res["result"], "fail") << res.dump();
    EXPECT_NE(res["result"], "warn") << res.dump();
    if (res["result"] == "skip") skipped.insert(res["profile"].get<std::string>() + " " + res["id"].get<std::string>());
  }
  EXPECT_EQ(skipped, (Ids{"2.6 FR-01", "2.6 FR-02", "2.6 FR-03", "3.2 NA-02", "3.2 NA-06", "3.2 FR-01", "3.2 FR-02",
                          "3.2 FR-03"}));
  EXPECT_EQ(j["summary"]["failed"], 0);
  EXPECT_EQ(j["summary"]["warnings"], 0);
}

TEST(ConformSpoa, LuaScriptPassesEveryCheckThroughTheCommand) {
  auto agent = start_spoa("conformance.lua");
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto r = test::run_cli({"--port", std::to_string(agent.port()), "--json"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& p : j["profiles"]) {
    EXPECT_EQ(p["echo"], true) << p.dump();
    EXPECT_EQ(p["handshake"], true) << p.dump();
  }
  expect_all_passed_but_fragmentation(j);
}

// The whole suite through the command against spoa serving mutual TLS: TLS changes no check's verdict.
TEST(ConformSpoa, LuaScriptPassesEveryCheckOverMutualTls) {
  const auto& certs = spop::test::test_certs();
  auto agent = start_spoa("conformance.lua", {"--tls-cert", certs.server_cert().string(), "--tls-key",
                                              certs.server_key().string(), "--tls-ca", certs.ca().string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto r = test::run_cli({"--port", std::to_string(agent.port()), "--json", "--tls-ca", certs.ca().string(),
                                "--tls-cert", certs.client_cert().string(), "--tls-key", certs.client_key().string()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  expect_all_passed_but_fragmentation(j);
  // Every connection of the suite was a good mutual TLS handshake.
  EXPECT_EQ(agent.log().find("TLS handshake with"), std::string::npos) << agent.log();
}

TEST(ConformSpoa, PythonScriptPassesEveryCheck) {
  auto agent = start_spoa("conformance.py");
  ASSERT_TRUE(agent.ready()) << agent.log();
  RunOptions options;
  options.endpoint.port = agent.port();
  std::string error;
  const auto report = run_suite(options, error);
  ASSERT_TRUE(report) << error;
  EXPECT_EQ(not_passed(*report), expected_skips);
  for (const ProfileFacts& p : report->profiles) EXPECT_TRUE(p.facts.echo) << p.facts.echo_detail;
  EXPECT_EQ(report->exit_status(), 0);
}

TEST(ConformSpoa, FragmentationChecksPassWhenAnnounced) {
  auto agent = start_spoa("conformance.lua", {"--fragmentation"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  RunOptions options;
  options.endpoint.port = agent.port();
  options.profiles = {HaproxyProfile::v2_6};
  select_checks({"FR", "LM-10", "NA-07"}, options.checks);
  std::string error;
  const auto report = run_suite(options, error);
  ASSERT_TRUE(report) << error;
  EXPECT_TRUE(report->profiles[0].facts.fragmentation);
  // LM-10 (a NOTIFY without FIN must be refused) does not apply to an agent that takes fragments.
  EXPECT_EQ(not_passed(*report), "2.6 LM-10 skip: the agent announced fragmentation: see FR-*\n");
  EXPECT_EQ(report->results.size(), 5u);
}

TEST(ConformSpoa, OverAUnixSocket) {
  const auto dir = spoa::test::make_temp_dir();
  const std::string path = (dir / "spoa.sock").string();
  spoa::test::AgentProcess agent({"-n", "1", "-f", example("conformance.lua"), "--unix", path});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto r = test::run_cli({"--unix", path, "--profile", "3.1", "--only", "HS-01", "--only", "TY"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("agent unix:" + path + " as HAProxy 3.2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("summary: 10 passed, 0 failed (MUST)"), std::string::npos) << r.out;
}

TEST(ConformSpoa, WithoutTheEchoScriptTheEchoChecksAreSkipped) {
  spoa::test::AgentProcess agent({"-n", "1"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  RunOptions options;
  options.endpoint.port = agent.port();
  options.profiles = {HaproxyProfile::v3_1};
  select_checks({"TY", "NA-15", "NA-01"}, options.checks);
  std::string error;
  const auto report = run_suite(options, error);
  ASSERT_TRUE(report) << error;
  EXPECT_FALSE(report->profiles[0].facts.echo);
  EXPECT_EQ(report->count(Verdict::skip), 10u) << not_passed(*report);
  EXPECT_EQ(report->count(Verdict::pass), 1u) << not_passed(*report);
  EXPECT_NE(not_passed(*report).find("needs spop-conformance-echo (empty ACK"), std::string::npos);
}

}  // namespace
}  // namespace spop::sim::conform
