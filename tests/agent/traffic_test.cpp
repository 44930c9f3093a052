// NOTIFY traffic against the real agent without scripts: ids, pipelining, odd write patterns,
// bad frames, many connections and the connection limit.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <set>

#include "spop/notify_builder.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

class Traffic : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { agent_ = new AgentProcess({"-n", "2"}); }
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(agent_->ready()) << agent_->log(); }

  static TestClient handshaken() {
    TestClient c(agent_->port());
    EXPECT_TRUE(c.connected());
    auto f = c.hello();
    EXPECT_TRUE(f && f->header.type == spop::FrameType::agent_hello);
    return c;
  }

  static void expect_ack(TestClient& c, std::uint64_t sid, std::uint64_t fid) {
    auto f = c.read_frame();
    ASSERT_TRUE(f) << "no ACK for " << sid << "/" << fid;
    EXPECT_EQ(f->header.type, spop::FrameType::ack);
    EXPECT_EQ(f->header.stream_id, sid);
    EXPECT_EQ(f->header.frame_id, fid);
    EXPECT_TRUE(f->header.fin());
    EXPECT_TRUE(f->payload.empty());
  }

  static AgentProcess* agent_;
};

AgentProcess* Traffic::agent_ = nullptr;

TEST_F(Traffic, EmptyAckWithoutScripts) {
  auto c = handshaken();
  spop::Argument args[] = {{"ip", spop::Value::ipv4({{127, 0, 0, 1}})}, {"", spop::Value::int64(-5)}};
  ASSERT_TRUE(c.notify(300, 2, "check-client-ip", args));
  expect_ack(c, 300, 2);
}

TEST_F(Traffic, StreamIdZeroIsANormalStream) {
  auto c = handshaken();
  ASSERT_TRUE(c.notify(0, 1));
  expect_ack(c, 0, 1);
}

TEST_F(Traffic, TwentyPipelinedNotifiesGetTheirOwnIds) {
  auto c = handshaken();
  std::set<std::uint64_t> sent;
  for (std::uint64_t sid = 1; sid < 40; sid += 2) {
    ASSERT_TRUE(c.notify(sid, 1));
    sent.insert(sid);
  }
  std::set<std::uint64_t> acked;
  for (int i = 0; i < 20; ++i) {
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->header.type, spop::FrameType::ack);
    EXPECT_EQ(f->header.frame_id, 1u);
    acked.insert(f->header.stream_id);
  }
  EXPECT_EQ(acked, sent);
}

TEST_F(Traffic, OneByteWrites) {
  TestClient c(agent_->port());
  std::vector<std::byte> all;
  spop::write_haproxy_hello(all, TestClient::default_hello());
  for (std::uint64_t sid = 10; sid < 13; ++sid) {
    auto n = notify_frame(sid, 1);
    all.insert(all.end(), n.begin(), n.end());
  }
  ASSERT_TRUE(c.send(all, 1));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, spop::FrameType::agent_hello);
  for (std::uint64_t sid = 10; sid < 13; ++sid) expect_ack(c, sid, 1);
}

TEST_F(Traffic, ManyFramesInOneWrite) {
  TestClient c(agent_->port());
  std::vector<std::byte> all;
  spop::write_haproxy_hello(all, TestClient::default_hello());
  for (std::uint64_t sid = 0; sid < 200; ++sid) {
    auto n = notify_frame(sid, sid + 1);
    all.insert(all.end(), n.begin(), n.end());
  }
  ASSERT_TRUE(c.send(all));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, spop::FrameType::agent_hello);
  std::set<std::uint64_t> acked;
  for (int i = 0; i < 200; ++i) {
    auto a = c.read_frame();
    ASSERT_TRUE(a) << "after " << i << " ACKs";
    EXPECT_EQ(a->header.frame_id, a->header.stream_id + 1);
    acked.insert(a->header.stream_id);
  }
  EXPECT_EQ(acked.size(), 200u);
}

TEST_F(Traffic, FrameSplitAcrossWritesIsReassembled) {
  auto c = handshaken();
  auto n = notify_frame(77, 3);
  std::span<const std::byte> bytes(n);
  ASSERT_TRUE(c.send(bytes.first(5)));
  EXPECT_FALSE(c.read_frame(100ms)) << "no ACK for half a frame";
  ASSERT_TRUE(c.send(bytes.subspan(5)));
  expect_ack(c, 77, 3);
}

TEST_F(Traffic, UnknownFrameTypeIsIgnored) {
  auto c = handshaken();
  // Type 42 with FIN, ids 1/1 and a 2-byte payload.
  ASSERT_TRUE(c.send(spop::test::hex("00000009 2a 00000001 01 01 abcd")));
  ASSERT_TRUE(c.notify(4, 1));
  expect_ack(c, 4, 1);
}

TEST_F(Traffic, OversizedFrameGetsDisconnect3) {
  auto c = handshaken();
  // LEN 16381 is one above the negotiated 16380: refused as soon as the 4 length bytes arrive.
  ASSERT_TRUE(c.send(spop::test::hex("00003ffd 03 00000001 01 01")));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(disconnect_info(*f).status_code, static_cast<std::uint64_t>(spop::Status::frame_too_big));
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(Traffic, FrameShorterThanItsHeaderGetsDisconnect4) {
  auto c = handshaken();
  ASSERT_TRUE(c.send(spop::test::hex("00000003 03 0000")));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(disconnect_info(*f).status_code, static_cast<std::uint64_t>(spop::Status::invalid_frame));
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(Traffic, MalformedNotifyPayloadGetsDisconnect4) {
  auto c = handshaken();
  // A message name that claims 32 bytes in a 3-byte payload.
  ASSERT_TRUE(c.send(spop::test::hex("0000000a 03 00000001 01 01 20 6162")));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(disconnect_info(*f).status_code, static_cast<std::uint64_t>(spop::Status::invalid_frame));
}

TEST_F(Traffic, TruncatedFrameThenCloseDoesNotDisturbOthers) {
  const auto log_before = agent_->log().size();
  {
    auto c = handshaken();
    auto n = notify_frame(1, 1);
    ASSERT_TRUE(c.send(std::span<const std::byte>(n).first(n.size() - 2)));
  }  // closed mid-frame
  auto other = handshaken();
  ASSERT_TRUE(other.notify(2, 1));
  expect_ack(other, 2, 1);
  auto log = agent_->log().substr(log_before);
  EXPECT_EQ(log.find("[error]"), std::string::npos) << log;
}

TEST_F(Traffic, FiveHundredConcurrentConnections) {
  rlimit rl{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 1200) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  ASSERT_GE(rl.rlim_cur, 600u) << "not enough descriptors for 500 connections";
  std::vector<TestClient> clients;
  std::vector<std::byte> hello;
  spop::write_haproxy_hello(hello, TestClient::default_hello());
  for (int i = 0; i < 500; ++i) {
    clients.emplace_back(agent_->port());
    ASSERT_TRUE(clients.back().connected()) << "connection " << i;
    ASSERT_TRUE(clients.back().send(hello));
  }
  for (auto& c : clients) {
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->header.type, spop::FrameType::agent_hello);
  }
  for (std::size_t i = 0; i < clients.size(); ++i) ASSERT_TRUE(clients[i].notify(i, 1));
  for (std::size_t i = 0; i < clients.size(); ++i) expect_ack(clients[i], i, 1);
}

TEST(TrafficLimits, MaxConnectionsPausesAcceptingUntilOneCloses) {
  AgentProcess agent({"-n", "1", "--max-connections", "2"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  auto first = std::make_unique<TestClient>(agent.port());
  ASSERT_TRUE(first->hello());
  TestClient second(agent.port());
  ASSERT_TRUE(second.hello());
  TestClient third(agent.port());  // the kernel completes the connect; the worker does not accept it
  ASSERT_TRUE(third.connected());
  std::vector<std::byte> hello;
  spop::write_haproxy_hello(hello, TestClient::default_hello());
  ASSERT_TRUE(third.send(hello));
  EXPECT_FALSE(third.read_frame(300ms)) << "the third connection must wait";
  EXPECT_TRUE(agent.wait_log("--max-connections")) << agent.log();
  first.reset();
  auto f = third.read_frame(5s);
  ASSERT_TRUE(f) << "accepted once a slot is free";
  EXPECT_EQ(f->header.type, spop::FrameType::agent_hello);
}

TEST(TrafficLimits, IdleTimeoutAndFrameSizeOptions) {
  AgentProcess agent({"-n", "1", "--idle-timeout", "300ms", "--max-frame-size", "1024"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  auto f = c.hello();  // HAProxy offers 16380; the agent answers its own, smaller limit
  ASSERT_TRUE(f);
  spop::AgentHello h;
  ASSERT_EQ(spop::parse_agent_hello(f->payload, h), spop::Errc::ok);
  EXPECT_EQ(h.max_frame_size, 1024u);
  ASSERT_TRUE(c.notify(1, 1));
  ASSERT_TRUE(c.read_frame());
  auto start = std::chrono::steady_clock::now();
  auto bye = c.read_frame(5s);
  ASSERT_TRUE(bye) << "closed after --idle-timeout without traffic";
  EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(disconnect_info(*bye).status_code, static_cast<std::uint64_t>(spop::Status::timeout));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST(TrafficLimits, NoPipeliningIsNotOffered) {
  AgentProcess agent({"-n", "1", "--no-pipelining", "--no-async"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  auto f = c.hello();
  ASSERT_TRUE(f);
  spop::AgentHello h;
  ASSERT_EQ(spop::parse_agent_hello(f->payload, h), spop::Errc::ok);
  ASSERT_TRUE(h.capabilities);
  EXPECT_FALSE(spop::has_capability(*h.capabilities, "pipelining"));
  EXPECT_FALSE(spop::has_capability(*h.capabilities, "async"));
}

}  // namespace
}  // namespace spoa::test
