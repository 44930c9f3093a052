// End to end: `hello`, `check` and the top-level dispatch of the spop-cli binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "spop-cli/frame_decoder.hpp"
#include "tests/spop-cli/fake_agent.hpp"
#include "tests/spop-cli/run_cli.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using nlohmann::json;
using test::AgentSide;
using test::FakeAgent;
using test::run_cli;

TEST(CliHello, PrintsWhatTheAgentNegotiated) {
  FakeAgent agent(test::echo_script("pipelining"));
  const auto r = run_cli({"hello", "-p", agent.port_text()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("agent 127.0.0.1:" + agent.port_text() +
                       " accepted the HELLO of HAProxy 2.6\n"
                       "  version:        2.0\n"
                       "  max-frame-size: 16380 (offered 16380)\n"
                       "  capabilities:   \"pipelining\"\n"
                       "  agreed:         pipelining yes, async no, fragmentation no\n"),
            std::string::npos)
      << r.out;
  // It leaves as HAProxy does on soft-stop: HAPROXY-DISCONNECT, answered by the agent.
  const auto frames = agent.frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(test::frame_type(frames[1]), 2);
}

TEST(CliHello, Json) {
  FakeAgent agent(test::echo_script("pipelining,async"));
  const auto r = run_cli({"hello", "-p", agent.port_text(), "--json", "--max-frame-size", "20000"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("version"), "2.0");
  EXPECT_EQ(out.at("max_frame_size"), 16380);
  EXPECT_EQ(out.at("offered_max_frame_size"), 20000);
  EXPECT_EQ(out.at("pipelining"), true);
  EXPECT_EQ(out.at("async"), true);
  EXPECT_EQ(out.at("profile"), "2.6");
}

TEST(CliHello, Profile31SendsThe31Hello) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli({"hello", "-p", agent.port_text(), "--profile", "3.1"});
  ASSERT_EQ(r.status, 0) << r.err;
  const StreamDecode d = decode_stream(agent.frames().at(0));
  const auto& kv = d.frames.at(0).kv;
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_EQ(kv[2].value.view(), spop::Value::string("pipelining"));  // no async in 3.1+
  EXPECT_EQ(kv[3].key, "engine-id");
}

TEST(CliHello, FrameSizeAboveOursIsRefusedAsHaproxyWould) {
  FakeAgent agent(test::echo_script());  // answers 16380
  const auto r = run_cli({"hello", "-p", agent.port_text(), "--max-frame-size", "1024", "--json"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("HAProxy would disconnect with status 9 \"max-frame-size too big or too small\""),
            std::string::npos)
      << r.err;
  EXPECT_EQ(json::parse(r.out).at("error").at("status"), 9);
}

TEST(CliCheck, AgentUp) {
  FakeAgent agent([](AgentSide& side) {
    if (!side.read_frame()) return;
    side.send(test::agent_hello(""));
    side.wait_close();
  });
  const auto r = run_cli({"check", "-p", agent.port_text()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("SPOP OK - 127.0.0.1:" + agent.port_text() + " answered the health check in ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(": version 2.0, max-frame-size 16380 | time="), std::string::npos) << r.out;
  // What HAProxy 2.6 sends for `option spop-check`, byte for byte.
  EXPECT_EQ(agent.frames().at(0), spop::test::read_file(spop::test::capture("haproxy-2.6/hello-healthcheck.bin")));
}

TEST(CliCheck, AgentRefuses) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_disconnect(8, "unsupported version"));
  });
  const auto r = run_cli({"check", "-p", agent.port_text()});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "SPOP CRITICAL - 127.0.0.1:" + agent.port_text() +
                       " refused the health check: status 8 \"unsupported version\"\n");
}

TEST(CliCheck, AgentDown) {
  const std::string port = std::to_string(test::unused_port());
  const auto r = run_cli({"check", "-p", port});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "SPOP CRITICAL - cannot connect to 127.0.0.1:" + port + ": connection refused\n");
}

TEST(CliCheck, BadAnswerIsCritical) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello("", 100));  // below 256
    side.wait_close();
  });
  const auto r = run_cli({"check", "-p", agent.port_text()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("SPOP CRITICAL - malformed reply from the agent in the frame at byte 0"), std::string::npos)
      << r.out;
}

TEST(CliCheck, SlowAnswerIsWarning) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    side.send(test::agent_hello(""));
    side.wait_close();
  });
  const auto r = run_cli({"check", "-p", agent.port_text(), "--warning", "20ms"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.rfind("SPOP WARNING - ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("(above --warning 20ms)"), std::string::npos);
}

TEST(CliCheck, UsageErrorIsUnknown) {
  auto r = run_cli({"check", "--timeout", "x"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out.rfind("SPOP UNKNOWN - --timeout: ", 0), 0u) << r.out;
  r = run_cli({"check", "--nope"});
  EXPECT_EQ(r.status, 3);
}

TEST(CliMain, DispatchAndHelp) {
  auto r = run_cli({});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("usage: spop-cli <subcommand>"), std::string::npos);
  r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Exit status"), std::string::npos);
  r = run_cli({"frobnicate"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "spop-cli: unknown subcommand 'frobnicate' (send, hello, check, decode, encode; see --help)\n");
  for (const char* sub : {"send", "hello", "check", "decode", "encode"}) {
    r = run_cli({sub, "--help"});
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << sub;
    EXPECT_NE(r.out.find(std::string("spop-cli ") + sub), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace spop_cli
