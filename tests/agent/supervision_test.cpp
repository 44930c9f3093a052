// Supervision: a worker that keeps dying right after start is restarted with a growing back-off
// (never in a tight loop), each death is logged with its cause, and it recovers once the cause is gone.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <sstream>

#include "agent/options.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

// "2026-01-31 12:00:00.123 ..." -> milliseconds since midnight.
long long stamp_ms(const std::string& line) {
  int h = 0, m = 0, s = 0, ms = 0;
  if (line.size() < 23 || std::sscanf(line.c_str() + 11, "%d:%d:%d.%d", &h, &m, &s, &ms) != 4) return -1;
  return ((h * 60LL + m) * 60 + s) * 1000 + ms;
}

struct Restart {
  long long delay_ms;   // announced back-off
  long long logged_at;  // when it was announced
  std::string cause;
};

TEST(Supervision, CrashingWorkerBacksOffAndRecovers) {
  if (!engine_available(".py")) GTEST_SKIP() << "needs the Python engine";
  auto dir = make_temp_dir();
  const auto marker = dir / "crash";
  // Dies while loading whenever the marker exists: a worker that crashes right after every start.
  auto script = put_script(dir, "crashy.py",
                           "import os, spoa\n"
                           "if os.path.exists(" + std::string("'") + marker.string() + "'):\n"
                           "    os._exit(7)\n"
                           "def h(args):\n    spoa.set_var_int32('v', spoa.scope_txn, 1)\n"
                           "spoa.register_message('check-client-ip', h)\n");
  AgentProcess agent({"-n", "1", "-f", script.string(), "--log-level", "debug", "--restart-backoff", "40ms",
                      "--restart-backoff-max", "320ms", "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  put_script(dir, "crash", "");
  auto first = agent.workers();
  ASSERT_EQ(first.size(), 1u);
  ::kill(first[0], SIGKILL);

  // 40, 80, 160, 320, 320: wait until the cap has been used twice.
  ASSERT_TRUE(poll_until([&] { return count_of(agent.log(), "restarting it in 320 ms") >= 2; }, 20s)) << agent.log();
  std::filesystem::remove(marker);

  std::vector<Restart> restarts;
  std::vector<long long> starts;  // "worker 0 started" after the first kill
  std::istringstream lines(agent.log());
  bool after_kill = false;
  for (std::string line; std::getline(lines, line);) {
    // "... worker 0 <cause> after running N ms; restarting it in D ms"
    const auto who = line.find("worker 0 "), running = line.find(" after running "), in = line.rfind(" in ");
    const bool restart = line.find("restarting it in") != std::string::npos;
    if (who != std::string::npos && running != std::string::npos && restart) {
      after_kill = true;
      restarts.push_back({std::stoll(line.substr(in + 4)), stamp_ms(line), line.substr(who + 9, running - who - 9)});
    } else if (after_kill && line.find("worker 0 started") != std::string::npos) {
      starts.push_back(stamp_ms(line));
    }
  }
  ASSERT_GE(restarts.size(), 5u) << agent.log();
  EXPECT_EQ(restarts[0].cause, "was killed by SIGKILL");
  const long long expected[] = {40, 80, 160, 320, 320};  // doubles, then stays at --restart-backoff-max
  for (std::size_t i = 0; i < restarts.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(restarts[i].cause, "exited with status 7") << "restart " << i;
    }
    if (i < 5) {
      EXPECT_EQ(restarts[i].delay_ms, expected[i]) << "restart " << i;
    }
  }
  // Never sooner than announced: each start comes at least the announced delay after its death
  // (log stamps have millisecond resolution), so a crash loop cannot run faster than the back-off.
  ASSERT_GE(starts.size(), restarts.size() - 1);
  for (std::size_t i = 0; i + 1 < restarts.size(); ++i) {
    EXPECT_GE(starts[i] - restarts[i].logged_at, restarts[i].delay_ms - 1) << "restart " << i << "\n" << agent.log();
  }

  // The cause is gone: the next start succeeds and the agent serves again.
  ASSERT_TRUE(poll_until([&] { return agent.workers().size() == 1 && count_of(agent.log(), "worker 0 ready") >= 2; },
                         10s))
      << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(1, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack_int(*ack, "v"), 1);

  auto text = scrape(metrics_port(agent.log()));
  ASSERT_TRUE(text);
  auto logged = static_cast<double>(count_of(agent.log(), "restarting it in"));
  EXPECT_EQ(sample_value(*text, "spoa_worker_restarts_total"), logged);
  std::filesystem::remove_all(dir);
}

TEST(Supervision, BackoffAndMetricsDefaults) {
  const char* argv[] = {"spoa"};
  auto parsed = parse_options(1, argv);
  ASSERT_TRUE(parsed.options);
  EXPECT_EQ(parsed.options->restart_backoff, 100ms);
  EXPECT_EQ(parsed.options->restart_backoff_max, 10s);
  EXPECT_FALSE(parsed.options->metrics_address) << "metrics are off by default";
  const char* set[] = {"spoa", "--restart-backoff", "25", "--restart-backoff-max", "2s", "--metrics-address",
                       "127.0.0.1:9187"};
  parsed = parse_options(7, set);
  ASSERT_TRUE(parsed.options);
  EXPECT_EQ(parsed.options->restart_backoff, 25ms) << "a bare number is milliseconds";
  EXPECT_EQ(parsed.options->restart_backoff_max, 2s);
  EXPECT_EQ(parsed.options->metrics_address, "127.0.0.1:9187");
}

TEST(Supervision, BackoffOptionsAreChecked) {
  auto r = run_spoa({"--restart-backoff", "0"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("--restart-backoff"), std::string::npos) << r.err;
  r = run_spoa({"--restart-backoff", "2s", "--restart-backoff-max", "1s"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("--restart-backoff-max"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spoa::test
