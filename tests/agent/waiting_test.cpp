// Lua handlers that wait, with the real binary (issue 22): one executor thread runs many waiting calls
// at once; HAPROXY-DISCONNECT and a closed connection cancel the waiting calls of that connection; the
// budget answers a waiting call with what it set; SIGTERM drains waiting calls (up to --drain-timeout);
// SIGHUP lets a waiting call finish on the old scripts. Calls coordinate through the embedded store, and
// say what happened to them through it (a cancelled call never writes its "finished" key): no timing
// assertions (timeouts are hang guards).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"
#include "spop/value.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace waiting_test {

using namespace std::chrono_literals;

#define REQUIRE_LUA() \
  if (!engine_available(".lua")) GTEST_SKIP() << "spoa was built without the Lua engine"

// "hold" (argument id): sets before=1, notes started_<id> (in the embedded store), then waits
// (spoa.sleep, a few ms at a time) until the file <dir>/go_<id> exists, sets after=<id> and notes
// finished_<id>. "status" (argument id) reports started/finished of call id as variables. The script
// starts with `dir = '<dir>'`.
constexpr const char* holding_lua = R"(
local function exists(path) local f = io.open(path) if f then f:close() end return f ~= nil end
spoa.register_message("hold", function(args)
  local id = args[1].value
  spoa.set_var_int32("before", spoa.scope.txn, 1)
  spoa.state_set("started_" .. id, 1)
  while not exists(dir .. "/go_" .. id) do spoa.sleep(0.005) end
  spoa.set_var_int32("after", spoa.scope.txn, id)
  spoa.state_set("finished_" .. id, 1)
end)
spoa.register_message("status", function(args)
  local id = args[1].value
  spoa.set_var_int32("started", spoa.scope.txn, spoa.state_get("started_" .. id) or 0)
  spoa.set_var_int32("finished", spoa.scope.txn, spoa.state_get("finished_" .. id) or 0)
end)
)";

class Waiting : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string script(const std::string& text = holding_lua) {
    return put_script(dir_, "waiting.lua", "dir = '" + dir_.string() + "'\n" + text).string();
  }

  static bool send(TestClient& c, std::uint64_t sid, const char* message, int id) {
    const spop::Argument arg{"", spop::Value::int32(id)};
    return c.notify(sid, 1, message, std::span<const spop::Argument>(&arg, 1));
  }
  static std::optional<ReceivedFrame> ack_of(TestClient& c) {
    auto f = c.read_frame(20s);
    if (f && f->header.type != spop::FrameType::ack) return std::nullopt;
    return f;
  }
  /// Asks the agent (on a connection of its own) about call `id`: {started, finished}.
  static std::pair<std::int64_t, std::int64_t> status(std::uint16_t port, int id) {
    TestClient c(port);
    if (!c.hello() || !send(c, 1, "status", id)) return {-1, -1};
    auto ack = ack_of(c);
    if (!ack) return {-1, -1};
    return {ack_int(*ack, "started").value_or(-1), ack_int(*ack, "finished").value_or(-1)};
  }
  /// Lets call `id` go on.
  bool release(int id) const { return put_script(dir_, "go_" + std::to_string(id), "go").has_parent_path(); }
  static bool wait_started(std::uint16_t port, int id) {
    return poll_until([&] { return status(port, id).first == 1; }, 20s);
  }

  std::filesystem::path dir_;
};

TEST_F(Waiting, OneExecutorThreadRunsManyWaitingCallsAtOnce) {
  REQUIRE_LUA();
  // One thread, one Lua state: if a waiting call held the thread, the "release" calls could never run.
  AgentProcess agent({"-n", "1", "--threads", "1", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int id = 1; id <= 20; ++id) {
    clients.push_back(std::make_unique<TestClient>(agent.port()));
    ASSERT_TRUE(clients.back()->hello());
    ASSERT_TRUE(send(*clients.back(), 1, "hold", id));
  }
  for (int id = 1; id <= 20; ++id) ASSERT_TRUE(wait_started(agent.port(), id)) << id << "\n" << agent.log();
  for (int id = 20; id >= 1; --id) ASSERT_TRUE(release(id));
  for (int id = 1; id <= 20; ++id) {
    auto ack = ack_of(*clients[static_cast<std::size_t>(id - 1)]);
    ASSERT_TRUE(ack) << id << "\n" << agent.log();
    EXPECT_EQ(ack_int(*ack, "before"), 1);
    EXPECT_EQ(ack_int(*ack, "after"), id) << "each call answers with its own variables";
  }
}

TEST_F(Waiting, DisconnectOrACloseCancelsTheWaitingCallsOfThatConnectionOnly) {
  REQUIRE_LUA();
  AgentProcess agent({"-n", "1", "--threads", "1", "--log-level", "debug", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient disconnecting(agent.port());
  ASSERT_TRUE(disconnecting.hello());
  ASSERT_TRUE(send(disconnecting, 1, "hold", 1));
  TestClient closing(agent.port());
  ASSERT_TRUE(closing.hello());
  ASSERT_TRUE(send(closing, 1, "hold", 2));
  TestClient staying(agent.port());
  ASSERT_TRUE(staying.hello());
  ASSERT_TRUE(send(staying, 1, "hold", 3));
  for (int id = 1; id <= 3; ++id) ASSERT_TRUE(wait_started(agent.port(), id)) << agent.log();

  std::vector<std::byte> bye;
  ASSERT_EQ(spop::write_disconnect(bye, spop::FrameType::haproxy_disconnect, 0, "normal"), spop::Errc::ok);
  ASSERT_TRUE(disconnecting.send(bye));
  auto answer = disconnecting.read_frame(20s);
  ASSERT_TRUE(answer) << agent.log();
  EXPECT_EQ(answer->header.type, spop::FrameType::agent_disconnect);
  closing.close();
  ASSERT_TRUE(agent.wait_log("cancelled while waiting in spoa.sleep", 20s)) << agent.log();
  ASSERT_TRUE(poll_until([&] { return count_of(agent.log(), "cancelled while waiting in spoa.sleep") == 2; }, 20s))
      << agent.log();
  // Released now, the cancelled calls do not go on; the other connection's call does.
  for (int id = 1; id <= 3; ++id) ASSERT_TRUE(release(id));
  auto ack = ack_of(staying);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "after"), 3);
  EXPECT_EQ(status(agent.port(), 1).second, 0) << "cancelled: never finished";
  EXPECT_EQ(status(agent.port(), 2).second, 0) << "cancelled: never finished";
  EXPECT_EQ(status(agent.port(), 3).second, 1);
}

TEST_F(Waiting, TheBudgetAnswersAWaitingCallWithWhatItSet) {
  REQUIRE_LUA();
  AgentProcess agent({"-n", "1", "--threads", "1", "--call-budget", "200ms", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(send(c, 1, "hold", 1));
  auto ack = ack_of(c);  // never released: the budget ends it
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "before"), 1);
  EXPECT_FALSE(ack_int(*ack, "after").has_value());
  EXPECT_TRUE(agent.wait_log("time budget of 200 ms exceeded while waiting in spoa.sleep")) << agent.log();
  // The state is fine afterwards.
  ASSERT_TRUE(release(2));
  ASSERT_TRUE(send(c, 2, "hold", 2));
  auto next = ack_of(c);
  ASSERT_TRUE(next) << agent.log();
  EXPECT_EQ(ack_int(*next, "after"), 2);
}

TEST_F(Waiting, SigtermDrainsWaitingCallsAndTheDrainTimeoutEndsThem) {
  REQUIRE_LUA();
  {
    AgentProcess agent({"-n", "1", "--threads", "1", "-f", script()});
    ASSERT_TRUE(agent.ready()) << agent.log();
    TestClient c(agent.port());
    ASSERT_TRUE(c.hello());
    ASSERT_TRUE(send(c, 1, "hold", 1));
    ASSERT_TRUE(wait_started(agent.port(), 1));
    agent.signal(SIGTERM);
    ASSERT_TRUE(agent.wait_log("draining")) << agent.log();
    ASSERT_TRUE(release(1));
    auto ack = ack_of(c);
    ASSERT_TRUE(ack) << "the waiting call was answered during the drain\n" << agent.log();
    EXPECT_EQ(ack_int(*ack, "after"), 1);
    auto bye = c.read_frame(20s);
    ASSERT_TRUE(bye);
    EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect);
    EXPECT_EQ(agent.wait_exit(20s), 0) << agent.log();
  }
  AgentProcess agent({"-n", "1", "--threads", "1", "--drain-timeout", "300ms", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(send(c, 1, "hold", 2));  // never released
  ASSERT_TRUE(wait_started(agent.port(), 2));
  agent.signal(SIGTERM);
  auto bye = c.read_frame(20s);
  ASSERT_TRUE(bye) << agent.log();
  EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect) << "no ACK: the call was still waiting";
  EXPECT_TRUE(agent.wait_log("drain timeout")) << agent.log();
  EXPECT_EQ(agent.wait_exit(20s), 0) << "a waiting call does not hold the worker up\n" << agent.log();
}

TEST_F(Waiting, SighupLetsAWaitingCallFinishOnTheOldScripts) {
  REQUIRE_LUA();
  const std::string old_version = std::string(holding_lua) +
                                  "spoa.register_message('version', function(args) spoa.set_var_int32('v', spoa.scope.txn, 1) end)\n";
  AgentProcess agent({"-n", "1", "--threads", "1", "-f", script(old_version)});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(send(c, 1, "hold", 1));
  ASSERT_TRUE(wait_started(agent.port(), 1));
  std::string new_version = holding_lua;
  new_version += "spoa.register_message('version', function(args) spoa.set_var_int32('v', spoa.scope.txn, 2) end)\n";
  const auto at = new_version.find("spoa.set_var_int32(\"after\", spoa.scope.txn, id)");
  new_version.replace(at, std::string("spoa.set_var_int32(\"after\", spoa.scope.txn, id)").size(),
                      "spoa.set_var_int32(\"after\", spoa.scope.txn, 100 + id)");
  script(new_version);
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("reload complete")) << agent.log();
  TestClient d(agent.port());
  ASSERT_TRUE(d.hello());
  ASSERT_TRUE(send(d, 1, "version", 0));
  auto v = ack_of(d);
  ASSERT_TRUE(v);
  EXPECT_EQ(ack_int(*v, "v"), 2) << "new calls run on the new scripts";
  ASSERT_TRUE(release(1));
  auto old = ack_of(c);
  ASSERT_TRUE(old) << agent.log();
  EXPECT_EQ(ack_int(*old, "after"), 1) << "the waiting call finished on the old scripts";
}

}  // namespace waiting_test
}  // namespace spoa::test
