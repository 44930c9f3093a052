// Peers that misbehave or go away at awkward moments: a reader that stops reading (--write-timeout),
// NOTIFYs cut off by a DISCONNECT, what a healthy request logs, and SIGTERM on `spoa -d` with a Python
// script while NOTIFYs are in flight.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <thread>

#include "agent/engines/engine.hpp"
#include "agent/options.hpp"
#include "spop/hello.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

bool engine_built(const std::string& suffix) {
  auto known = known_script_suffixes();
  return std::find(known.begin(), known.end(), suffix) != known.end();
}

// Whether a log holds a connection line: "] c" (the end of the "[w0 1234]" prefix), digits, then ' ' or ':'.
bool has_connection_line(const std::string& log) {
  for (auto at = log.find("] c"); at != std::string::npos; at = log.find("] c", at + 1)) {
    auto end = at + 3;
    while (end < log.size() && std::isdigit(static_cast<unsigned char>(log[end])) != 0) ++end;
    if (end > at + 3 && end < log.size() && (log[end] == ' ' || log[end] == ':')) return true;
  }
  return false;
}

#define REQUIRE_ENGINE(suffix) \
  if (!engine_built(suffix)) GTEST_SKIP() << "spoa was built without the engine for " suffix

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string script(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

std::optional<Options> parse(std::vector<std::string> args) {
  std::vector<const char*> argv{"spoa"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data()).options;
}

TEST(WriteTimeoutOption, DefaultUnitsAndBadValues) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->write_timeout, milliseconds(30'000));
  auto bare = parse({"--write-timeout", "2"});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->write_timeout, milliseconds(2000)) << "a bare number is seconds";
  auto never = parse({"--write-timeout", "0"});
  ASSERT_TRUE(never);
  EXPECT_EQ(never->write_timeout, milliseconds(0));
  ::testing::internal::CaptureStderr();
  auto bad = parse_options(3, std::vector<const char*>{"spoa", "--write-timeout", "soon"}.data());
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(bad.options);
  EXPECT_EQ(bad.exit_status, 1);
  EXPECT_NE(err.find("bad value for --write-timeout: 'soon'"), std::string::npos) << err;
}

// A peer that sends NOTIFYs whose ACKs carry 8 KB each and never reads: the agent's writes stop making
// progress, and after --write-timeout the connection is closed with a warning. Another connection is
// served all along.
TEST_F(Robustness, WriteTimeoutClosesAPeerThatStopsReading) {
  REQUIRE_ENGINE(".lua");
  auto handler = script("big.lua", R"(
local big = string.rep("x", 8000)
spoa.register_message("check-client-ip", function(args) spoa.set_var_str("big", spoa.scope.txn, big) end)
)");
  AgentProcess agent({"-n", "1", "-f", handler, "--write-timeout", "1s"});
  ASSERT_TRUE(agent.ready()) << agent.log();

  TestClient stalled(agent.port());
  ASSERT_TRUE(stalled.hello());
  std::vector<std::byte> batch;
  for (int s = 0; s < 200; ++s) {
    auto n = notify_frame(static_cast<std::uint64_t>(s), 1);
    batch.insert(batch.end(), n.begin(), n.end());
  }
  std::atomic<bool> send_failed{false};
  std::thread writer([&] {
    for (;;) {
      ssize_t n = ::send(stalled.fd(), batch.data(), batch.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        send_failed = true;
        return;
      }
    }
  });

  // Served while the other connection is stuck (or after it was closed: either way, not held up by it).
  TestClient other(agent.port());
  ASSERT_TRUE(other.hello());
  ASSERT_TRUE(other.notify(7, 1));
  auto ack = other.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);

  EXPECT_TRUE(agent.wait_log("write timeout", 20s)) << agent.log();
  // The agent closed the stalled socket: the writer's sends fail (reset, or EPIPE after our close).
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!send_failed && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(send_failed) << "the stalled connection was not closed";
  ::shutdown(stalled.fd(), SHUT_RDWR);
  writer.join();

  ASSERT_TRUE(other.notify(9, 1));
  ack = other.read_frame();
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack->header.stream_id, 9u);
  EXPECT_NE(agent.log().find("[warning]"), std::string::npos) << agent.log();
}

// HAProxy may send a NOTIFY and its DISCONNECT in one write (reload, soft-stop): the NOTIFY cannot be
// answered after our AGENT-DISCONNECT, and that is the peer's doing, not an error of ours.
TEST_F(Robustness, NotifyCutOffByDisconnectIsNotAnError) {
  REQUIRE_ENGINE(".lua");
  auto handler = script("one.lua", R"(
spoa.register_message("check-client-ip", function(args) spoa.set_var_int32("n", spoa.scope.txn, 1) end)
)");
  AgentProcess agent({"-n", "1", "-f", handler, "--log-level", "debug"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  auto bytes = notify_frame(3, 1);
  ASSERT_EQ(spop::write_disconnect(bytes, spop::FrameType::haproxy_disconnect, 0, "normal"), spop::Errc::ok);
  ASSERT_TRUE(c.send(bytes));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, spop::FrameType::agent_disconnect) << "nothing is sent after the DISCONNECT";
  // The call ran on an executor thread; its result came back after the DISCONNECT and is dropped.
  EXPECT_TRUE(agent.wait_log("call result dropped: the connection is closing")) << agent.log();
  EXPECT_EQ(agent.log().find("[error]"), std::string::npos) << agent.log();
}

// At the default level, serving requests, health checks and resets writes no line at all.
TEST_F(Robustness, HealthyTrafficLogsNothingAtInfo) {
  REQUIRE_ENGINE(".lua");
  auto handler = script("one.lua", R"(
spoa.register_message("check-client-ip", function(args) spoa.set_var_int32("n", spoa.scope.txn, 1) end)
)");
  AgentProcess agent({"-n", "1", "-f", handler});
  ASSERT_TRUE(agent.ready()) << agent.log();
  {
    TestClient c(agent.port());
    ASSERT_TRUE(c.hello());
    for (std::uint64_t s = 1; s <= 50; ++s) {
      ASSERT_TRUE(c.notify(s, 1));
      auto ack = c.read_frame();
      ASSERT_TRUE(ack);
      ASSERT_EQ(ack->header.type, spop::FrameType::ack);
    }
    TestClient check(agent.port());
    auto params = TestClient::default_hello();
    params.healthcheck = true;
    ASSERT_TRUE(check.hello(params));
    check.reset();
    TestClient reset(agent.port());
    ASSERT_TRUE(reset.hello());
    ASSERT_TRUE(reset.notify(1, 1));
    reset.reset();
    // A last request on the first connection proves the agent has processed the others' closes.
    ASSERT_TRUE(c.notify(99, 1));
    ASSERT_TRUE(c.read_frame());
  }
  // Connection lines look like "[w0 1234] c17: ..."; none may appear at info.
  EXPECT_FALSE(has_connection_line(agent.log())) << agent.log();
}

// `spoa -d -f script.py`, connections with NOTIFYs in flight, SIGTERM: every NOTIFY already sent is
// answered and the process exits 0 by itself, without the forced-close safety net.
TEST_F(Robustness, ForegroundPythonAgentExitsOnSigtermWithNotifiesInFlight) {
  REQUIRE_ENGINE(".py");
  auto handler = script("slow.py", R"(
import time
import spoa

def check(args):
    time.sleep(0.002)
    spoa.set_var_int32("n", spoa.scope_txn, 1)

spoa.register_message("check-client-ip", check)
)");
  AgentProcess agent({"-d", "-f", handler, "--drain-timeout", "5s"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  constexpr int connections = 4, per_connection = 20;
  std::vector<TestClient> clients;
  for (int i = 0; i < connections; ++i) {
    clients.emplace_back(agent.port());
    ASSERT_TRUE(clients.back().hello());
  }
  for (auto& c : clients) {
    std::vector<std::byte> batch;
    for (int s = 1; s <= per_connection; ++s) {
      auto n = notify_frame(static_cast<std::uint64_t>(s), 1);
      batch.insert(batch.end(), n.begin(), n.end());
    }
    ASSERT_TRUE(c.send(batch));
  }
  // The handler sleeps 2 ms per NOTIFY: the agent is inside Python when the signal comes.
  agent.signal(SIGTERM);
  for (auto& c : clients) {
    int acks = 0;
    std::optional<ReceivedFrame> f;
    while ((f = c.read_frame(10s)) && f->header.type == spop::FrameType::ack) ++acks;
    EXPECT_EQ(acks, per_connection) << agent.log();
    ASSERT_TRUE(f) << agent.log();
    EXPECT_EQ(f->header.type, spop::FrameType::agent_disconnect);
    c.close();
  }
  EXPECT_EQ(agent.wait_exit(15s), 0) << agent.log();
  EXPECT_EQ(agent.log().find("did not close after being forced"), std::string::npos) << agent.log();
  EXPECT_EQ(agent.log().find("drain timeout"), std::string::npos) << agent.log();
}

// Like HAProxy under load: each connection keeps 20 NOTIFYs in flight and sends a new one for every ACK,
// so new NOTIFYs keep arriving while the agent drains. The drain answers what had arrived when it began,
// says goodbye, and the agent exits on its own long before --drain-timeout.
TEST_F(Robustness, DrainEndsWhilePeersKeepSending) {
  REQUIRE_ENGINE(".py");
  auto handler = script("slow.py", R"(
import time
import spoa

def check(args):
    time.sleep(0.001)

spoa.register_message("check-client-ip", check)
)");
  AgentProcess agent({"-d", "-f", handler, "--drain-timeout", "30s"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  constexpr int connections = 4, in_flight = 20;
  std::vector<TestClient> clients;
  for (int i = 0; i < connections; ++i) {
    clients.emplace_back(agent.port());
    ASSERT_TRUE(clients.back().hello());
  }
  std::atomic<int> acks_seen{0};
  std::vector<std::thread> peers;
  std::vector<int> disconnects(connections, 0);
  for (int i = 0; i < connections; ++i) {
    peers.emplace_back([&, i] {
      TestClient& c = clients[static_cast<std::size_t>(i)];
      std::uint64_t sid = 1;
      std::vector<std::byte> batch;
      for (int k = 0; k < in_flight; ++k) {
        auto n = notify_frame(sid++, 1);
        batch.insert(batch.end(), n.begin(), n.end());
      }
      if (!c.send(batch)) return;
      for (;;) {
        auto f = c.read_frame(20s);
        if (!f) return;
        if (f->header.type == spop::FrameType::agent_disconnect) {
          disconnects[static_cast<std::size_t>(i)] = 1;
          return;
        }
        ++acks_seen;
        if (!c.send(notify_frame(sid++, 1))) return;  // the next request, at once
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (acks_seen < 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_GE(acks_seen.load(), 200) << agent.log();
  agent.signal(SIGTERM);
  for (auto& t : peers) t.join();
  EXPECT_EQ(disconnects, std::vector<int>(connections, 1)) << "every connection ends with AGENT-DISCONNECT";
  EXPECT_EQ(agent.wait_exit(40s), 0) << agent.log();
  EXPECT_EQ(agent.log().find("drain timeout"), std::string::npos) << agent.log();
}

}  // namespace
}  // namespace spoa::test
