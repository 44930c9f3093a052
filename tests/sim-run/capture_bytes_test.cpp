// spop-sim run plays the HAProxy of the capture configurations (tests/captures/haproxy-2.6/config and
// haproxy-3.2/config): the HELLO, the health-check HELLO and the NOTIFYs it sends for the captured
// request are the frames the real HAProxy 2.6.12 and 3.2.0 sent, byte for byte (the engine-id aside,
// which is random per process), and with profile 3.2 it behaves as 3.2.0 did where no byte tells: one
// pooled connection, a late ACK ignored, no DISCONNECT but a reset at the end.
// Complements tests/simulator/spoe_capture_test.cpp (evaluation + builder) by going through the
// whole run path: haproxy.cfg, profile options, request generation, ids and the socket.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "simulator/run/runner.hpp"
#include "tests/sim-run/sim_run_support.hpp"
#include "tests/spop-cli/fake_agent.hpp"
#include "tests/support/hex.hpp"

namespace spop::sim {
namespace {

using spop_cli::test::AgentSide;
using spop_cli::test::FakeAgent;
using namespace std::chrono_literals;

// The request curl sent when the captures were taken (see spoe_capture_test.cpp); 3.2's were taken with
// the same request (tests/captures/haproxy-3.2/README.md).
std::string captured_scenario(std::string_view first_lines = "load: {connections: 1, count: 1}\n") {
  return std::string(first_lines) +
         "frontend: {address: 127.0.0.1, port: 18080}\n"
         "client_ports: 33990\n"
         "requests:\n"
         "  - path: /p\n"
         "    headers:\n"
         "      - host: example.com\n"
         "      - x-long: " + std::string(300, 'L') + "\n";
}

RunOptions capture_options(const char* cfg, std::uint16_t port) {
  RunOptions o = test::options_for("", captured_scenario(), port);
  o.spoe_config.clear();
  o.haproxy_config = spop::test::capture(std::string("haproxy-2.6/config/") + cfg).string();
  return o;
}

// HAProxy 3.2.0's capture configuration (mode spop), `count` requests one after the other.
RunOptions capture32_options(const char* cfg, std::uint16_t port, int count) {
  RunOptions o = test::options_for(
      "", captured_scenario("profile: \"3.2\"\nload: {connections: 1, count: " + std::to_string(count) + "}\n"), port);
  o.spoe_config.clear();
  o.haproxy_config = spop::test::capture(std::string("haproxy-3.2/config/") + cfg).string();
  return o;
}

std::string captured_hex(const char* name) {
  return spop::test::to_hex(spop::test::read_file(spop::test::capture(std::string("haproxy-3.2/") + name)));
}

std::vector<std::vector<std::byte>> run_capture(const char* cfg) {
  FakeAgent agent(spop_cli::test::echo_script());
  const RunReport r = run_simulation(make_plan(capture_options(cfg, agent.port())));
  EXPECT_EQ(r.completed, 1u) << cfg;
  return agent.frames();
}

// The HELLO without its last 36 bytes (the engine-id's text), which must look like a UUIDv4.
std::string hello_without_engine_id(const std::vector<std::byte>& hello) {
  EXPECT_GT(hello.size(), 36u);
  const std::string id(reinterpret_cast<const char*>(hello.data()) + hello.size() - 36, 36);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  return spop::test::to_hex(std::span(hello).first(hello.size() - 36));
}

TEST(SimRunCaptures, HelloAndNotifyMatchHaproxy26) {
  const auto frames = run_capture("haproxy.cfg");
  ASSERT_GE(frames.size(), 2u);
  const auto hello = spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"));
  EXPECT_EQ(hello_without_engine_id(frames[0]), hello_without_engine_id(hello));
  EXPECT_EQ(spop::test::to_hex(frames[1]),
            spop::test::to_hex(spop::test::read_file(spop::test::capture("haproxy-2.6/notify-simple.bin"))));
}

TEST(SimRunCaptures, TypesNotifyMatchesHaproxy26) {
  const auto frames = run_capture("haproxy-types.cfg");
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(spop::test::to_hex(frames[1]),
            spop::test::to_hex(spop::test::read_file(spop::test::capture("haproxy-2.6/notify-types.bin"))));
}

TEST(SimRunCaptures, SpopCheckRunsTheCapturedHealthCheckFirst) {
  const auto frames = run_capture("haproxy-check.cfg");
  ASSERT_GE(frames.size(), 3u);
  // The health check's connection comes first (the fake agent serves connections in turn).
  EXPECT_EQ(spop::test::to_hex(frames[0]),
            spop::test::to_hex(spop::test::read_file(spop::test::capture("haproxy-2.6/hello-healthcheck.bin"))));
  FakeAgent agent(spop_cli::test::echo_script());
  const RunReport r = run_simulation(make_plan(capture_options("haproxy-check.cfg", agent.port())));
  ASSERT_TRUE(r.healthcheck.has_value());
  EXPECT_EQ(*r.healthcheck, "passed");
}

TEST(SimRunCaptures, FailedHealthCheckIsReportedWithTheAgentsReason) {
  FakeAgent agent([](AgentSide& s) {
    if (!s.read_frame()) return;
    s.send(spop_cli::test::agent_disconnect(8, "unsupported version"));
  });
  RunOptions o = capture_options("haproxy-check.cfg", agent.port());
  const RunReport r = run_simulation(make_plan(o));
  ASSERT_TRUE(r.healthcheck.has_value());
  EXPECT_NE(r.healthcheck->find("AGENT-DISCONNECT 8"), std::string::npos) << *r.healthcheck;
}

// ---- HAProxy 3.2.0 (tests/captures/haproxy-3.2)

TEST(SimRunCaptures32, HelloAndPooledNotifiesMatchHaproxy32) {
  FakeAgent agent(spop_cli::test::echo_script());
  const RunReport r = run_simulation(make_plan(capture32_options("haproxy.cfg", agent.port(), 3)));
  EXPECT_EQ(r.completed, 3u);
  EXPECT_EQ(r.profile, "3.2");
  // One connection for the three requests in a row, as 3.2.0 pooled it (healthcheck-pooling-softstop.pcapng).
  EXPECT_EQ(r.connections_opened, 1u);
  EXPECT_EQ(agent.connections(), 1u);
  const auto frames = agent.frames();
  // HELLO, three NOTIFYs (stream-ids 1, 3, 5, frame-id 1) and no HAPROXY-DISCONNECT at the end.
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(hello_without_engine_id(frames[0]),
            hello_without_engine_id(spop::test::read_file(spop::test::capture("haproxy-3.2/hello.bin"))));
  EXPECT_EQ(spop::test::to_hex(frames[1]), captured_hex("notify-check-client-sid1.bin"));
  EXPECT_EQ(spop::test::to_hex(frames[2]), captured_hex("notify-check-client-sid3.bin"));
  EXPECT_EQ(spop::test::to_hex(frames[3]), captured_hex("notify-check-client-sid5.bin"));
}

TEST(SimRunCaptures32, HealthCheckHelloMatchesHaproxy32) {
  FakeAgent agent(spop_cli::test::echo_script());
  const RunReport r = run_simulation(make_plan(capture32_options("haproxy-check.cfg", agent.port(), 1)));
  const auto frames = agent.frames();
  ASSERT_GE(frames.size(), 1u);
  EXPECT_EQ(spop::test::to_hex(frames[0]), captured_hex("hello-healthcheck.bin"));
  ASSERT_TRUE(r.healthcheck.has_value());
  EXPECT_EQ(*r.healthcheck, "passed");
}

// How the run ends, seen from the agent: 3.2 sends no HAPROXY-DISCONNECT and resets the connection
// (3.2.0 did so on soft stop and on idle: healthcheck-pooling-softstop.pcapng, idle.pcapng); 2.6 says
// goodbye and closes (with a FIN: this agent leaves the DISCONNECT unanswered, so that no late answer
// turns the close into a reset).
struct RunEnd {
  std::vector<std::uint8_t> frame_types;
  AgentSide::PeerEnd end = AgentSide::PeerEnd::none;
};

RunEnd end_of_run(const char* profile) {
  RunEnd seen;
  std::mutex m;
  FakeAgent agent([&](AgentSide& s) {
    std::vector<std::uint8_t> types;
    while (auto f = s.read_frame()) {
      types.push_back(spop_cli::test::frame_type(*f));
      if (types.back() == 1) s.send(spop_cli::test::agent_hello());
      if (types.back() == 3) s.send(spop_cli::test::echo_ack(*f));
    }
    const std::lock_guard lock(m);
    seen.frame_types = types;
    seen.end = s.peer_end();
  });
  RunOptions o = capture32_options("haproxy.cfg", agent.port(), 2);
  o.profile = std::string_view(profile) == "2.6" ? Profile::haproxy_2_6 : Profile::haproxy_3_1;
  const RunReport r = run_simulation(make_plan(o));
  EXPECT_EQ(r.completed, 2u) << profile;
  // The script records once the connection is over; the run may return a moment before.
  for (int i = 0; i < 500; ++i) {
    {
      const std::lock_guard lock(m);
      if (seen.end != AgentSide::PeerEnd::none) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  const std::lock_guard lock(m);
  return seen;
}

TEST(SimRunCaptures32, TheRunEndsWithAResetAndNoDisconnectOn32) {
  const RunEnd v32 = end_of_run("3.2");
  EXPECT_EQ(v32.frame_types, (std::vector<std::uint8_t>{1, 3, 3}));
  EXPECT_EQ(v32.end, AgentSide::PeerEnd::reset);
  const RunEnd v26 = end_of_run("2.6");
  EXPECT_EQ(v26.frame_types, (std::vector<std::uint8_t>{1, 3, 3, 2}));
  EXPECT_EQ(v26.end, AgentSide::PeerEnd::fin);
}

// processing-timeout.pcapng: 3.2.0 gave up on stream 3 after `timeout processing` (500 ms) without a
// word to the agent, ignored its late ACK, and sent the next NOTIFY (stream 5) on the same connection.
TEST(SimRunCaptures32, ProcessingTimeoutKeepsTheConnectionAndIgnoresTheLateAck) {
  FakeAgent agent([](AgentSide& s) {
    int notifies = 0;
    while (auto f = s.read_frame()) {
      const std::uint8_t type = spop_cli::test::frame_type(*f);
      if (type == 1) s.send(spop_cli::test::agent_hello());
      if (type != 3) continue;
      if (++notifies == 2) std::this_thread::sleep_for(800ms);  // past the 500 ms of spoe.conf
      s.send(spop_cli::test::echo_ack(*f));
    }
  });
  const RunReport r = run_simulation(make_plan(capture32_options("haproxy.cfg", agent.port(), 3)));
  EXPECT_EQ(r.completed, 2u);
  EXPECT_EQ(r.errors_by_kind.at("processing timeout"), 1u);
  EXPECT_EQ(r.ignored_acks, 1u);
  EXPECT_EQ(r.connections_opened, 1u);
  const auto frames = agent.frames();
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(spop::test::to_hex(frames[2]), captured_hex("notify-check-client-sid3.bin"));
  EXPECT_EQ(spop::test::to_hex(frames[3]), captured_hex("notify-after-timeout-sid5.bin"));
}

}  // namespace
}  // namespace spop::sim
