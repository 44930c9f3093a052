// spoa.state_* on the Redis store from handlers that wait (issue 22): the call suspends the handler
// instead of blocking its thread, calls in flight share one pipelined connection per event loop, errors
// (outage, timeout, bad values) are the blocking calls' errors, the budget and a cancellation end a
// waiting call; the embedded store and places where Lua cannot suspend keep the direct call.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "agent/engines/lua/lua_engine_impl.hpp"
#include "agent/engines/state_counters.hpp"
#include "agent/state/embedded_store.hpp"
#include "agent/state/redis_store.hpp"
#include "tests/lua/lua_test_support.hpp"
#include "tests/lua/waiting_calls.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa::lua::test {
namespace {

using Kind = CallResult::Kind;
using Vars = std::vector<std::string>;
using std::chrono::milliseconds;

#define REQUIRE_WAITING_REDIS() \
  if (!spoa::test::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

class LuaStateWaiting : public LuaEngineTest {
 protected:
  EngineOptions with_redis(std::uint16_t port, milliseconds timeout = milliseconds(0)) {
    auto options = spoa::test::redis_store_options(port);
    if (timeout.count() > 0) options.timeout = timeout;
    store_ = std::make_shared<RedisStore>(options, nullptr);
    store_->count_into(&counters_);
    EngineOptions o;
    o.state = store_;
    return o;
  }

  boost::asio::io_context loop;  // before the store's users: outlives them
  StateCounters counters_;
  std::shared_ptr<RedisStore> store_;
};

constexpr const char* round_trip = R"LUA(
spoa.register_message("m", function(args)
  local id = args[1].value
  spoa.state_set("k" .. id, "v" .. id, 60)
  local got = spoa.state_get("k" .. id)
  local n = spoa.state_incr("hits")
  local existed = spoa.state_del("k" .. id)
  spoa.set_var_str("seen", spoa.scope.txn, got .. "/" .. tostring(existed) .. "/" .. tostring(spoa.state_get("k" .. id)))
  spoa.set_var_int64("n", spoa.scope.txn, n)
end)
)LUA";

TEST_F(LuaStateWaiting, RedisCallsSuspendTheHandlerAndShareOnePipelinedConnection) {
  REQUIRE_WAITING_REDIS();
  spoa::test::RedisServer server;
  ASSERT_TRUE(server.running());
  auto engine = load_script(round_trip, with_redis(server.port()));
  WaitingCalls calls(*engine, loop);
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(std::to_string(i));
  for (const auto& id : ids) {
    const std::vector<spop::Argument> args{{"", spop::Value::string(id)}};
    calls.start("m", args);
  }
  EXPECT_EQ(calls.suspended_count(), 40u) << "every call waits for Redis instead of blocking";
  ASSERT_TRUE(calls.run());
  std::vector<std::int64_t> counts;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(calls.ack(i).result.ok()) << calls.ack(i).result.detail;
    const Vars vars = calls.vars(i);
    ASSERT_EQ(vars.size(), 2u);
    EXPECT_EQ(vars[0], "seen=v" + ids[i] + "/true/nil");
    counts.push_back(std::stoll(vars[1].substr(2)));
  }
  std::sort(counts.begin(), counts.end());
  for (std::size_t i = 0; i < counts.size(); ++i) EXPECT_EQ(counts[i], static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(server.command({"GET", "hits"})->text, "40");
  EXPECT_EQ(counters_.connects.load(), 1u) << "one connection for every call of this loop";
  EXPECT_EQ(counters_.calls[static_cast<std::size_t>(StateOp::get)].load(), 80u);
}

TEST_F(LuaStateWaiting, ErrorsAreTheBlockingCallsErrors) {
  REQUIRE_WAITING_REDIS();
  spoa::test::RedisServer server;
  ASSERT_TRUE(server.running());
  auto engine = load_script(R"LUA(
spoa.register_message("m", function(args)
  spoa.state_set("text", "abc")
  local ok, e = pcall(spoa.state_incr, "text")
  spoa.set_var_str("incr", spoa.scope.txn, e)
  ok, e = pcall(spoa.state_set, "", 1)
  spoa.set_var_str("empty", spoa.scope.txn, e)
  spoa.state_get("text" .. args[1].value)  -- uncaught: ends the handler
end)
)LUA",
                            with_redis(server.port()));
  WaitingCalls calls(*engine, loop);
  const std::vector<spop::Argument> args{{"", spop::Value::string("x")}};
  const auto c = calls.start("m", args);
  ASSERT_TRUE(calls.run());
  EXPECT_TRUE(calls.ack(c).result.ok()) << calls.ack(c).result.detail;
  const Vars vars = calls.vars(c);
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0], "incr=state_incr: redis 127.0.0.1:" + std::to_string(server.port()) +
                         ": value of key 'text' is not an integer");
  EXPECT_EQ(vars[1], "empty=state_set: redis 127.0.0.1:" + std::to_string(server.port()) + ": empty key");
  server.kill();
  const auto lost = calls.start("m", args);
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.ack(lost).result.kind, Kind::script_error);
  EXPECT_TRUE(contains(calls.ack(lost).result.detail, "state_set: redis 127.0.0.1:")) << calls.ack(lost).result.detail;
  EXPECT_EQ(counters_.outages.load(), 1u);
  // Back after the outage: the next call after the back-off reconnects.
  ASSERT_TRUE(server.restart());
  std::size_t again = 0;
  ASSERT_TRUE(calls.run_until([&] {
    again = calls.start("m", args);
    calls.run();
    return calls.ack(again).result.ok();
  }));
  EXPECT_EQ(counters_.unavailable.load(), 0);
}

TEST_F(LuaStateWaiting, AStalledServerTimesOutAndTheBudgetEndsAWaitingCall) {
  REQUIRE_WAITING_REDIS();
  spoa::test::RedisServer server;
  ASSERT_TRUE(server.running());
  EngineOptions options = with_redis(server.port(), milliseconds(100));
  auto engine = load_script(R"LUA(
spoa.register_message("m", function(args)
  spoa.set_var_int32("before", spoa.scope.txn, 1)
  local ok, e = pcall(spoa.state_get, "k")
  spoa.set_var_str("e", spoa.scope.txn, tostring(e))
end)
)LUA",
                            options);
  WaitingCalls calls(*engine, loop);
  // Warm the connection up, then stall the server.
  const auto warm = calls.start("m");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(warm), (Vars{"before=1", "e=nil"}));
  server.pause();
  const auto late = calls.start("m");
  ASSERT_TRUE(calls.run());
  const Vars vars = calls.vars(late);
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_TRUE(contains(vars[1], "state_get: redis 127.0.0.1:")) << vars[1];
  EXPECT_TRUE(contains(vars[1], "no answer within 100 ms (connection dropped)")) << vars[1];
  // A budget shorter than the store's timeout ends the call while it waits.
  auto slow_store = with_redis(server.port(), milliseconds(5000));
  slow_store.call_budget = milliseconds(50);
  auto budgeted = load_script("spoa.register_message('m', function(args) spoa.set_var_int32('before', "
                              "spoa.scope.txn, 1) spoa.state_get('k') end)\n",
                              slow_store);
  WaitingCalls short_calls(*budgeted, loop, milliseconds(50));
  const auto stopped = short_calls.start("m");
  ASSERT_TRUE(short_calls.run());
  EXPECT_EQ(short_calls.ack(stopped).result.kind, Kind::timeout);
  EXPECT_TRUE(contains(short_calls.ack(stopped).result.detail, "time budget of 50 ms exceeded while waiting in state_get"))
      << short_calls.ack(stopped).result.detail;
  EXPECT_EQ(short_calls.vars(stopped), (Vars{"before=1"}));
  // Cancelled while waiting.
  const auto cancelled = short_calls.start("m");
  ASSERT_TRUE(short_calls.waiting(cancelled));
  short_calls.cancel(cancelled);
  EXPECT_EQ(short_calls.ack(cancelled).result.kind, Kind::cancelled);
  server.resume();
}

TEST_F(LuaStateWaiting, TheEmbeddedStoreAndCallbacksWhereLuaCannotSuspendCallDirectly) {
  REQUIRE_WAITING_REDIS();
  spoa::test::RedisServer server;
  ASSERT_TRUE(server.running());
  constexpr const char* script = R"LUA(
spoa.register_message("m", function(args)
  spoa.state_set("k", 5)
  local seen
  string.gsub("x", "x", function() seen = spoa.state_get("k") end)  -- no wait possible: a direct call
  spoa.set_var_int32("seen", spoa.scope.txn, seen)
end)
)LUA";
  auto redis_engine = load_script(script, with_redis(server.port()));
  WaitingCalls redis_calls(*redis_engine, loop);
  const auto on_redis = redis_calls.start("m");
  ASSERT_TRUE(redis_calls.run());
  EXPECT_TRUE(redis_calls.ack(on_redis).result.ok()) << redis_calls.ack(on_redis).result.detail;
  EXPECT_EQ(redis_calls.vars(on_redis), (Vars{"seen=5"}));
  EXPECT_EQ(redis_calls.suspended_count(), 1u) << "state_set waited; state_get in gsub did not";

  EngineOptions embedded;
  embedded.state = std::make_shared<EmbeddedStore>(64 * 1024);
  auto embedded_engine = load_script(script, embedded);
  WaitingCalls embedded_calls(*embedded_engine, loop);
  const auto on_embedded = embedded_calls.start("m");
  ASSERT_TRUE(embedded_calls.finished(on_embedded));
  EXPECT_EQ(embedded_calls.vars(on_embedded), (Vars{"seen=5"}));
  EXPECT_EQ(embedded_calls.suspended_count(), 0u) << "the embedded store never waits";
}

}  // namespace
}  // namespace spoa::lua::test
