// Shared state through the real spoa binary: the workers of one agent share the embedded store (Lua, PHP), and two
// agents share a Redis store; a Redis that dies gives handler errors, the agent keeps answering and
// reconnects once Redis is back.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/state/redis_server.hpp"
#include "tests/state/state_agent_support.hpp"

namespace spoa::test {
namespace {

// Each "count" NOTIFY adds one to the shared counter and answers txn.hits = the new value and
// txn.pid = the worker that served it; "read" answers txn.hits = the current value.
constexpr const char* count_lua = R"LUA(
local pid = tonumber(io.open("/proc/self/stat"):read("*l"):match("^(%d+)"))
spoa.register_message("count", function(args)
  spoa.set_var_int64("hits", spoa.scope.txn, spoa.state_incr("hits"))
  spoa.set_var_int64("pid", spoa.scope.txn, pid)
end)
spoa.register_message("read", function(args)
  spoa.set_var_int64("hits", spoa.scope.txn, spoa.state_get("hits") or 0)
end)
)LUA";

constexpr const char* count_py = R"PY(
import os
import spoa

def count(args):
    spoa.set_var_int64('hits', spoa.scope_txn, spoa.state_incr('hits'))
    spoa.set_var_int64('pid', spoa.scope_txn, os.getpid())

def read(args):
    spoa.set_var_int64('hits', spoa.scope_txn, spoa.state_get('hits') or 0)

spoa.register_message('count', count)
spoa.register_message('read', read)
)PY";

constexpr const char* count_php = R"PHP(<?php
spoa\register_message('count', function (array $args): void {
    spoa\set_var_int64('hits', spoa\SCOPE_TXN, spoa\state_incr('hits'));
    spoa\set_var_int64('pid', spoa\SCOPE_TXN, getmypid());
});
spoa\register_message('read', function (array $args): void {
    spoa\set_var_int64('hits', spoa\SCOPE_TXN, spoa\state_get('hits') ?? 0);
});
)PHP";

std::filesystem::path write_script(const std::filesystem::path& dir, const std::string& name, const char* text) {
  auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

class SharedState : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

/// Two workers of one agent running `script` (answering "count" and "read" as above) share the
/// embedded counter.
void expect_two_workers_share_one_counter(const std::filesystem::path& script) {
  AgentProcess agent({"-n", "2", "--state-size", "1M", "-f", script.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  // New connections until both workers have served some (bounded), and at least 200 in all.
  std::set<std::int64_t> pids;
  std::int64_t sent = 0;
  std::int64_t last = 0;
  while ((pids.size() < 2 || sent < 200) && sent < 5000) {
    auto vars = ask_once(agent.port(), "count");
    ASSERT_TRUE(vars && vars->count("hits") == 1) << agent.log();
    ++sent;
    last = vars->at("hits");
    pids.insert(vars->at("pid"));
  }
  ASSERT_EQ(pids.size(), 2u) << "only one worker served " << sent << " connections";
  EXPECT_EQ(last, sent);  // sequential requests: each saw every earlier increment, whichever worker ran it
  auto total = ask_once(agent.port(), "read");
  ASSERT_TRUE(total);
  EXPECT_EQ(total->at("hits"), sent);
}

TEST_F(SharedState, TwoWorkersShareOneEmbeddedCounter) {
  expect_two_workers_share_one_counter(write_script(dir_, "count.lua", count_lua));
}

TEST_F(SharedState, TwoPhpWorkersShareOneEmbeddedCounter) {
  expect_two_workers_share_one_counter(write_script(dir_, "count.php", count_php));
}

TEST_F(SharedState, TwoAgentsShareARedisCounterAndSurviveARedisOutage) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  auto redis = std::make_unique<RedisServer>();
  ASSERT_TRUE(redis->running());
  const std::uint16_t redis_port = redis->port();
  auto script = write_script(dir_, "count.py", count_py);
  const std::vector<std::string> args{"-n", "1", "--state", redis->url(), "--state-timeout", "500ms",
                                      "-f", script.string()};
  AgentProcess a(args);
  AgentProcess b(args);
  ASSERT_TRUE(a.ready()) << a.log();
  ASSERT_TRUE(b.ready()) << b.log();
  TestClient ca(a.port()), cb(b.port());
  ASSERT_TRUE(ca.hello());
  ASSERT_TRUE(cb.hello());
  constexpr int rounds = 50;
  std::uint64_t sid = 1;
  for (int i = 0; i < rounds; ++i) {
    auto va = ask(ca, sid++, "count");
    auto vb = ask(cb, sid++, "count");
    ASSERT_TRUE(va && va->count("hits")) << a.log();
    ASSERT_TRUE(vb && vb->count("hits")) << b.log();
    EXPECT_EQ(vb->at("hits"), va->at("hits") + 1);
  }
  auto ra = ask(ca, sid++, "read");
  auto rb = ask(cb, sid++, "read");
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->at("hits"), 2 * rounds);
  EXPECT_EQ(rb->at("hits"), 2 * rounds);

  // Redis dies: the handler fails with an error naming the store, the ACK still comes, the agent goes on.
  redis->kill();
  auto during = ask(ca, sid++, "count");
  ASSERT_TRUE(during) << "no ACK while Redis is down\n" << a.log();
  EXPECT_EQ(during->count("hits"), 0u);
  const std::string store = "redis 127.0.0.1:" + std::to_string(redis_port);
  EXPECT_TRUE(a.wait_log("state_incr(): " + store)) << a.log();
  auto still = ask(ca, sid++, "count");  // within the back-off: another clear error, no hang
  ASSERT_TRUE(still) << a.log();
  EXPECT_EQ(still->count("hits"), 0u);

  // Redis is back (empty): the agent reconnects by itself on a later call.
  redis = std::make_unique<RedisServer>(redis_port);
  ASSERT_TRUE(redis->running());
  bool back = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!back && std::chrono::steady_clock::now() < deadline) {
    auto v = ask(ca, sid++, "count");
    ASSERT_TRUE(v) << a.log();
    back = v->count("hits") == 1;
  }
  EXPECT_TRUE(back) << a.log();
  EXPECT_TRUE(a.wait_log(store + ": connected again")) << a.log();
}

}  // namespace
}  // namespace spoa::test
