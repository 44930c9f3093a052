// spop-sim run plays the HAProxy of the capture configurations (tests/captures/haproxy-2.6/config):
// the HELLO, the health-check HELLO and the NOTIFYs it sends for the captured request are the frames
// the real HAProxy 2.6.12 sent, byte for byte (the engine-id aside, which is random per process).
// Complements tests/simulator/spoe_capture_test.cpp (evaluation + builder) by going through the
// whole run path: haproxy.cfg, profile options, request generation, ids and the socket.
#include <gtest/gtest.h>

#include <fstream>

#include "simulator/run/runner.hpp"
#include "tests/sim-run/sim_run_support.hpp"
#include "tests/spop-cli/fake_agent.hpp"
#include "tests/support/hex.hpp"

namespace spop::sim {
namespace {

using spop_cli::test::AgentSide;
using spop_cli::test::FakeAgent;
using namespace std::chrono_literals;

// The request curl sent when the captures were taken (see spoe_capture_test.cpp).
std::string captured_scenario() {
  return "load: {connections: 1, count: 1}\n"
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

}  // namespace
}  // namespace spop::sim
