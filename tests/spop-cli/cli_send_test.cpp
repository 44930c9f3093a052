// End to end: the spop-cli binary's `send` against the scripted fake agent (exit statuses, stdout, stderr).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "spop-cli/frame_decoder.hpp"
#include "tests/spop-cli/fake_agent.hpp"
#include "tests/spop-cli/run_cli.hpp"

namespace spop_cli {
namespace {

using nlohmann::json;
using test::AgentSide;
using test::FakeAgent;
using test::run_cli;

std::vector<std::string> send_args(const FakeAgent& agent, std::vector<std::string> more) {
  std::vector<std::string> args{"send", "--port", agent.port_text(), "--timeout", "3s"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The action named `variable` in the JSON ACK.
json action(const json& out, const std::string& variable) {
  for (const json& a : out.at("ack").at("actions")) {
    if (a.at("variable") == variable) return a;
  }
  ADD_FAILURE() << "no action " << variable << " in " << out.dump();
  return json();
}

TEST(CliSend, EveryArgumentTypeRoundTripsThroughAnEchoAgent) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"--json",
                                           "--var-prefix",
                                           "echo",
                                           "-m",
                                           "types",
                                           "-a",
                                           "n=null",
                                           "-a",
                                           "b=bool:true",
                                           "-a",
                                           "f=bool:false",
                                           "-a",
                                           "i32=int32:-5",
                                           "-a",
                                           "u32=uint32:4294967295",
                                           "-a",
                                           "i64=int64:-9223372036854775808",
                                           "-a",
                                           "u64=uint64:18446744073709551615",
                                           "-a",
                                           "v4=ipv4:10.0.0.1",
                                           "-a",
                                           "v6=ipv6:2001:db8::1",
                                           "-a",
                                           "s=str:h\xc3\xa9llo",
                                           "-a",
                                           "bh=bin:hex:00ff",
                                           "-a",
                                           "bb=bin:base64:AAEC",
                                           "-a",
                                           "=str:x"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("ack").at("actions").size(), 13u);
  EXPECT_EQ(action(out, "txn.echo.n").at("value"), json({{"type", "null"}, {"value", nullptr}}));
  EXPECT_EQ(action(out, "txn.echo.b").at("value").at("value"), true);
  EXPECT_EQ(action(out, "txn.echo.f").at("value").at("value"), false);
  EXPECT_EQ(action(out, "txn.echo.i32").at("value"), json({{"type", "int32"}, {"value", -5}}));
  EXPECT_EQ(action(out, "txn.echo.u32").at("value"), json({{"type", "uint32"}, {"value", 4294967295u}}));
  EXPECT_EQ(action(out, "txn.echo.i64").at("value"), json({{"type", "int64"}, {"value", INT64_MIN}}));
  EXPECT_EQ(action(out, "txn.echo.u64").at("value"), json({{"type", "uint64"}, {"value", UINT64_MAX}}));
  EXPECT_EQ(action(out, "txn.echo.v4").at("value"), json({{"type", "ipv4"}, {"value", "10.0.0.1"}}));
  EXPECT_EQ(action(out, "txn.echo.v6").at("value"), json({{"type", "ipv6"}, {"value", "2001:db8::1"}}));
  EXPECT_EQ(action(out, "txn.echo.s").at("value"), json({{"type", "str"}, {"value", "h\xc3\xa9llo"}}));
  EXPECT_EQ(action(out, "txn.echo.bh").at("value"), json({{"type", "bin"}, {"value", "00ff"}}));
  EXPECT_EQ(action(out, "txn.echo.bb").at("value"), json({{"type", "bin"}, {"value", "000102"}}));
  EXPECT_EQ(action(out, "txn.echo.arg1").at("value").at("value"), "x");  // the unnamed argument
  EXPECT_EQ(out.at("handshake").at("version"), "2.0");
  EXPECT_EQ(out.at("agent"), "127.0.0.1:" + agent.port_text());
}

TEST(CliSend, TextOutputNamesVariablesAsHaproxy) {
  FakeAgent agent(test::echo_script());
  const auto r =
      run_cli(send_args(agent, {"--msg", "check-client-ip", "--arg", "ip_score=int32:42", "--var-prefix", "iprep"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ACK stream-id=0 frame-id=1 in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": 1 action\n  set-var txn.iprep.ip_score = int32:42\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(CliSend, MessagesKeepTheirArgumentsInCommandLineOrder) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"-m", "first", "-a", "x=int32:1", "--var-prefix", "p", "-a", "y=int32:2",
                                           "-m", "second", "-m", "third", "-a", "z=str:3"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto frames = agent.frames();
  ASSERT_GE(frames.size(), 2u);
  const StreamDecode d = decode_stream(frames[1]);
  ASSERT_EQ(d.frames.size(), 1u);
  const auto& m = d.frames[0].messages;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].name, "first");
  ASSERT_EQ(m[0].args.size(), 2u);
  EXPECT_EQ(m[0].args[1].name, "y");
  EXPECT_EQ(m[1].name, "second");
  EXPECT_TRUE(m[1].args.empty());
  EXPECT_EQ(m[2].name, "third");
  EXPECT_EQ(m[2].args.at(0).value.view(), spop::Value::string("3"));
}

TEST(CliSend, ExpectationsPass) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"-m", "m", "-a", "ip_score=int32:42", "--var-prefix", "iprep", "--expect",
                                           "txn.iprep.ip_score=int:1..100", "--expect", "!txn.iprep.blocked"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ok:     txn.iprep.ip_score=int:1..100 (got int32:42)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok:     !txn.iprep.blocked (got not set)"), std::string::npos) << r.out;
}

TEST(CliSend, ExpectationFailsWithStatus1) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"-m", "m", "-a", "ip_score=int32:420", "--var-prefix", "iprep", "-e",
                                           "txn.iprep.ip_score=int:1..100", "--json"}));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("expectation failed"), std::string::npos);
  const json out = json::parse(r.out);
  const json& res = out.at("expectations").at("results").at(0);
  EXPECT_EQ(res.at("ok"), false);
  EXPECT_EQ(res.at("actual"), "int32:420");
}

TEST(CliSend, RepeatWithPipelineGivesASummary) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"-m", "m", "-a", "v=int32:1", "--repeat", "50", "--pipeline", "8", "--json",
                                           "-e", "txn.spoe.v=int32:1"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("summary").at("sent"), 50);
  EXPECT_EQ(out.at("summary").at("acks"), 50);
  EXPECT_EQ(out.at("summary").at("latency").at("count"), 50);
  EXPECT_LE(out.at("summary").at("latency").at("min_ms").get<double>(),
            out.at("summary").at("latency").at("max_ms").get<double>());
  EXPECT_EQ(out.at("expectations").at("checked_acks"), 50);
  std::size_t notifies = 0;
  for (const auto& f : agent.frames()) notifies += test::frame_type(f) == 3;
  EXPECT_EQ(notifies, 50u);

  const auto text = run_cli(send_args(agent, {"-m", "m", "--repeat", "5"}));
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("(the first of 5 ACKs)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("5 NOTIFYs, 5 ACKs in "), std::string::npos);
  EXPECT_NE(text.out.find("latency: min "), std::string::npos);
}

TEST(CliSend, Profile31UsesOddStreamIds) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"-m", "m", "--profile", "3.1", "--repeat", "2", "--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("ack").at("stream_id"), 1);
  const StreamDecode hello = decode_stream(agent.frames().at(0));
  EXPECT_EQ(hello.frames.at(0).kv.at(2).value.view(), spop::Value::string("pipelining"));
}

TEST(CliSend, OverAUnixSocket) {
  const std::string path = test::temp_path("agent.sock");
  FakeAgent agent(test::echo_script(), path);
  const auto r = run_cli({"send", "--unix", path, "-m", "m", "-a", "k=str:v", "--var-prefix", "u"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("set-var txn.u.k = str:\"v\""), std::string::npos) << r.out;
}

TEST(CliSend, TraceDumpsBothDirectionsOnStderr) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli(send_args(agent, {"-m", "m", "--trace"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("haproxy -> agent: NOTIFY stream-id=0 frame-id=1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("agent -> haproxy: ACK stream-id=0 frame-id=1 len=7 flags=FIN\n"
                       "    0000: 00 00 00 07 67 00 00 00 01 00 01"),
            std::string::npos)
      << r.err;
}

// ---- errors: each has its own message and exit status ------------------------------------------

TEST(CliSend, ConnectionRefusedIsStatus3) {
  const std::string port = std::to_string(test::unused_port());
  const auto r = run_cli({"send", "-p", port, "-m", "m"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "spop-cli send: cannot connect to 127.0.0.1:" + port + ": connection refused\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliSend, TimeoutIsStatus3) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello());
    side.read_frame();  // the NOTIFY, never answered
    side.wait_close();
  });
  const auto r = run_cli({"send", "-p", agent.port_text(), "-m", "m", "--timeout", "200ms"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "spop-cli send: no answer from the agent within 200 ms (waiting for an ACK)\n");
}

TEST(CliSend, AgentDisconnectIsStatus2WithItsMessage) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello());
    side.read_frame();
    side.send(test::agent_disconnect(99, "script crashed"));
  });
  const auto r = run_cli({"send", "-p", agent.port_text(), "-m", "m", "--json"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "spop-cli send: the agent disconnected with status 99 \"script crashed\" (an unknown error "
            "occurred)\n");
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("error").at("kind"), "disconnected");
  EXPECT_EQ(out.at("error").at("status"), 99);
  EXPECT_EQ(out.at("error").at("agent_message"), "script crashed");
}

TEST(CliSend, MalformedAckIsStatus2WithTheByte) {
  // An ACK without FIN: HAProxy disconnects with status 10. Then a frame with a LEN of 3.
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello());
    side.read_frame();
    side.send_hex("00 00 00 07 67 00 00 00 00 00 01");
    side.wait_close();
  });
  const auto r = run_cli({"send", "-p", agent.port_text(), "-m", "m"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "spop-cli send: malformed reply from the agent in the frame at byte 68 (ACK without FIN); "
            "HAProxy would disconnect with status 10 \"fragmentation not supported\"\n");
}

TEST(CliSend, BadLengthIsStatus2WithTheByte) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello());
    side.read_frame();
    side.send_hex("00 00 00 03 67 00 00");
    side.wait_close();
  });
  const auto r = run_cli({"send", "-p", agent.port_text(), "-m", "m"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("malformed reply from the agent in the frame at byte 68 (frame length below 7: 3)"),
            std::string::npos)
      << r.err;
}

TEST(CliSend, AgentClosingIsStatus2) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello());
    side.read_frame();
  });
  const auto r = run_cli({"send", "-p", agent.port_text(), "-m", "m"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "spop-cli send: the agent closed the connection without sending AGENT-DISCONNECT\n");
}

TEST(CliSend, NotifyAboveTheFrameSizeIsStatus1) {
  FakeAgent agent(test::echo_script());
  const auto r = run_cli({"send", "-p", agent.port_text(), "-m", "m", "-a", "big=str:" + std::string(20000, 'x')});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "spop-cli send: the NOTIFY does not fit in the negotiated frame size of 16380 bytes (HAProxy "
            "keeps 32 bytes of it for the header)\n");
}

TEST(CliSend, UsageErrorsAreStatus1) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"send", "-a", "x=int32:1", "-m", "m"}, "--arg x=int32:1: comes before any --msg"},
      {{"send", "-m", "m", "-a", "x=int32:1e3"}, "--arg 'x=int32:1e3': int32 value '1e3' is not an integer"},
      {{"send", "-m", "m", "-a", "x"}, "has no '='"},
      {{"send", "-m", "m", "-e", "v=int:9..1"}, "--expect 'v=int:9..1': empty range"},
      {{"send", "-m", "m", "--timeout", "soon"}, "--timeout: 'soon' is not a duration"},
      {{"send", "-m", "m", "--profile", "1.8"}, "--profile: '1.8' is not 2.6 or 3.2 (or 3.1)"},
      {{"send", "-m", "m", "--max-frame-size", "100"}, "below the protocol's minimum of 256"},
      {{"send", "-m", "m", "-p", "70000"}, "--port: 70000 is not a TCP port"},
      {{"send", "-m", "m", "--unix", "/x", "-p", "1"}, "--unix cannot be combined with --host/--port"},
      {{"send", "-m", "m", "--repeat", "0"}, "--repeat: must be at least 1"},
      {{"send", "-m", "m", "--pipeline", "-2"}, "--pipeline: '-2' is negative"},
      {{"send"}, "Required argument missing: msg"},
      {{"send", "-m", "m", "--bogus"}, "unknown option '--bogus'"},
      {{"send", "-m", "m", "--port=1"}, "unknown option '--port=1'"},  // TCLAP takes no "--name=value"
  };
  for (const Case& c : cases) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.status, 1) << c.args.back();
    EXPECT_NE(r.err.find(c.err), std::string::npos) << "wanted '" << c.err << "' in: " << r.err;
    EXPECT_EQ(r.err.rfind("spop-cli send: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace spop_cli
