// Handshakes against the real agent: captured HAProxy HELLOs, refused HELLOs, health checks,
// HAProxy's DISCONNECT and the hello timeout.
#include <gtest/gtest.h>

#include "spop/hello.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

class Handshake : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    agent_ = new AgentProcess({"-n", "1", "--hello-timeout", "300ms"});
  }
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(agent_->ready()) << agent_->log(); }

  // Sends `hello` bytes and expects an AGENT-DISCONNECT with `status`, then the close.
  static void expect_refused(std::span<const std::byte> hello, spop::Status status) {
    TestClient c(agent_->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(hello));
    auto f = c.read_frame();
    ASSERT_TRUE(f) << "no answer to the HELLO";
    ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
    auto info = disconnect_info(*f);
    ASSERT_TRUE(info.status_code);
    EXPECT_EQ(*info.status_code, static_cast<std::uint64_t>(status)) << info.message;
    EXPECT_TRUE(c.wait_closed());
  }

  static std::vector<std::byte> hello_with(const spop::HaproxyHelloParams& p) {
    std::vector<std::byte> out;
    EXPECT_EQ(spop::write_haproxy_hello(out, p), spop::Errc::ok);
    return out;
  }

  static AgentProcess* agent_;
};

AgentProcess* Handshake::agent_ = nullptr;

spop::AgentHello parse_hello(const ReceivedFrame& f) {
  spop::AgentHello h;
  EXPECT_EQ(spop::parse_agent_hello(f.payload, h), spop::Errc::ok);
  return h;
}

TEST_F(Handshake, CapturedHaproxy26Hello) {
  TestClient c(agent_->port());
  ASSERT_TRUE(c.send(spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"))));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_hello);
  EXPECT_EQ(f->header.stream_id, 0u);
  EXPECT_EQ(f->header.frame_id, 0u);
  auto h = parse_hello(*f);
  EXPECT_EQ(h.version, "2.0");
  EXPECT_EQ(h.max_frame_size, 16380u);
  ASSERT_TRUE(h.capabilities);
  EXPECT_TRUE(spop::has_capability(*h.capabilities, "pipelining"));
  EXPECT_FALSE(spop::has_capability(*h.capabilities, "fragmentation"));
  // The capture's NOTIFY (stream-id 0, frame-id 1) gets its ACK.
  ASSERT_TRUE(c.send(spop::test::read_file(spop::test::capture("haproxy-2.6/notify-simple.bin"))));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);
  EXPECT_EQ(ack->header.stream_id, 0u);
  EXPECT_EQ(ack->header.frame_id, 1u);
  EXPECT_TRUE(ack->payload.empty()) << "no script: empty ACK";
}

TEST_F(Handshake, CapturedHaproxy32Hello) {
  TestClient c(agent_->port());
  ASSERT_TRUE(c.send(spop::test::read_file(spop::test::capture("haproxy-3.2/hello.bin"))));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_hello);
  auto h = parse_hello(*f);
  EXPECT_EQ(h.version, "2.0");
  ASSERT_TRUE(h.capabilities);
  EXPECT_EQ(*h.capabilities, "pipelining") << "3.x offers only pipelining";
  for (const char* name : {"haproxy-3.2/notify-sid1.bin", "haproxy-3.2/notify-sid3.bin"}) {
    ASSERT_TRUE(c.send(spop::test::read_file(spop::test::capture(name))));
  }
  for (std::uint64_t sid : {1u, 3u}) {
    auto ack = c.read_frame();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->header.type, spop::FrameType::ack);
    EXPECT_EQ(ack->header.stream_id, sid);
    EXPECT_EQ(ack->header.frame_id, 1u);
  }
}

TEST_F(Handshake, SmallerFrameSizeIsNegotiated) {
  TestClient c(agent_->port());
  auto p = TestClient::default_hello();
  p.max_frame_size = 1024;
  auto f = c.hello(p);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_hello);
  EXPECT_EQ(parse_hello(*f).max_frame_size, 1024u);
}

TEST_F(Handshake, UnsupportedVersionIsRefusedWith8) {
  auto p = TestClient::default_hello();
  p.supported_versions = "1.0";
  expect_refused(hello_with(p), spop::Status::unsupported_version);
}

TEST_F(Handshake, MissingVersionIsRefusedWith5) {
  // supported-versions left out: only max-frame-size and capabilities.
  auto bytes = spop::test::hex(
      "00000033 01 00000001 00 00"
      "0e 6d61782d6672616d652d73697a65 03 fcf006"
      "0c 6361706162696c6974696573 08 0a 706970656c696e696e67");
  expect_refused(bytes, spop::Status::no_version);
}

TEST_F(Handshake, MissingMaxFrameSizeIsRefusedWith6) {
  auto bytes = spop::test::hex(
      "00000038 01 00000001 00 00"
      "12 737570706f727465642d76657273696f6e73 08 03 322e30"
      "0c 6361706162696c6974696573 08 0a 706970656c696e696e67");
  expect_refused(bytes, spop::Status::no_max_frame_size);
}

TEST_F(Handshake, FrameSize255IsRefusedWith9) {
  auto p = TestClient::default_hello();
  p.max_frame_size = 255;
  expect_refused(hello_with(p), spop::Status::bad_max_frame_size);
}

TEST_F(Handshake, NotifyBeforeHelloIsRefusedWith4) {
  expect_refused(notify_frame(1, 1), spop::Status::invalid_frame);
}

TEST_F(Handshake, HealthCheckThenResetKeepsTheAgentServing) {
  const auto log_before = agent_->log().size();  // the suite's agent logged other tests' errors
  for (int i = 0; i < 3; ++i) {
    TestClient check(agent_->port());
    auto p = TestClient::default_hello();
    p.capabilities = "";
    p.engine_id = "";
    p.healthcheck = true;
    auto f = check.hello(p);
    ASSERT_TRUE(f);
    ASSERT_EQ(f->header.type, spop::FrameType::agent_hello);
    check.reset();  // what HAProxy does right after reading the reply
  }
  TestClient c(agent_->port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(5, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.stream_id, 5u);
  auto log = agent_->log().substr(log_before);
  EXPECT_EQ(log.find("[error]"), std::string::npos) << log;
  EXPECT_EQ(log.find("[warning]"), std::string::npos) << log;
}

TEST_F(Handshake, HaproxyDisconnectIsAnsweredWithAgentDisconnect) {
  TestClient c(agent_->port());
  ASSERT_TRUE(c.hello());
  std::vector<std::byte> bye;
  ASSERT_EQ(spop::write_disconnect(bye, spop::FrameType::haproxy_disconnect, 0, "normal"), spop::Errc::ok);
  ASSERT_TRUE(c.send(bye));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  auto info = disconnect_info(*f);
  EXPECT_EQ(info.status_code, 0u);
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(Handshake, SilentPeerIsClosedByHelloTimeoutWhileOthersAreServed) {
  TestClient silent(agent_->port());
  ASSERT_TRUE(silent.connected());
  auto start = std::chrono::steady_clock::now();
  // Meanwhile another connection on the same (only) worker is served at once.
  TestClient c(agent_->port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(9, 1));
  auto ack = c.read_frame(2s);
  ASSERT_TRUE(ack) << "served while the silent peer waits";
  auto f = silent.read_frame(5s);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(disconnect_info(*f).status_code, static_cast<std::uint64_t>(spop::Status::timeout));
  EXPECT_TRUE(silent.wait_closed());
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 5s);
}

}  // namespace
}  // namespace spoa::test
