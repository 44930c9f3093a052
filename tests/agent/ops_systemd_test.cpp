// systemd integration: sd_notify messages reach NOTIFY_SOCKET (READY, WATCHDOG, RELOADING, STOPPING,
// only from the supervisor), and socket activation through systemd-socket-activate serves a NOTIFY.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "tests/agent/agent_process.hpp"
#include "tests/agent/datagram_socket.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

auto contains(const std::string& what) {
  return [what](const std::string& d) { return d.find(what) != std::string::npos; };
}

TEST(Systemd, NotifiesReadyWatchdogReloadingAndStopping) {
  auto dir = make_temp_dir();
  DatagramSocket systemd(dir / "notify");
  ASSERT_TRUE(systemd.bound());
  // The environment systemd gives a Type=notify service with WatchdogSec=200ms (inherited by spoa).
  ::setenv("NOTIFY_SOCKET", systemd.path().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1);
  AgentProcess agent({"-n", "2"});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ASSERT_TRUE(agent.ready()) << agent.log();

  auto ready = systemd.receive_until(contains("READY=1"));
  ASSERT_TRUE(ready) << agent.log();
  EXPECT_NE(ready->find("STATUS=2 worker(s) serving"), std::string::npos) << *ready;
  EXPECT_TRUE(systemd.receive_until(contains("WATCHDOG=1")));

  agent.signal(SIGHUP);
  EXPECT_TRUE(systemd.receive_until(contains("RELOADING=1")));
  EXPECT_TRUE(systemd.receive_until(contains("READY=1")));

  agent.signal(SIGTERM);
  auto stopping = systemd.receive_until(contains("STOPPING=1"));
  ASSERT_TRUE(stopping);
  EXPECT_NE(stopping->find("STATUS=stopping 2 worker(s)"), std::string::npos) << *stopping;
  EXPECT_EQ(agent.wait_exit(20s), 0) << agent.log();
  // Workers drain too, but they have no NOTIFY_SOCKET: only the supervisor speaks for the service.
  while (auto d = systemd.receive(100ms)) EXPECT_EQ(d->find("draining"), std::string::npos) << *d;
  std::filesystem::remove_all(dir);
}

// In the foreground (-d) the only process speaks for the service, reloads included.
TEST(Systemd, AForegroundAgentNotifiesItsReloads) {
  auto dir = make_temp_dir();
  DatagramSocket systemd(dir / "notify");
  ASSERT_TRUE(systemd.bound());
  ::setenv("NOTIFY_SOCKET", systemd.path().c_str(), 1);
  AgentProcess agent({"-d"});
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(agent.ready()) << agent.log();
  ASSERT_TRUE(systemd.receive_until(contains("READY=1"))) << agent.log();
  agent.signal(SIGHUP);
  EXPECT_TRUE(systemd.receive_until(contains("RELOADING=1"))) << agent.log();
  auto ready = systemd.receive_until(contains("READY=1"));
  ASSERT_TRUE(ready) << agent.log();
  EXPECT_NE(ready->find("STATUS=serving the reloaded scripts"), std::string::npos) << *ready;
  agent.signal(SIGTERM);
  EXPECT_TRUE(systemd.receive_until(contains("STOPPING=1")));
  EXPECT_EQ(agent.wait_exit(20s), 0) << agent.log();
}

// systemd-socket-activate (package systemd) listens, and on the first connection execs spoa with
// LISTEN_FDS=1: spoa must serve on that socket instead of binding its own.
class ActivatedAgent {
 public:
  ActivatedAgent(const std::filesystem::path& dir, const std::filesystem::path& socket) : dir_(dir) {
    std::vector<std::string> args{"systemd-socket-activate", "-l", socket.string(), SPOA_BINARY,
                                  "-n", "1", "-p", "1", "--ready-file", (dir / "ready").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      int err = ::open((dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, 1);
      ::dup2(err, 2);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);
  }
  ~ActivatedAgent() {
    if (pid_ <= 0) return;
    ::killpg(pid_, SIGKILL);
    if (!exited_) ::waitpid(pid_, nullptr, 0);
  }
  std::string log() const {
    std::ifstream in(dir_ / "err");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::optional<int> stop() {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      int raw = 0;
      if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(raw) ? std::optional<int>(WEXITSTATUS(raw)) : std::nullopt;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

bool wait_for_file(const std::filesystem::path& p) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(p)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(Systemd, SocketActivationServesOnTheInheritedSocket) {
  if (::access("/usr/bin/systemd-socket-activate", X_OK) != 0) GTEST_SKIP() << "systemd-socket-activate not installed";
  auto dir = make_temp_dir();
  const auto socket = dir / "spoa.sock";
  ActivatedAgent agent(dir, socket);
  ASSERT_TRUE(wait_for_file(socket)) << agent.log();

  // This connection makes systemd-socket-activate start spoa. The socket's file exists from bind(), a
  // moment before listen(): a refused first attempt is tried again.
  std::unique_ptr<TestClient> client;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    client = std::make_unique<TestClient>(socket.string());
    if (client->connected()) break;
    std::this_thread::sleep_for(10ms);
  } while (std::chrono::steady_clock::now() < deadline);
  TestClient& c = *client;
  ASSERT_TRUE(c.connected());
  auto hello = c.hello();
  ASSERT_TRUE(hello) << agent.log();
  EXPECT_EQ(hello->header.type, spop::FrameType::agent_hello);
  ASSERT_TRUE(c.notify(1, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);
  EXPECT_EQ(ack->header.stream_id, 1u);

  ASSERT_TRUE(wait_for_file(dir / "ready"));
  std::ifstream ready(dir / "ready");
  std::string line;
  std::getline(ready, line);
  EXPECT_EQ(line, "unix " + socket.string()) << "-p 1 is ignored: the inherited socket is the only one";
  EXPECT_NE(agent.log().find("using 1 socket(s) passed by systemd"), std::string::npos) << agent.log();
  c.close();
  EXPECT_EQ(agent.stop(), 0) << agent.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spoa::test
