// Real agents on a real Redis, set up as in production: faults under load (Redis stopped, killed and
// started again, stalled) with exact counts of what the ACKs said against what Redis holds, one log line per
// outage and one on recovery, the failure counters in the metrics; passwords that never show (logs,
// --check, ps, metrics) and a wrong one that stops start-up; and a Sentinel failover the agents follow.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/state/redis_server.hpp"
#include "tests/state/state_agent_support.hpp"

namespace spoa::test {
namespace {

using std::chrono::seconds;

#define REQUIRE_REDIS()                        \
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)"

// "count" adds one to the shared counter and answers txn.hits; a store error fails the handler (uncaught).
constexpr const char* count_lua = R"LUA(
spoa.register_message("count", function(args)
  spoa.set_var_int64("hits", spoa.scope.txn, spoa.state_incr("hits"))
end)
)LUA";

std::string cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

std::int64_t raw_counter(const RedisServer& server, const std::string& key) {
  auto r = server.command({"GET", key});
  return r && r->type == resp::Reply::Type::bulk ? std::stoll(r->text) : -1;
}

class RedisAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!engine_available(".lua")) GTEST_SKIP() << "spoa was built without Lua";
    dir_ = make_temp_dir();
    script_ = put_script(dir_, "count.lua", count_lua).string();
  }

  /// Metrics text once the counters agree with `condition` (bounded), for exact comparisons.
  template <typename Condition>
  std::string metrics_when(const AgentProcess& agent, Condition&& condition) {
    const std::uint16_t port = metrics_port(agent.log());
    std::string text;
    poll_until([&] {
      auto s = scrape(port);
      if (s) text = *s;
      return s && condition(*s);
    });
    return text;
  }

  /// Load until `condition` holds (bounded); false (with the counts) when it never did.
  template <typename Condition>
  static bool load_until(Condition&& condition) {
    return poll_until(std::forward<Condition>(condition), seconds(20));
  }

  std::filesystem::path dir_;
  std::string script_;
};

// Redis stopped cleanly, then killed, each time started again on its data, under load from four clients.
TEST_F(RedisAgent, OutagesUnderLoadLoseNothingAndCountEverything) {
  REQUIRE_REDIS();
  RedisServerOptions o;
  o.persistent = true;  // acknowledged increments survive, so that they can be counted afterwards
  RedisServer redis(o);
  ASSERT_TRUE(redis.running());
  const std::string store = "redis 127.0.0.1:" + std::to_string(redis.port());
  AgentProcess agent({"-n", "2", "--state", redis.url(), "--state-prefix", "it:", "--state-timeout", "500ms",
                      "--metrics-address", "127.0.0.1:0", "-f", script_});
  ASSERT_TRUE(agent.ready()) << agent.log();
  CountingLoad load({agent.port()}, 4, "count", "hits");

  std::uint64_t mark = 0;
  ASSERT_TRUE(load_until([&] { return load.ok() >= 200; })) << agent.log();
  for (const bool crash : {false, true}) {
    crash ? redis.kill() : redis.stop();
    mark = load.failed();
    ASSERT_TRUE(load_until([&] { return load.failed() >= mark + 40; })) << "no failed calls during the outage";
    ASSERT_TRUE(redis.restart());
    mark = load.ok();
    ASSERT_TRUE(load_until([&] { return load.ok() >= mark + 200; })) << agent.log();
  }
  load.stop();

  EXPECT_EQ(load.missing(), 0u) << "every NOTIFY got its ACK, outage or not\n" << agent.log();
  // What the ACKs said was applied against what Redis holds: none lost, none applied twice. An
  // increment whose answer the outage swallowed may be in Redis without an ACK saying so: at most one
  // per call in progress and outage (handlers run side by side on executor threads, but the 4 clients
  // have one NOTIFY in flight each; a failed call is never sent again).
  const std::int64_t held = raw_counter(redis, "it:hits");
  const auto acked = static_cast<std::int64_t>(load.ok());
  EXPECT_GE(held, acked);
  EXPECT_LE(held, acked + 4 * 2);
  const auto values = load.values();
  EXPECT_EQ(std::set<std::int64_t>(values.begin(), values.end()).size(), values.size())
      << "two ACKs carried the same count";

  // Logs: one line per outage and worker when it begins, one when it ends; not one per call.
  const std::string log = agent.log();
  const std::size_t began = count_of(log, "state calls fail until it is back");
  const std::size_t ended = count_of(log, store + ": connected again after");
  EXPECT_GE(began, 2u) << log;
  EXPECT_LE(began, 4u) << "two outages, two workers";
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("state calls fail until it is back") == std::string::npos) continue;
    // The outage as the worker first met it: its connection broke, or (an executor thread that had none
    // open yet, each having its own) the first connect was refused.
    const bool lost = line.find(": " + store + ": connection lost: ") != std::string::npos;
    const bool refused = line.find(": " + store + ": cannot connect: ") != std::string::npos;
    EXPECT_TRUE(lost || refused) << line;
    EXPECT_NE(line.find("[error]"), std::string::npos) << line;
  }
  EXPECT_EQ(ended, began) << log;
  EXPECT_GE(load.failed(), 80u);
  EXPECT_NE(log.find("state_incr: " + store + ": "), std::string::npos) << "script errors name the store";

  // Metrics: every failed call counted, every call counted, one outage per line logged.
  const std::string text = metrics_when(agent, [&](const std::string& s) {
    return sample_value(s, "spoa_state_calls_total{operation=\"incr\"}") == static_cast<double>(load.ok() + load.failed());
  });
  auto v = [&](const std::string& series) { return sample_value(text, series).value_or(-1); };
  EXPECT_EQ(v("spoa_state_calls_total{operation=\"incr\"}"), static_cast<double>(load.ok() + load.failed())) << text;
  EXPECT_EQ(v("spoa_state_errors_total{reason=\"unavailable\"}") + v("spoa_state_errors_total{reason=\"timeout\"}"),
            static_cast<double>(load.failed()));
  EXPECT_EQ(v("spoa_state_outages_total"), static_cast<double>(began));
  EXPECT_EQ(v("spoa_state_unavailable"), 0);
  EXPECT_GE(v("spoa_state_connects_total{result=\"failed\"}"), 0);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"count\",reason=\"script_error\"}"), static_cast<double>(load.failed()));
}

TEST_F(RedisAgent, AStallLongerThanTheTimeoutFailsCallsAndPasses) {
  REQUIRE_REDIS();
  RedisServer redis;
  ASSERT_TRUE(redis.running());
  const std::string store = "redis 127.0.0.1:" + std::to_string(redis.port());
  AgentProcess agent({"-n", "2", "--state", redis.url(), "--state-timeout", "100ms", "-f", script_});
  ASSERT_TRUE(agent.ready()) << agent.log();
  CountingLoad load({agent.port()}, 4, "count", "hits");
  ASSERT_TRUE(load_until([&] { return load.ok() >= 100; }));
  redis.pause();
  const std::uint64_t mark = load.failed();
  ASSERT_TRUE(load_until([&] { return load.failed() >= mark + 20; }));
  redis.resume();
  const std::uint64_t resumed = load.ok();
  ASSERT_TRUE(load_until([&] { return load.ok() >= resumed + 100; })) << agent.log();
  load.stop();
  EXPECT_EQ(load.missing(), 0u);
  const std::string log = agent.log();
  EXPECT_NE(log.find("state_incr: " + store + ": no answer within 100 ms (connection dropped)"), std::string::npos)
      << log;
  EXPECT_EQ(count_of(log, "state calls fail until it is back"), count_of(log, store + ": connected again after"));
  // Increments sent before the stall and timed out may be applied once Redis runs again: never twice.
  const std::int64_t held = raw_counter(redis, "hits");
  EXPECT_GE(held, static_cast<std::int64_t>(load.ok()));
  EXPECT_LE(held, static_cast<std::int64_t>(load.ok() + load.failed()));
}

TEST_F(RedisAgent, APasswordNeverShows) {
  REQUIRE_REDIS();
  const std::string secret = "Pw-only-in-the-file-7Qx";
  RedisServer redis(RedisServerOptions::requiring_password(secret));
  ASSERT_TRUE(redis.running());
  const std::string file = (dir_ / "redis.pass").string();
  std::ofstream(file) << secret << "\n";
  // A generous --state-timeout (the default 50 ms is for production): a loaded machine must not fail calls.
  const std::vector<std::string> args{"-n", "2", "--state", redis.url(), "--state-password-file", file,
                                      "--state-timeout", "2s", "--metrics-address", "127.0.0.1:0", "--log-level", "debug", "-f", script_};
  AgentProcess agent(args);
  ASSERT_TRUE(agent.ready()) << agent.log();
  for (int i = 1; i <= 5; ++i) {
    auto vars = ask_once(agent.port(), "count");
    ASSERT_TRUE(vars && vars->count("hits")) << agent.log();
  }
  const std::string text = metrics_when(agent, [](const std::string& s) {
    return sample_value(s, "spoa_state_calls_total{operation=\"incr\"}") == 5;
  });
  EXPECT_EQ(sample_value(text, "spoa_state_calls_total{operation=\"incr\"}"), 5) << text;
  EXPECT_EQ(text.find(secret), std::string::npos);
  EXPECT_EQ(agent.log().find(secret), std::string::npos) << agent.log();
  EXPECT_NE(agent.log().find("shared state: redis 127.0.0.1:"), std::string::npos);
  std::vector<pid_t> pids = agent.workers();
  pids.push_back(agent.pid());
  for (pid_t p : pids) EXPECT_EQ(cmdline_of(p).find(secret), std::string::npos) << cmdline_of(p);

  std::vector<std::string> check = args;
  check.push_back("--check");
  const RunResult checked = run_spoa(check);
  EXPECT_EQ(checked.exit_status, 0) << checked.err;
  EXPECT_NE(checked.out.find("state:           redis 127.0.0.1:" + std::to_string(redis.port()) +
                             ": reachable, password accepted (timeout 2000 ms, password from " + file + ")"),
            std::string::npos)
      << checked.out;
  EXPECT_EQ((checked.out + checked.err).find(secret), std::string::npos);
}

TEST_F(RedisAgent, APasswordInTheUrlIsHiddenFromPs) {
  REQUIRE_REDIS();
  const std::string secret = "Url-pw-9Kd";
  RedisServer redis(RedisServerOptions::requiring_password(secret));
  ASSERT_TRUE(redis.running());
  AgentProcess agent({"-n", "1", "--state", "redis://:" + secret + "@127.0.0.1:" + std::to_string(redis.port()),
                      "--state-timeout", "2s", "-f", script_});
  ASSERT_TRUE(agent.ready()) << agent.log();
  auto vars = ask_once(agent.port(), "count");
  ASSERT_TRUE(vars && vars->count("hits")) << agent.log();
  const std::string cmdline = cmdline_of(agent.pid());
  EXPECT_EQ(cmdline.find(secret), std::string::npos) << cmdline;
  EXPECT_NE(cmdline.find("redis://:" + std::string(secret.size(), '*') + "@127.0.0.1:"), std::string::npos) << cmdline;
  EXPECT_EQ(agent.log().find(secret), std::string::npos);
}

TEST_F(RedisAgent, AWrongPasswordStopsStartUpWithAClearMessage) {
  REQUIRE_REDIS();
  RedisServer redis(RedisServerOptions::requiring_password("the-right-one"));
  ASSERT_TRUE(redis.running());
  const std::string file = (dir_ / "wrong.pass").string();
  std::ofstream(file) << "Wrong-pw-3Jz\n";
  const std::string store = "redis 127.0.0.1:" + std::to_string(redis.port());
  const std::string refused =
      store + ": authentication failed: WRONGPASS invalid username-password pair or user is disabled.";
  std::vector<std::string> args{"-n", "2", "-p", "0", "--address", "127.0.0.1", "--state", redis.url(),
                                "--state-password-file", file, "-f", script_};
  const RunResult started = run_spoa(args);
  EXPECT_EQ(started.exit_status, 1) << started.err;
  EXPECT_NE(started.err.find("cannot use the shared state store: " + refused), std::string::npos) << started.err;
  EXPECT_EQ(started.err.find("worker"), std::string::npos) << "no worker was started (no crash loop)\n" << started.err;
  args.push_back("--check");
  const RunResult checked = run_spoa(args);
  EXPECT_EQ(checked.exit_status, 1);
  EXPECT_NE(checked.err.find("spoa: check failed: shared state store: " + refused), std::string::npos) << checked.err;
  EXPECT_EQ((started.err + started.out + checked.err + checked.out).find("Wrong-pw-3Jz"), std::string::npos);
}

TEST_F(RedisAgent, AnUnreachableRedisAtStartUpIsAWarningAndTheAgentConnectsLater) {
  REQUIRE_REDIS();
  const std::uint16_t port = free_port();
  const RunResult checked = run_spoa({"--check", "--state", "redis://127.0.0.1:" + std::to_string(port),
                                      "--state-prefix", "app:", "-f", script_});
  EXPECT_EQ(checked.exit_status, 0) << checked.err;
  EXPECT_NE(checked.out.find("state:           redis 127.0.0.1:" + std::to_string(port) +
                             ": cannot connect: Connection refused (timeout 50 ms), key prefix 'app:'; NOT reachable "
                             "now (the agent would start and retry)\n"),
            std::string::npos)
      << checked.out;
  AgentProcess agent({"-n", "1", "--state", "redis://127.0.0.1:" + std::to_string(port), "-f", script_});
  ASSERT_TRUE(agent.ready()) << agent.log();
  EXPECT_TRUE(agent.wait_log("starting anyway: state calls fail until it is reachable")) << agent.log();
  auto before = ask_once(agent.port(), "count");
  ASSERT_TRUE(before) << agent.log();
  EXPECT_EQ(before->count("hits"), 0u);
  RedisServer redis(port);
  ASSERT_TRUE(redis.running());
  EXPECT_TRUE(poll_until([&] {
    auto v = ask_once(agent.port(), "count");
    return v && v->count("hits") == 1;
  }, seconds(20))) << agent.log();
}

// Sentinel: fields of one entry of SENTINEL replicas/sentinels (a flat list of names and values).
std::string field(const resp::Reply& entry, std::string_view name) {
  for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
    if (entry.elements[i].text == name) return entry.elements[i + 1].text;
  }
  return {};
}

// Ready for a failover: the sentinel sees the replica up and the two other sentinels.
bool sentinel_ready(const RedisSentinel& s) {
  auto replicas = s.command({"SENTINEL", "replicas", "mymaster"});
  auto others = s.command({"SENTINEL", "sentinels", "mymaster"});
  if (!replicas || !others || replicas->elements.size() != 1 || others->elements.size() != 2) return false;
  const std::string flags = field(replicas->elements[0], "flags");
  return flags == "slave" && field(replicas->elements[0], "master-link-status") == "ok";
}

TEST_F(RedisAgent, AgentsFollowASentinelFailover) {
  REQUIRE_REDIS();
  if (!redis_sentinel_available()) GTEST_SKIP() << "redis-sentinel is not installed (Debian package redis-sentinel)";
  RedisServer master;
  ASSERT_TRUE(master.running());
  RedisServerOptions ro;
  ro.args = {"--replicaof", "127.0.0.1", std::to_string(master.port())};
  RedisServer replica(ro);
  ASSERT_TRUE(replica.running());
  std::vector<std::unique_ptr<RedisSentinel>> sentinels;
  std::string url = "redis-sentinel://";
  for (int i = 0; i < 3; ++i) {
    sentinels.push_back(std::make_unique<RedisSentinel>(master.port(), "mymaster"));
    ASSERT_TRUE(sentinels.back()->running());
    url += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(sentinels.back()->port());
  }
  url += "/mymaster";
  ASSERT_TRUE(poll_until([&] {
    return std::all_of(sentinels.begin(), sentinels.end(), [](const auto& s) { return sentinel_ready(*s); });
  }, seconds(30))) << "the sentinels did not discover each other and the replica";

  AgentProcess a({"-n", "1", "--state", url, "--state-timeout", "500ms", "--metrics-address", "127.0.0.1:0",
                  "-f", script_});
  AgentProcess b({"-n", "1", "--state", url, "--state-timeout", "500ms", "-f", script_});
  ASSERT_TRUE(a.ready()) << a.log();
  ASSERT_TRUE(b.ready()) << b.log();
  EXPECT_NE(a.log().find("shared state: redis-sentinel mymaster: master 127.0.0.1:" + std::to_string(master.port())),
            std::string::npos)
      << a.log();
  std::int64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    auto va = ask_once(a.port(), "count");
    auto vb = ask_once(b.port(), "count");
    ASSERT_TRUE(va && va->count("hits") && vb && vb->count("hits")) << a.log() << b.log();
    last = vb->at("hits");
  }
  EXPECT_EQ(last, 100);
  // Wait until the replica holds every increment, so that the count goes on exactly after the failover.
  ASSERT_TRUE(poll_until([&] { return raw_counter(replica, "hits") == last; }));

  const auto killed = std::chrono::steady_clock::now();
  master.kill();
  std::optional<std::chrono::milliseconds> took;
  ASSERT_TRUE(poll_until([&] {
    auto va = ask_once(a.port(), "count");
    if (!va || !va->count("hits")) return false;
    took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
    last = va->at("hits");
    return true;
  }, seconds(60))) << a.log();
  EXPECT_EQ(last, 101) << "the count goes on from the replica's copy";
  ASSERT_TRUE(poll_until([&] {
    auto vb = ask_once(b.port(), "count");
    return vb && vb->count("hits") && vb->at("hits") == 102;
  }, seconds(30))) << b.log();
  EXPECT_EQ(raw_counter(replica, "hits"), 102) << "the replica is the master now";
  const std::string promoted = "127.0.0.1:" + std::to_string(replica.port());
  EXPECT_TRUE(a.wait_log("the sentinels name " + promoted + " as the master now")) << a.log();
  EXPECT_TRUE(b.wait_log("the sentinels name " + promoted + " as the master now")) << b.log();
  const std::string text = metrics_when(a, [](const std::string& s) {
    return sample_value(s, "spoa_state_failovers_total") == 1;
  });
  EXPECT_EQ(sample_value(text, "spoa_state_failovers_total"), 1) << text;
  std::cout << "[ info ] the agent served increments again " << took->count() << " ms after the master was killed\n";
}

}  // namespace
}  // namespace spoa::test
