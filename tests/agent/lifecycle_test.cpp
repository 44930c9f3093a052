// Processes and signals: graceful drain on SIGTERM, restart of a killed worker, SIGHUP, and no
// orphan when the supervisor dies.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(Lifecycle, SigtermAnswersEveryNotifySentBeforeIt) {
  AgentProcess agent({"-n", "2"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  constexpr int connections = 6, per_connection = 20;
  std::vector<TestClient> clients;
  for (int i = 0; i < connections; ++i) {
    clients.emplace_back(agent.port());
    ASSERT_TRUE(clients.back().hello());
  }
  // All NOTIFYs are in the agent's socket buffers before the signal; none has been read back.
  for (auto& c : clients) {
    std::vector<std::byte> batch;
    for (int s = 0; s < per_connection; ++s) {
      auto n = notify_frame(static_cast<std::uint64_t>(2 * s + 1), 1);
      batch.insert(batch.end(), n.begin(), n.end());
    }
    ASSERT_TRUE(c.send(batch));
  }
  agent.signal(SIGTERM);
  for (auto& c : clients) {
    std::set<std::uint64_t> acked;
    std::optional<ReceivedFrame> f = c.read_frame();
    while (f && f->header.type == spop::FrameType::ack) {
      acked.insert(f->header.stream_id);
      f = c.read_frame();
    }
    EXPECT_EQ(acked.size(), static_cast<std::size_t>(per_connection));
    ASSERT_TRUE(f) << "the drain ends with AGENT-DISCONNECT";
    ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
    EXPECT_EQ(disconnect_info(*f).status_code, 0u);
    EXPECT_TRUE(c.wait_closed());
  }
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.log();
}

TEST(Lifecycle, SigtermWithIdleConnectionsExitsQuickly) {
  AgentProcess agent({"-n", "3", "--drain-timeout", "5s"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient idle(agent.port());
  ASSERT_TRUE(idle.hello());
  auto start = std::chrono::steady_clock::now();
  agent.signal(SIGTERM);
  auto f = idle.read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "no need to wait for the drain timeout";
}

TEST(Lifecycle, DrainTimeoutForceClosesAStalledPeer) {
  AgentProcess agent({"-n", "1", "--drain-timeout", "300ms"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient stalled(agent.port());
  ASSERT_TRUE(stalled.hello());
  // Send NOTIFYs and never read the ACKs, until the agent is stuck writing ACKs into full socket
  // buffers and so stops reading: our sends then stop making progress.
  std::vector<std::byte> batch;
  for (int s = 0; s < 40000; ++s) {
    auto n = notify_frame(static_cast<std::uint64_t>(s), 1);
    batch.insert(batch.end(), n.begin(), n.end());
  }
  std::atomic<std::size_t> sent{0};
  std::thread writer([&] {
    for (;;) {
      ssize_t n = ::send(stalled.fd(), batch.data(), batch.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  });
  std::size_t last = 0;
  int still = 0;
  for (int i = 0; i < 400 && still < 5; ++i) {
    std::this_thread::sleep_for(50ms);
    std::size_t now = sent.load();
    still = now == last ? still + 1 : 0;
    last = now;
  }
  EXPECT_GE(still, 5) << "the agent never stopped reading";
  auto start = std::chrono::steady_clock::now();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_NE(agent.log().find("drain timeout"), std::string::npos) << agent.log();
  ::shutdown(stalled.fd(), SHUT_RDWR);
  writer.join();
}

TEST(Lifecycle, KilledWorkerIsRestartedAndTheAgentKeepsServing) {
  AgentProcess agent({"-n", "1"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  auto before = agent.workers();
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(::kill(before[0], SIGKILL), 0);
  EXPECT_TRUE(agent.wait_log("SIGKILL")) << agent.log();
  ASSERT_TRUE(eventually([&] {
    auto now = agent.workers();
    return now.size() == 1 && now[0] != before[0];
  })) << agent.log();
  TestClient c(agent.port());  // waits in the backlog until the new worker accepts it
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(3, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);
  EXPECT_NE(agent.log().find("restarting it in"), std::string::npos) << agent.log();
}

TEST(Lifecycle, SighupIsAcceptedWithoutDying) {
  AgentProcess agent({"-n", "1"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  auto workers = agent.workers();
  agent.signal(SIGHUP);
  EXPECT_TRUE(agent.wait_log("reload done")) << agent.log();
  EXPECT_EQ(agent.workers(), workers);
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
}

TEST(Lifecycle, WorkersDoNotOutliveTheSupervisor) {
  AgentProcess agent({"-n", "2"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  auto workers = agent.workers();
  ASSERT_EQ(workers.size(), 2u);
  agent.signal(SIGKILL);
  for (pid_t w : workers) EXPECT_TRUE(eventually([&] { return process_gone(w); })) << "worker " << w;
}

}  // namespace
}  // namespace spoa::test
