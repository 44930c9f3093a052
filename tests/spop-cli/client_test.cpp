#include "spop-cli/client.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "spop/hello.hpp"
#include "tests/spop-cli/fake_agent.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using namespace std::chrono_literals;
using test::AgentSide;
using test::FakeAgent;

ClientOptions quick(std::chrono::milliseconds timeout = 2000ms) {
  ClientOptions o;
  o.timeout = timeout;
  o.haproxy.var_prefix = "iprep";
  return o;
}

Endpoint local(const FakeAgent& agent) {
  Endpoint e;
  e.port = agent.port();
  return e;
}

TEST(Client, HandshakeNotifyAckAndPoliteClose) {
  FakeAgent agent(test::echo_script("pipelining,async"));
  Client client(local(agent), quick());
  ASSERT_FALSE(client.connect());
  EXPECT_EQ(client.handshake().version, "2.0");
  EXPECT_EQ(client.handshake().max_frame_size, 16380u);
  EXPECT_TRUE(client.handshake().pipelining);
  EXPECT_TRUE(client.handshake().async);

  const spop::Argument args[] = {{"ip", spop::Value::int32(-7)}};
  const spop::NotifyMessage msg{"check-client-ip", args};
  spop::NotifyIds ids;
  ASSERT_FALSE(client.send({&msg, 1}, ids));
  AckResult ack;
  ASSERT_FALSE(client.wait_ack(ack));
  EXPECT_EQ(ack.stream_id, ids.stream_id);
  ASSERT_EQ(ack.actions.size(), 1u);
  EXPECT_EQ(ack.actions[0].variable, "txn.iprep.ip");
  EXPECT_EQ(ack.actions[0].value.view(), spop::Value::int32(-7));
  client.close();

  // The agent saw HELLO (with an engine-id, as 2.6 sends), NOTIFY and a HAPROXY-DISCONNECT.
  const auto frames = agent.frames();
  ASSERT_EQ(frames.size(), 3u);
  spop::HaproxyHello hello;
  ASSERT_EQ(spop::parse_haproxy_hello(std::span(frames[0]).subspan(11), hello), spop::Errc::ok);
  EXPECT_EQ(hello.engine_id.size(), 36u);
  EXPECT_EQ(test::frame_type(frames[1]), 3);
  EXPECT_EQ(test::frame_type(frames[2]), 2);
}

TEST(Client, HealthCheckSendsTheCheckHello) {
  FakeAgent agent([](AgentSide& side) {
    if (!side.read_frame()) return;
    side.send(test::agent_hello(""));
    side.wait_close();
  });
  ClientOptions o = quick();
  o.haproxy.healthcheck = true;
  Client client(local(agent), o);
  ASSERT_FALSE(client.connect());
  EXPECT_TRUE(client.handshake().healthcheck);
  const auto frames = agent.frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], spop::test::read_file(spop::test::capture("haproxy-2.6/hello-healthcheck.bin")));
}

TEST(Client, RefusedConnection) {
  Endpoint e;
  e.port = test::unused_port();
  Client client(e, quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::refused);
  EXPECT_EQ(f->message, "cannot connect to 127.0.0.1:" + std::to_string(e.port) + ": connection refused");
  EXPECT_EQ(exit_code(*f), 3);
}

TEST(Client, MissingUnixSocket) {
  Endpoint e;
  e.unix_path = "/nonexistent/spoa.sock";
  Client client(e, quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::refused);
  EXPECT_EQ(f->message, "cannot connect to unix:/nonexistent/spoa.sock: no such socket file");
}

TEST(Client, UnknownHost) {
  Endpoint e;
  e.host = "no-such-host.invalid";
  Client client(e, quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::resolve);
  EXPECT_NE(f->message.find("cannot resolve host 'no-such-host.invalid'"), std::string::npos);
}

TEST(Client, TimeoutWaitingForTheHello) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.wait_close();  // never answers
  });
  Client client(local(agent), quick(150ms));
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::timeout);
  EXPECT_EQ(f->message, "no answer from the agent within 150 ms (waiting for AGENT-HELLO)");
  EXPECT_EQ(exit_code(*f), 3);
}

TEST(Client, AgentDisconnectsWithAStatus) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_disconnect(8, "unsupported version"));
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::disconnected);
  EXPECT_EQ(f->status, spop::Status::unsupported_version);
  EXPECT_EQ(f->agent_message, "unsupported version");
  EXPECT_EQ(f->message, "the agent disconnected with status 8 \"unsupported version\"");
  EXPECT_EQ(exit_code(*f), 2);
}

TEST(Client, AgentDisconnectMessageDiffersFromTheStatusText) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_disconnect(13, "out of workers"));
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "the agent disconnected with status 13 \"out of workers\" (resource allocation error)");
}

TEST(Client, AgentClosesWithoutAnswer) {
  FakeAgent agent([](AgentSide& side) { side.read_frame(); });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::closed);
  EXPECT_EQ(f->message, "the agent closed the connection without sending AGENT-DISCONNECT");
}

TEST(Client, AgentResetsTheConnection) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.reset();
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::closed);
  EXPECT_EQ(f->message, "the agent reset the connection");
}

TEST(Client, MalformedHelloNamesTheByte) {
  // AGENT-HELLO whose "version" string claims 5 bytes where 2 remain.
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send_hex("00 00 00 13 65 00 00 00 01 00 00 07 76 65 72 73 69 6f 6e 08 05 32 2e");
    side.wait_close();
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::protocol);
  EXPECT_EQ(f->status, spop::Status::invalid_frame);
  EXPECT_EQ(f->offset, 19u);
  EXPECT_EQ(f->message.rfind("malformed reply from the agent at byte 19: value of 'version' runs past the end "
                             "of the frame (4 bytes left)",
                             0),
            0u)
      << f->message;
  EXPECT_NE(f->message.find("HAProxy would disconnect with status 4 \"invalid frame received\""), std::string::npos);
}

TEST(Client, UnsupportedVersionIsAProtocolError) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello("", 16380, "1.0"));
    side.wait_close();
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::protocol);
  EXPECT_EQ(f->status, spop::Status::unsupported_version);
  EXPECT_EQ(f->offset, 0u);
  EXPECT_NE(f->message.find("status 8 \"unsupported version\""), std::string::npos);
  EXPECT_NE(f->message.find("in the frame at byte 0"), std::string::npos);
  // HAProxy's answer to a bad AGENT-HELLO, which the agent must see: HAPROXY-DISCONNECT 8.
  const auto frames = agent.frames();
  ASSERT_EQ(frames.size(), 1u);  // the script stopped reading; the DISCONNECT went out on the socket
}

TEST(Client, OversizedFrameLengthIsReported) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send_hex("00 01 00 00 65 00 00 00 01 00 00");  // LEN 65536 > 16380
    side.wait_close();
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::protocol);
  EXPECT_EQ(f->status, spop::Status::frame_too_big);
  EXPECT_EQ(f->offset, 0u);
}

TEST(Client, TextReplyHintsAtTheWrongServer) {
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send_hex("48 54 54 50 2f 31 2e 31 20 34 30 30 0d 0a");  // "HTTP/1.1 400\r\n"
    side.wait_close();
  });
  Client client(local(agent), quick());
  const auto f = client.connect();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailureKind::protocol);
  EXPECT_EQ(f->message,
            "malformed reply from the agent in the frame at byte 0 (frame length above max-frame-size: "
            "1213486160); HAProxy would disconnect with status 3 \"frame is too big\"; the reply starts "
            "with the text \"HTTP\": is this a SPOP agent?");
}

TEST(Client, PipelinedNotifiesAndOutOfOrderAcks) {
  // The agent collects three NOTIFYs and answers them in reverse order.
  FakeAgent agent([](AgentSide& side) {
    side.read_frame();
    side.send(test::agent_hello("pipelining"));
    std::vector<std::vector<std::byte>> notifies;
    for (int i = 0; i < 3; ++i) notifies.push_back(*side.read_frame());
    for (int i = 2; i >= 0; --i) side.send(test::echo_ack(notifies[static_cast<std::size_t>(i)]));
    side.wait_close();
  });
  ClientOptions o = quick();
  o.haproxy.max_in_flight = 3;
  Client client(local(agent), o);
  ASSERT_FALSE(client.connect());
  const spop::NotifyMessage msg{"m", {}};
  std::vector<std::uint64_t> sent;
  while (client.can_send()) {
    spop::NotifyIds ids;
    ASSERT_FALSE(client.send({&msg, 1}, ids));
    sent.push_back(ids.stream_id);
  }
  ASSERT_EQ(sent.size(), 3u);
  std::vector<std::uint64_t> acked;
  for (int i = 0; i < 3; ++i) {
    AckResult ack;
    ASSERT_FALSE(client.wait_ack(ack));
    acked.push_back(ack.stream_id);
  }
  EXPECT_EQ(acked, (std::vector<std::uint64_t>{sent[2], sent[1], sent[0]}));
}

TEST(Client, TraceDumpsEveryFrame) {
  FakeAgent agent(test::echo_script());
  std::ostringstream trace;
  ClientOptions o = quick();
  o.trace = &trace;
  Client client(local(agent), o);
  ASSERT_FALSE(client.connect());
  client.close();
  const std::string t = trace.str();
  EXPECT_NE(t.find("haproxy -> agent: HAPROXY-HELLO stream-id=0 frame-id=0"), std::string::npos) << t;
  EXPECT_NE(t.find("agent -> haproxy: AGENT-HELLO stream-id=0 frame-id=0 len=64 flags=FIN"), std::string::npos);
  EXPECT_NE(t.find("0000: 00 00 00 40 65 00 00 00 01 00 00 07 76 65 72 73  ...@e.......vers"), std::string::npos);
  EXPECT_NE(t.find("haproxy -> agent: HAPROXY-DISCONNECT"), std::string::npos);
  EXPECT_NE(t.find("agent -> haproxy: AGENT-DISCONNECT"), std::string::npos);
}

TEST(Client, ProfilesParse) {
  EXPECT_EQ(parse_profile("2.6"), spop::HaproxyProfile::v2_6);
  EXPECT_EQ(parse_profile("3.1"), spop::HaproxyProfile::v3_1);
  EXPECT_EQ(parse_profile("3.2"), spop::HaproxyProfile::v3_1);
  EXPECT_FALSE(parse_profile("1.8"));
}

}  // namespace
}  // namespace spop_cli
