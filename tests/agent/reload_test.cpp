// SIGHUP reloads every worker's scripts in place: a changed script is served at once on open
// connections, a broken one is reported and the old one keeps answering, and NOTIFYs flowing during
// reloads all get their ACK. Lua and Python, supervised (-n 2) and in the foreground (-d); PHP refuses a
// reload with a clear error.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

struct Mode {
  std::string suffix;  // ".lua" or ".py"
  bool foreground;     // -d, else -n 2
};

std::string describe(const Mode& m) {
  return std::string(m.suffix == ".lua" ? "Lua" : "Python") + (m.foreground ? "Foreground" : "TwoWorkers");
}
std::string mode_name(const ::testing::TestParamInfo<Mode>& info) { return describe(info.param); }
// For ctest's and gtest's listings (else "40-byte object <80-6B ...>").
void PrintTo(const Mode& m, std::ostream* os) { *os << describe(m); }

class Reload : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    if (!engine_available(GetParam().suffix)) GTEST_SKIP() << "spoa was built without " << GetParam().suffix;
    dir_ = make_temp_dir();
  }
  void TearDown() override {
    agent_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string script_name() const { return "ver" + GetParam().suffix; }

  // A handler that sets txn.v to `value`.
  std::string script(int value) const {
    const std::string v = std::to_string(value);
    if (GetParam().suffix == ".lua") {
      return "spoa.register_message('check-client-ip', function(args)\n"
             "  spoa.set_var_int32('v', spoa.scope.txn, " + v + ")\nend)\n";
    }
    return "import spoa\n\ndef handler(args):\n    spoa.set_var_int32('v', spoa.scope_txn, " + v +
           ")\n\nspoa.register_message('check-client-ip', handler)\n";
  }
  std::string broken() const {
    return GetParam().suffix == ".lua" ? "spoa.register_message(\n  this is not lua\n" : "def broken(:\n    pass\n";
  }

  void start(int value) {
    auto path = put_script(dir_, script_name(), script(value));
    std::vector<std::string> args{"-f", path.string()};
    if (GetParam().foreground) {
      args.insert(args.begin(), "-d");
    } else {
      args.insert(args.begin(), {"-n", "2"});
    }
    agent_ = std::make_unique<AgentProcess>(args);
  }

  int workers() const { return GetParam().foreground ? 1 : 2; }

  // Reloads whose outcome is known: the supervisor's round summary, or the foreground worker's record.
  std::size_t finished_reloads() const {
    const std::string log = agent_->log();
    if (GetParam().foreground) {
      return count_of(log, "reload complete") + count_of(log, "reload failed, keeping old scripts");
    }
    return count_of(log, "reload done:");
  }

  bool reload_and_wait(std::size_t expected_total) {
    agent_->signal(SIGHUP);
    return poll_until([&] { return finished_reloads() >= expected_total; });
  }

  std::optional<std::int64_t> value_of_one_notify(TestClient& c, std::uint64_t sid) {
    if (!c.notify(sid, 1)) return std::nullopt;
    auto ack = c.read_frame();
    if (!ack || ack->header.type != spop::FrameType::ack || ack->header.stream_id != sid) return std::nullopt;
    return ack_int(*ack, "v");
  }

  std::filesystem::path dir_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_P(Reload, ChangedScriptIsServedOnOpenAndNewConnections) {
  start(1);
  ASSERT_TRUE(agent_->ready()) << agent_->log();
  TestClient before(agent_->port());
  ASSERT_TRUE(before.hello());
  EXPECT_EQ(value_of_one_notify(before, 1), 1);

  put_script(dir_, script_name(), script(2));
  ASSERT_TRUE(reload_and_wait(1)) << agent_->log();
  EXPECT_EQ(count_of(agent_->log(), "reload complete"), static_cast<std::size_t>(workers())) << agent_->log();

  EXPECT_EQ(value_of_one_notify(before, 3), 2) << "the connection stays open and gets the new handler";
  for (std::uint64_t i = 0; i < 4; ++i) {  // new connections, spread over the workers
    TestClient fresh(agent_->port());
    ASSERT_TRUE(fresh.hello());
    EXPECT_EQ(value_of_one_notify(fresh, 5 + i), 2);
  }
}

TEST_P(Reload, BrokenScriptIsReportedAndTheOldOneKeepsAnswering) {
  start(1);
  ASSERT_TRUE(agent_->ready()) << agent_->log();
  TestClient c(agent_->port());
  ASSERT_TRUE(c.hello());

  put_script(dir_, script_name(), broken());
  ASSERT_TRUE(reload_and_wait(1)) << agent_->log();
  const std::string log = agent_->log();
  EXPECT_EQ(count_of(log, "reload failed, keeping old scripts"), static_cast<std::size_t>(workers())) << log;
  // One record per worker, naming the file.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("reload failed, keeping old scripts") != std::string::npos) {
      EXPECT_NE(line.find(script_name()), std::string::npos) << line;
    }
  }
  if (!GetParam().foreground) {
    EXPECT_NE(log.find("kept their old scripts"), std::string::npos) << log;
  }

  EXPECT_EQ(value_of_one_notify(c, 1), 1);
  TestClient fresh(agent_->port());
  ASSERT_TRUE(fresh.hello());
  EXPECT_EQ(value_of_one_notify(fresh, 3), 1);
  EXPECT_EQ(agent_->workers().size(), GetParam().foreground ? 0u : 2u) << "no worker died";

  // Fixed again: the next SIGHUP takes it.
  put_script(dir_, script_name(), script(3));
  ASSERT_TRUE(reload_and_wait(2)) << agent_->log();
  EXPECT_EQ(value_of_one_notify(c, 5), 3);
}

// Several clients keep pipelined NOTIFYs flowing while the script is changed and reloaded four times.
TEST_P(Reload, NoNotifyIsLostOrMalformedDuringReloads) {
  start(1);
  ASSERT_TRUE(agent_->ready()) << agent_->log();
  constexpr int clients = 4, batch = 8, last_version = 5;
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::mutex m;
  std::vector<std::string> errors;
  std::vector<std::int64_t> last_seen(clients, 0);
  std::vector<std::uint64_t> sent(clients, 0), acked(clients, 0);

  auto run = [&](int k) {
    auto fail = [&](const std::string& what) {
      std::lock_guard lock(m);
      errors.push_back("client " + std::to_string(k) + ": " + what);
    };
    TestClient c(agent_->port());
    if (!c.hello()) return fail("no hello");
    std::uint64_t next_sid = 1;
    while (!stop) {
      std::vector<std::byte> bytes;
      const std::uint64_t first = next_sid;
      for (int i = 0; i < batch; ++i) {
        auto f = notify_frame(next_sid++, 1);
        bytes.insert(bytes.end(), f.begin(), f.end());
      }
      if (!c.send(bytes)) return fail("send failed");
      sent[static_cast<std::size_t>(k)] += batch;
      std::vector<bool> seen(batch, false);
      for (int i = 0; i < batch; ++i) {
        auto ack = c.read_frame();
        if (!ack) return fail("an ACK is missing");
        if (ack->header.type != spop::FrameType::ack) return fail("not an ACK");
        const auto sid = ack->header.stream_id;
        if (sid < first || sid >= next_sid || seen[sid - first]) {
          return fail("unexpected stream id " + std::to_string(sid));
        }
        seen[sid - first] = true;
        auto v = ack_int(*ack, "v");
        if (!v || *v < 1 || *v > last_version) return fail("ACK without a valid txn.v");
        auto& last = last_seen[static_cast<std::size_t>(k)];
        if (*v < last) return fail("went back from version " + std::to_string(last) + " to " + std::to_string(*v));
        last = *v;
        ++acked[static_cast<std::size_t>(k)];
      }
      ++batches;
    }
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k) threads.emplace_back(run, k);

  for (int version = 2; version <= last_version; ++version) {
    const int before = batches.load();
    // Traffic is flowing before each reload, so that reloads happen between NOTIFYs.
    EXPECT_TRUE(poll_until([&] { return batches.load() >= before + 2 * clients || !errors.empty(); }));
    put_script(dir_, script_name(), script(version));
    EXPECT_TRUE(reload_and_wait(static_cast<std::size_t>(version - 1))) << agent_->log();
  }
  const int after = batches.load();
  EXPECT_TRUE(poll_until([&] { return batches.load() >= after + 4 * clients || !errors.empty(); }));
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_TRUE(errors.empty()) << errors.front() << "\n" << agent_->log();
  for (int k = 0; k < clients; ++k) {
    EXPECT_EQ(acked[static_cast<std::size_t>(k)], sent[static_cast<std::size_t>(k)]) << "client " << k;
    EXPECT_GT(acked[static_cast<std::size_t>(k)], 0u);
  }
  EXPECT_EQ(count_of(agent_->log(), "reload complete"), static_cast<std::size_t>((last_version - 1) * workers()))
      << agent_->log();
  EXPECT_EQ(count_of(agent_->log(), "reload failed"), 0u) << agent_->log();
  EXPECT_EQ(*std::max_element(last_seen.begin(), last_seen.end()), last_version);
}

INSTANTIATE_TEST_SUITE_P(Engines, Reload,
                         ::testing::Values(Mode{".lua", false}, Mode{".lua", true}, Mode{".py", false},
                                           Mode{".py", true}),
                         mode_name);

}  // namespace
}  // namespace spoa::test

namespace spoa::test {
namespace {

// A worker has one PHP runtime, and a reload builds the new scripts beside the old ones: a SIGHUP with a
// PHP script says so, names the remedy, and the worker keeps serving its old scripts.
TEST(ReloadPhp, ARefusedReloadSaysToRestartAndTheOldScriptKeepsAnswering) {
  if (!engine_available(".php")) GTEST_SKIP() << "spoa was built without .php";
  // The script needs no PHP extension; under AddressSanitizer those of Debian's conf.d/ cannot even load
  // (RTLD_DEEPBIND, see tests/php/CMakeLists.txt). The spawned spoa inherits this.
  ::setenv("PHP_INI_SCAN_DIR", "", 1);
  const auto dir = make_temp_dir();
  const auto path = put_script(dir, "ver.php",
                               "<?php\nspoa\\register_message('check-client-ip', function (array $args): void {\n"
                               "    spoa\\set_var_int32('v', spoa\\SCOPE_TXN, 1);\n});\n");
  {
    AgentProcess agent({"-d", "-f", path.string()});
    ASSERT_TRUE(agent.ready()) << agent.log();
    TestClient c(agent.port());
    ASSERT_TRUE(c.hello());
    agent.signal(SIGHUP);
    ASSERT_TRUE(poll_until([&] { return count_of(agent.log(), "reload failed, keeping old scripts") == 1; }))
        << agent.log();
    EXPECT_NE(agent.log().find("PHP scripts cannot be reloaded in a running worker (one PHP runtime per process): "
                               "restart the agent to load changed PHP scripts"),
              std::string::npos)
        << agent.log();
    ASSERT_TRUE(c.notify(1, 1));
    auto ack = c.read_frame();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack_int(*ack, "v"), 1);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spoa::test
