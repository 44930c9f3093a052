// Each fake agent breaks one rule; the suite must fail exactly the checks that test that rule (and
// the checks whose exchanges run into the defect), no more and no fewer.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "simulator/conform/runner.hpp"
#include "tests/conform/fake_agent.hpp"

namespace spop::sim::conform {
namespace {

using test::Fault;
using test::FakeAgent;
using Ids = std::set<std::string>;

Report run_against(Fault fault, HaproxyProfile profile = HaproxyProfile::v2_6) {
  FakeAgent agent(fault);
  RunOptions options;
  options.endpoint.port = agent.port();
  options.profiles = {profile};
  options.timeout = Millis(1000);  // the fakes are local; failing checks end at this bound
  std::string error;
  auto report = run_suite(options, error);
  EXPECT_TRUE(report) << error;
  return report ? *report : Report{};
}

Ids with(const Report& r, Verdict v) {
  Ids ids;
  for (const Result& res : r.results) {
    if (res.outcome.verdict == v) ids.insert(std::string(res.check->id));
  }
  return ids;
}

std::string details(const Report& r) {
  std::string s;
  for (const Result& res : r.results) {
    if (res.outcome.verdict == Verdict::fail) s += std::string(res.check->id) + ": " + res.outcome.detail + "\n";
  }
  return s;
}

Ids all_ids() {
  Ids ids;
  for (const Check& c : all_checks()) ids.insert(std::string(c.id));
  return ids;
}

Ids minus(Ids a, const Ids& b) {
  for (const auto& id : b) a.erase(id);
  return a;
}

// Checks that carry out at least one NOTIFY/ACK exchange with the agent (and so meet any ACK defect).
const Ids exchanges = {"HS-02", "HS-05", "HC-02", "NA-01", "NA-02", "NA-03", "NA-04", "NA-05", "NA-06",
                       "NA-07", "NA-08", "NA-09", "NA-10", "NA-11", "NA-12", "NA-13", "NA-14", "LM-03",
                       "LM-08", "LM-11", "LC-04", "LC-06", "LC-07", "LC-09", "RB-01", "RB-03", "RB-04",
                       "RB-05"};
// Checks that only need the agent to refuse something, never a completed handshake.
const Ids refusals_only = {"HS-08", "HS-09", "HS-11", "HS-12", "HS-13", "HS-14", "HS-19", "HS-20", "HS-21",
                           "LC-08", "RB-02"};
const Ids needs_echo_or_fragments = {"NA-15", "TY-01", "TY-02", "TY-03", "TY-04", "TY-05", "TY-06", "TY-07",
                                     "TY-08", "TY-09", "FR-01", "FR-02", "FR-03"};

TEST(ConformFakeAgents, CorrectFakePassesEverything) {
  const Report r = run_against(Fault::none);
  EXPECT_EQ(with(r, Verdict::fail), Ids{}) << details(r);
  ASSERT_EQ(r.profiles.size(), 1u);
  EXPECT_TRUE(r.profiles[0].facts.echo);
  // Everything ran except the fragmentation checks (the fake does not announce it).
  EXPECT_EQ(with(r, Verdict::skip), (Ids{"FR-01", "FR-02", "FR-03"}));
  EXPECT_EQ(r.exit_status(), 0);
}

TEST(ConformFakeAgents, WrongIdsFailEveryExchange) {
  const Report r = run_against(Fault::wrong_ids);
  EXPECT_EQ(with(r, Verdict::fail), exchanges) << details(r);
  EXPECT_EQ(r.exit_status(), 1);
  EXPECT_NE(details(r).find("NA-01: ACK for sid="), std::string::npos) << details(r);
}

TEST(ConformFakeAgents, MissingFinFailsEveryExchange) {
  const Report r = run_against(Fault::no_fin);
  EXPECT_EQ(with(r, Verdict::fail), exchanges) << details(r);
  EXPECT_NE(details(r).find("NA-01: ACK without FIN"), std::string::npos) << details(r);
}

TEST(ConformFakeAgents, OversizeAckFailsOnlyTheFrameSizeCheck) {
  const Report r = run_against(Fault::oversize_ack);
  EXPECT_EQ(with(r, Verdict::fail), Ids{"NA-15"}) << details(r);
  EXPECT_NE(details(r).find("exceeds the negotiated max-frame-size 256"), std::string::npos) << details(r);
}

TEST(ConformFakeAgents, AckForNonNotifyFailsTheDisconnectChecks) {
  const Report r = run_against(Fault::ack_non_notify);
  // LM-11's frame of type 42 is answered with an ACK too: a SHOULD.
  EXPECT_EQ(with(r, Verdict::fail), (Ids{"LC-01", "LC-03", "LM-11"})) << details(r);
  EXPECT_EQ(r.warnings(), 1u);
}

TEST(ConformFakeAgents, WrongVersionFailsEveryHandshake) {
  const Report r = run_against(Fault::wrong_version);
  EXPECT_EQ(with(r, Verdict::fail), minus(minus(all_ids(), refusals_only), needs_echo_or_fragments)) << details(r);
  EXPECT_FALSE(r.profiles[0].facts.handshake_ok);
  EXPECT_NE(details(r).find("HS-01: AGENT-HELLO version \"1.0\" is not 2.0"), std::string::npos) << details(r);
}

TEST(ConformFakeAgents, CrashOnGarbageFailsFromTheGarbageCheckOn) {
  const Report r = run_against(Fault::crash_on_garbage);
  Ids from_rb01;
  bool on = false;
  for (const Check& c : all_checks()) {
    on = on || c.id == "RB-01";
    if (on) from_rb01.insert(std::string(c.id));
  }
  EXPECT_EQ(with(r, Verdict::fail), from_rb01) << details(r);
}

TEST(ConformFakeAgents, BlockingAgentFailsTheConcurrencyChecks) {
  const Report r = run_against(Fault::blocking);
  EXPECT_EQ(with(r, Verdict::fail), (Ids{"LC-09", "RB-04", "RB-05"})) << details(r);
}

TEST(ConformFakeAgents, WrongIdsAsHaproxy31) {
  const Report r = run_against(Fault::wrong_ids, HaproxyProfile::v3_1);
  // 3.1 has no stream-id 0 and never reuses ids: those two are skipped, not failed.
  Ids expected = exchanges;
  expected.erase("NA-02");
  expected.erase("NA-06");
  EXPECT_EQ(with(r, Verdict::fail), expected) << details(r);
  EXPECT_TRUE(with(r, Verdict::skip).contains("NA-02"));
}

}  // namespace
}  // namespace spop::sim::conform
