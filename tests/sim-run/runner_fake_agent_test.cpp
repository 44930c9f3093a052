// spop-sim run's event loop against scripted fake agents (tests/spop-cli/fake_agent.hpp): the ids each
// profile numbers NOTIFYs with, the in-flight cap, the processing timeout and late ACKs, how ACK
// actions are applied and checked, and the misbehaviours HAProxy would catch (wrong ids, oversized
// ACK, missing FIN, ACK for nothing), each reported as HAProxy would react.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "simulator/run/runner.hpp"
#include "spop/ack_builder.hpp"
#include "spop/frame.hpp"
#include "tests/sim-run/sim_run_support.hpp"
#include "tests/spop-cli/fake_agent.hpp"

namespace spop::sim {
namespace {

using spop_cli::test::AgentSide;
using spop_cli::test::FakeAgent;
using spop_cli::test::agent_hello;
using spop_cli::test::frame_type;
using test::basic_scenario;
using test::basic_spoe;
using test::empty_ack_for;
using test::ids_of;
using test::options_for;
using namespace std::chrono_literals;

bool is_notify(const std::vector<std::byte>& f) { return frame_type(f) == static_cast<std::uint8_t>(spop::FrameType::notify); }

std::vector<std::vector<std::byte>> notifies(const FakeAgent& agent) {
  std::vector<std::vector<std::byte>> out;
  for (auto& f : agent.frames())
    if (is_notify(f)) out.push_back(f);
  return out;
}

// Answers every NOTIFY with an empty ACK, and a HAPROXY-DISCONNECT with AGENT-DISCONNECT.
void serve_empty(AgentSide& side, std::string caps = "pipelining") {
  if (!side.read_frame()) return;
  side.send(agent_hello(caps));
  while (auto f = side.read_frame(2s)) {
    if (is_notify(*f)) side.send(empty_ack_for(*f));
    else if (frame_type(*f) == static_cast<std::uint8_t>(spop::FrameType::haproxy_disconnect)) {
      side.send(spop_cli::test::agent_disconnect(0, "normal"));
      return;
    }
  }
}

RunReport run(const RunOptions& o) { return run_simulation(make_plan(o)); }

TEST(SimRunIds, TwentySixUsesTheUniqIdCounterFromZeroAndFrameIdOne) {
  FakeAgent agent([](AgentSide& s) { serve_empty(s); });
  RunOptions o = options_for(basic_spoe(), basic_scenario("{connections: 1, in_flight: 1, count: 5}"), agent.port());
  const RunReport r = run(o);
  EXPECT_EQ(r.completed, 5u);
  const auto n = notifies(agent);
  ASSERT_EQ(n.size(), 5u);
  for (std::size_t i = 0; i < n.size(); ++i) EXPECT_EQ(ids_of(n[i]), (std::pair<std::uint64_t, std::uint64_t>{i, 1}));
}

TEST(SimRunIds, ThirtyOneNumbersStreamsOddPerConnectionWithFrameIdOne) {
  FakeAgent agent([](AgentSide& s) { serve_empty(s); });
  RunOptions o = options_for(basic_spoe(), basic_scenario("{connections: 1, in_flight: 3, count: 5}"), agent.port());
  o.profile = Profile::haproxy_3_1;
  const RunReport r = run(o);
  EXPECT_EQ(r.completed, 5u);
  const auto n = notifies(agent);
  ASSERT_EQ(n.size(), 5u);
  for (std::size_t i = 0; i < n.size(); ++i)
    EXPECT_EQ(ids_of(n[i]), (std::pair<std::uint64_t, std::uint64_t>{2 * i + 1, 1}));
  EXPECT_EQ(r.profile, "3.2");
}

// The agent holds back its ACKs until no more NOTIFYs come: it sees exactly the cap.
std::size_t first_burst(Profile profile, const std::string& agent_lines) {
  std::atomic<std::size_t> burst{0};
  FakeAgent agent([&](AgentSide& s) {
    if (!s.read_frame()) return;
    s.send(agent_hello("pipelining"));
    std::vector<std::vector<std::byte>> held;
    while (auto f = s.read_frame(held.empty() ? 2000ms : 300ms)) held.push_back(*f);
    burst = held.size();
    for (auto& f : held) s.send(empty_ack_for(f));
    while (auto f = s.read_frame(2s))
      if (is_notify(*f)) s.send(empty_ack_for(*f));
      else return;
  });
  RunOptions o = options_for(basic_spoe(agent_lines), basic_scenario("{connections: 1, in_flight: 50, count: 60}"),
                             agent.port());
  o.profile = profile;
  o.processing_timeout = 5000ms;
  const RunPlan plan = make_plan(o);
  EXPECT_THAT(plan.warnings, testing::Contains(testing::HasSubstr("capped")));
  const RunReport r = run_simulation(plan);
  EXPECT_EQ(r.completed, 60u);
  return burst;
}

TEST(SimRunLimits, NeverMoreThanTheProfilesInFlightCapPerConnection) {
  EXPECT_EQ(first_burst(Profile::haproxy_3_1, ""), 20u);
  EXPECT_EQ(first_burst(Profile::haproxy_2_6, "    max-waiting-frames 7\n"), 7u);
}

TEST(SimRunTimeouts, LateAckIsDroppedAndCountedAfterTheProcessingTimeout) {
  FakeAgent agent([](AgentSide& s) {
    if (!s.read_frame()) return;
    s.send(agent_hello("pipelining"));
    auto f = s.read_frame();
    if (!f) return;
    // With one NOTIFY in flight, the next one comes only once the runner gave up on this one (its 300 ms
    // processing timeout): this ACK is late then, however slow the machine, and the next is on time.
    auto g = s.read_frame(10s);
    if (!g) return;
    s.send(empty_ack_for(*f));
    if (is_notify(*g)) s.send(empty_ack_for(*g));
    while (auto h = s.read_frame(2s))
      if (is_notify(*h)) s.send(empty_ack_for(*h));
      else return;
  });
  RunOptions o = options_for(basic_spoe(), basic_scenario("{connections: 1, in_flight: 1, count: 3}"), agent.port());
  const RunReport r = run(o);
  EXPECT_EQ(r.errors_by_kind.at("processing timeout"), 1u);
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.completed, 2u);
  EXPECT_EQ(r.ignored_acks, 1u);
}

// An agent whose ACK to the first NOTIFY is `reply(notify)`.
RunReport misbehave(Profile profile, std::function<std::vector<std::byte>(const std::vector<std::byte>&)> reply,
                    std::uint64_t count = 1) {
  FakeAgent agent([reply](AgentSide& s) {
    if (!s.read_frame()) return;
    s.send(agent_hello("pipelining"));
    bool first = true;
    while (auto f = s.read_frame(2s)) {
      if (!is_notify(*f)) {
        if (frame_type(*f) == static_cast<std::uint8_t>(spop::FrameType::haproxy_disconnect))
          s.send(spop_cli::test::agent_disconnect(0, "normal"));
        continue;
      }
      s.send(first ? reply(*f) : empty_ack_for(*f));
      first = false;
    }
  });
  RunOptions o = options_for(basic_spoe(), basic_scenario("{connections: 1, in_flight: 1, count: " +
                                                          std::to_string(count) + "}"),
                             agent.port());
  o.profile = profile;
  o.reaction_timeout = 300ms;
  return run(o);
}

std::string kinds(const RunReport& r) {
  std::string s;
  for (const auto& [k, n] : r.errors_by_kind) s += k + "; ";
  return s;
}

TEST(SimRunMisbehavingAgent, WrongIdsAreStatus12On31AndIgnoredOn26) {
  const RunReport r31 = misbehave(Profile::haproxy_3_1, [](auto& n) { return empty_ack_for(n, 1, 100); });
  EXPECT_THAT(kinds(r31), testing::HasSubstr("status 12 \"frame-id not found\"")) << kinds(r31);
  EXPECT_EQ(r31.completed, 0u);
  const RunReport r26 = misbehave(Profile::haproxy_2_6, [](auto& n) { return empty_ack_for(n, 1, 100); });
  EXPECT_EQ(r26.ignored_acks, 1u);
  EXPECT_EQ(r26.errors_by_kind.at("processing timeout"), 1u) << kinds(r26);
}

TEST(SimRunMisbehavingAgent, OversizedAckIsStatus3) {
  const RunReport r = misbehave(Profile::haproxy_2_6, [](auto& n) {
    std::vector<std::byte> ack = empty_ack_for(n);
    const std::uint32_t len = 16381;  // one above the negotiated size
    ack.resize(4 + len, std::byte{0});
    for (int i = 0; i < 4; ++i) ack[static_cast<std::size_t>(i)] = std::byte(static_cast<std::uint8_t>(len >> (24 - 8 * i)));
    return ack;
  });
  EXPECT_THAT(kinds(r), testing::HasSubstr("status 3 \"frame is too big\"")) << kinds(r);
  EXPECT_EQ(r.completed, 0u);
}

TEST(SimRunMisbehavingAgent, AckWithoutFinIsStatus10OnBothProfiles) {
  for (Profile p : {Profile::haproxy_2_6, Profile::haproxy_3_1}) {
    const RunReport r = misbehave(p, [](auto& n) { return empty_ack_for(n, 0); });
    EXPECT_THAT(kinds(r), testing::HasSubstr("status 10")) << kinds(r);
  }
}

TEST(SimRunMisbehavingAgent, AckForNothingIsIgnoredOn26AndStatus12On31) {
  auto extra = [](auto& n) {
    std::vector<std::byte> bytes = empty_ack_for(n, 1, 1000);  // for a stream never opened
    const auto real = empty_ack_for(n);
    bytes.insert(bytes.end(), real.begin(), real.end());
    return bytes;
  };
  const RunReport r26 = misbehave(Profile::haproxy_2_6, extra, 2);
  EXPECT_EQ(r26.ignored_acks, 1u);
  EXPECT_EQ(r26.completed, 2u);
  EXPECT_EQ(r26.errors, 0u) << kinds(r26);
  const RunReport r31 = misbehave(Profile::haproxy_3_1, extra, 2);
  EXPECT_THAT(kinds(r31), testing::HasSubstr("status 12")) << kinds(r31);
}

// An ACK with: proc var (dropped: not forced), a name cut at 63 characters, a good txn var, then an
// invalid action, then a var that must not be applied.
std::vector<std::byte> rich_ack(const std::vector<std::byte>& notify) {
  const auto [sid, fid] = ids_of(notify);
  std::vector<std::byte> out;
  spop::AckBuilder b(out, sid, fid, 16380);
  b.set_var(spop::Scope::proc, "x", spop::Value::int32(1));
  b.set_var(spop::Scope::txn, std::string(80, 'n'), spop::Value::int32(2));
  b.set_var(spop::Scope::txn, "ok", spop::Value::int32(1));
  b.finish();
  // Append a bad action (type 9) and a good one after it, then fix LEN.
  for (int byte : {9, 3, 2, 1, int{'z'}, 0x02, 0x05}) out.push_back(static_cast<std::byte>(byte));
  for (int byte : {1, 3, 2, 5, int{'a'}, int{'f'}, int{'t'}, int{'e'}, int{'r'}, 0x02, 0x05}) out.push_back(static_cast<std::byte>(byte));
  const auto len = static_cast<std::uint32_t>(out.size() - 4);
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = std::byte(static_cast<std::uint8_t>(len >> (24 - 8 * i)));
  return out;
}

RunReport run_rich(const std::string& expect) {
  FakeAgent agent([](AgentSide& s) {
    if (!s.read_frame()) return;
    s.send(agent_hello("pipelining"));
    while (auto f = s.read_frame(2s))
      if (is_notify(*f)) s.send(rich_ack(*f));
      else return;
  });
  return run(options_for(basic_spoe(), basic_scenario("{connections: 1, count: 2}", expect), agent.port()));
}

TEST(SimRunActions, AppliedWithPrefixNamingCutProcRuleAndStopAtTheFirstBadAction) {
  const RunReport r = run_rich(
      "expect:\n  messages:\n    m1:\n      txn.p.ok: int32:1\n      proc.p.x: absent\n      txn.p.after: absent\n"
      "      txn.p." + std::string(57, 'n') + ": int32:2\n");
  EXPECT_EQ(r.violation_count, 0u) << (r.violations.empty() ? "" : to_string(r.violations[0]));
  ASSERT_TRUE(r.variables.count("m1"));
  const auto& vars = r.variables.at("m1");
  EXPECT_TRUE(vars.count("txn.p.ok"));
  EXPECT_TRUE(vars.count("txn.p." + std::string(57, 'n')));  // 63 characters in all
  EXPECT_FALSE(vars.count("txn.p.after"));
  EXPECT_THAT(r.anomalies, testing::Contains(testing::Key(testing::HasSubstr("ACK actions cut short"))));
}

TEST(SimRunActions, AFailedVariableExpectationIsAViolation) {
  const RunReport r = run_rich("expect:\n  messages:\n    m1:\n      proc.p.x: present\n      txn.p.ok: int32:2\n");
  EXPECT_TRUE(r.expectations_failed());
  EXPECT_EQ(r.violation_count, 4u);  // two variables, two requests
  EXPECT_EQ(r.violations.size(), 2u);  // distinct ones kept
}

// Several ACKs in one read, followed by the first part of the next one: the string values of the whole
// ACKs are read after the partial frame's bytes were kept for the next read, and must still be theirs.
TEST(SimRunActions, StringValuesOfAckEventsSurviveAPartialFrameInTheSameRead) {
  // The same txn.p.s in every ACK; `padded` puts another variable before it, so that the frames differ.
  auto ack_with = [](const std::vector<std::byte>& notify, bool padded) {
    const auto [sid, fid] = ids_of(notify);
    std::vector<std::byte> out;
    spop::AckBuilder b(out, sid, fid, 16380);
    if (padded) b.set_var(spop::Scope::txn, "pad", spop::Value::string(std::string(40, 'z')));
    b.set_var(spop::Scope::txn, "s", spop::Value::string(std::string(200, 'a')));
    b.finish();
    return out;
  };
  FakeAgent agent([&](AgentSide& s) {
    if (!s.read_frame()) return;
    s.send(agent_hello("pipelining"));
    std::vector<std::vector<std::byte>> held;
    while (held.size() < 3) {
      auto f = s.read_frame(2s);
      if (!f) return;
      if (is_notify(*f)) held.push_back(*f);
    }
    // Two whole ACKs and 150 bytes of the third in one segment, the rest of the third a moment later.
    std::vector<std::byte> first = ack_with(held[0], false);
    const auto second = ack_with(held[1], false);
    const auto third = ack_with(held[2], true);
    first.insert(first.end(), second.begin(), second.end());
    first.insert(first.end(), third.begin(), third.begin() + 150);
    s.send(first);
    std::this_thread::sleep_for(50ms);
    s.send(std::span(third).subspan(150));
    while (auto f = s.read_frame(2s)) {
      if (!is_notify(*f)) return;
    }
  });
  const std::string expected = "str:\"" + std::string(200, 'a') + "\"";
  const RunReport r = run(options_for(
      basic_spoe(), basic_scenario("{connections: 1, in_flight: 3, count: 3}",
                                   "expect:\n  messages:\n    m1:\n      txn.p.s: '" + expected + "'\n"),
      agent.port()));
  EXPECT_EQ(r.completed, 3u);
  EXPECT_EQ(r.violation_count, 0u) << (r.violations.empty() ? "" : to_string(r.violations[0]));
  ASSERT_TRUE(r.variables.count("m1"));
  ASSERT_TRUE(r.variables.at("m1").count("txn.p.s"));
  EXPECT_EQ(r.variables.at("m1").at("txn.p.s").example, expected);
}

TEST(SimRunMessages, AGroupIsSentInsteadOfTheEventsMessages) {
  FakeAgent agent([](AgentSide& s) { serve_empty(s); });
  const std::string spoe =
      "spoe-agent a\n    messages m1\n    groups g1\n    use-backend be\n"
      "spoe-message m1\n    args n=int(1)\n    event on-frontend-http-request\n"
      "spoe-message m2\n    args k=str(grouped)\n"
      "spoe-group g1\n    messages m2\n";
  RunOptions o = options_for(spoe, basic_scenario("{count: 2}"), agent.port());
  o.group = "g1";
  EXPECT_EQ(run(o).completed, 2u);
  const auto n = notifies(agent);
  ASSERT_EQ(n.size(), 2u);
  const std::string bytes(reinterpret_cast<const char*>(n[0].data()), n[0].size());
  EXPECT_NE(bytes.find("m2"), std::string::npos);
  EXPECT_NE(bytes.find("grouped"), std::string::npos);
  EXPECT_EQ(bytes.find("m1"), std::string::npos);
}

TEST(SimRunMessages, ConstantConditionsAreEvaluatedOthersReported) {
  FakeAgent agent([](AgentSide& s) { serve_empty(s); });
  const std::string spoe =
      "spoe-agent a\n    messages on off acl\n    use-backend be\n"
      "spoe-message on\n    args n=int(1)\n    event on-frontend-http-request if TRUE\n"
      "spoe-message off\n    args n=int(1)\n    event on-frontend-http-request unless TRUE\n"
      "spoe-message acl\n    args n=int(1)\n    event on-frontend-http-request if { src 10.0.0.0/8 }\n";
  const RunPlan plan = make_plan(options_for(spoe, basic_scenario("{count: 1}"), agent.port()));
  ASSERT_EQ(plan.templates[0].messages.size(), 2u);
  EXPECT_EQ(plan.templates[0].messages[0]->name, "on");
  EXPECT_EQ(plan.templates[0].messages[1]->name, "acl");
  EXPECT_THAT(plan.warnings, testing::Contains(testing::AllOf(testing::HasSubstr("spoe-message acl"),
                                                                testing::HasSubstr("'src'"))));
  EXPECT_EQ(run_simulation(plan).completed, 1u);
}

TEST(SimRunOptions, CommandLineOverridesTheScenario) {
  RunOptions o = options_for(basic_spoe(), "profile: \"2.6\"\nload: {connections: 3, rate: 50, duration: 1m}\n"
                                           "requests:\n  - path: /\nfaults:\n  - invalid_frame\n", 1);
  o.profile = Profile::haproxy_3_1;
  o.connections = 2;
  o.in_flight = 5;
  o.requests = 7;
  o.no_faults = true;
  std::string error;
  o.faults.push_back(*parse_fault_option("split_frames", error));
  const RunPlan p = make_plan(o);
  EXPECT_EQ(p.scenario.profile, Profile::haproxy_3_1);
  EXPECT_EQ(p.haproxy.profile, spop::HaproxyProfile::v3_1);
  EXPECT_EQ(p.scenario.load.connections, 2u);
  EXPECT_EQ(p.scenario.load.in_flight, 5u);
  EXPECT_FALSE(p.scenario.load.open_loop());
  EXPECT_EQ(p.scenario.load.count, 7u);
  EXPECT_FALSE(p.scenario.load.duration);
  ASSERT_EQ(p.scenario.faults.size(), 1u);
  EXPECT_EQ(p.scenario.faults[0].kind, FaultKind::split_frames);
  EXPECT_EQ(p.processing_timeout, 300ms);  // the SPOE file's
  EXPECT_EQ(p.agent.port, 1);
}

// parse_run_options on a command line; returns its error ("" when it parsed).
std::string run_options_error(std::vector<std::string> args) {
  args.insert(args.begin(), "spop-sim run");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::string error;
  std::optional<int> exit_now;
  const auto parsed = parse_run_options(static_cast<int>(argv.size()), argv.data(), error, exit_now);
  EXPECT_FALSE(exit_now);
  EXPECT_EQ(parsed.has_value(), error.empty()) << error;
  return error;
}

TEST(SimRunOptions, UnknownOptionsAndBadValuesAreNamed) {
  EXPECT_EQ(run_options_error({"-s", "s.yaml", "--spoe", "x.conf"}), "unknown option '--spoe'");
  EXPECT_EQ(run_options_error({"-s", "s.yaml", "-x"}), "unknown option '-x'");
  // An option's value is never taken for an option, whatever it looks like.
  EXPECT_THAT(run_options_error({"-s", "--odd-name.yaml", "-c", "a.conf", "--seed", "x"}), testing::StartsWith("--seed"));
  const std::string bad_number = run_options_error({"-s", "s.yaml", "-c", "a.conf", "-n", "many"});
  EXPECT_THAT(bad_number, testing::StartsWith("--requests: "));
  EXPECT_THAT(bad_number, testing::HasSubstr("'many'"));
  // TCLAP's own errors name the option too.
  EXPECT_THAT(run_options_error({"-c", "a.conf", "-s"}), testing::StartsWith("--scenario: "));
}

TEST(SimRunOptions, ProfileOptionsFollowTheSpoeAgent) {
  SpoeAgent a;
  a.max_frame_size = 4096;
  a.max_waiting_frames = 5;
  a.async = false;
  a.var_prefix = "pre";
  a.timeout_idle = 30s;
  const spop::HaproxyOptions v26 = haproxy_options_for(a, Profile::haproxy_2_6, "id");
  EXPECT_EQ(v26.max_frame_size, 4096u);
  EXPECT_EQ(v26.max_in_flight, 5u);
  EXPECT_EQ(v26.async, false);
  EXPECT_EQ(v26.pipelining, true);
  EXPECT_EQ(v26.var_prefix, "pre");
  EXPECT_EQ(v26.idle_timeout, 30s);
  EXPECT_EQ(v26.engine_id, "id");
  const spop::HaproxyOptions v31 = haproxy_options_for(a, Profile::haproxy_3_1, "id");
  EXPECT_EQ(v31.max_in_flight, 20u);  // 3.1 ignores max-waiting-frames
  EXPECT_EQ(v31.idle_timeout, 0ms);   // and timeout idle
}

}  // namespace
}  // namespace spop::sim
