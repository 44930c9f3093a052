// The Redis store through Redis Sentinel, against real redis-sentinel processes: finding the master (also
// past a sentinel that is down, and through sentinels that want a password), and the errors when no
// sentinel answers or none knows the master. The failover itself is tested with real agents
// (state_redis_agent_test.cpp).
#include <gtest/gtest.h>

#include <string>

#include "agent/state/redis_store.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa {
namespace {

using std::chrono::milliseconds;
using test::RedisSentinel;
using test::RedisServer;

#define REQUIRE_SENTINEL()                                                                         \
  if (!test::redis_server_available() || !test::redis_sentinel_available())                        \
  GTEST_SKIP() << "redis-server or redis-sentinel is not installed (Debian packages redis-server, redis-sentinel)"

std::string at(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

TEST(RedisSentinelStore, FindsTheMasterPastADeadSentinel) {
  REQUIRE_SENTINEL();
  RedisServer master;
  ASSERT_TRUE(master.running());
  RedisSentinel sentinel(master.port(), "mymaster");
  ASSERT_TRUE(sentinel.running());
  const std::uint16_t dead = test::free_port();
  RedisStore store(test::redis_store_options_for("redis-sentinel://" + at(dead) + "," + at(sentinel.port()) +
                                                 "/mymaster/1"),
                   nullptr);
  EXPECT_EQ(store.describe(), "redis-sentinel mymaster/1");
  EXPECT_FALSE(store.current_server()) << "nothing asked yet";
  const StoreCheck c = store.check();
  EXPECT_EQ(c.verdict, StoreCheck::Verdict::ok) << c.text;
  EXPECT_EQ(c.text, "redis-sentinel mymaster/1: master " + at(master.port()) + ": reachable");
  ASSERT_TRUE(store.current_server());
  EXPECT_EQ(store.current_server()->port, master.port());
  EXPECT_EQ(store.incr("hits", 2, milliseconds{0}), 2);
  RedisStore direct(test::redis_store_options(master.port(), "/1"), nullptr);
  EXPECT_EQ(direct.get("hits"), StateValue::of_integer(2)) << "the data is on the master, db 1";
}

TEST(RedisSentinelStore, PasswordsForTheMasterAndForTheSentinels) {
  REQUIRE_SENTINEL();
  const std::string secret = "sentinel-and-master-pw";
  RedisServer master(test::RedisServerOptions::requiring_password(secret));
  ASSERT_TRUE(master.running());
  // The sentinel itself wants the password too: the store asks without, then with the same credentials.
  RedisSentinel sentinel(master.port(), "mymaster", secret, secret);
  ASSERT_TRUE(sentinel.running());
  auto anonymous = test::redis_command(sentinel.port(), {"SENTINEL", "get-master-addr-by-name", "mymaster"});
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->error_code(), "NOAUTH") << "the sentinel does want a password";
  RedisStore store(test::redis_store_options_for("redis-sentinel://:" + secret + "@" + at(sentinel.port()) + "/mymaster"),
                   nullptr);
  const StoreCheck c = store.check();
  EXPECT_EQ(c.verdict, StoreCheck::Verdict::ok) << c.text;
  store.set("k", StateValue::of_text("v"), milliseconds{0});
  EXPECT_EQ(store.get("k"), StateValue::of_text("v"));
  EXPECT_EQ(c.text.find(secret), std::string::npos);
}

TEST(RedisSentinelStore, AnUnknownMasterIsRefusedAndNoSentinelIsUnreachable) {
  REQUIRE_SENTINEL();
  RedisServer master;
  ASSERT_TRUE(master.running());
  RedisSentinel sentinel(master.port(), "mymaster");
  ASSERT_TRUE(sentinel.running());
  RedisStore unknown(test::redis_store_options_for("redis-sentinel://" + at(sentinel.port()) + "/other"), nullptr);
  const StoreCheck refused = unknown.check();
  EXPECT_EQ(refused.verdict, StoreCheck::Verdict::refused);
  EXPECT_EQ(refused.text, "redis-sentinel other: no sentinel named the master (sentinel " + at(sentinel.port()) +
                              ": does not know a master named 'other')");
  const std::uint16_t a = test::free_port(), b = test::free_port();
  RedisStore nobody(test::redis_store_options_for("redis-sentinel://" + at(a) + "," + at(b) + "/mymaster"), nullptr);
  const StoreCheck unreachable = nobody.check();
  EXPECT_EQ(unreachable.verdict, StoreCheck::Verdict::unreachable);
  EXPECT_EQ(unreachable.text, "redis-sentinel mymaster: no sentinel named the master (sentinel " + at(a) +
                                  ": cannot connect: Connection refused; sentinel " + at(b) +
                                  ": cannot connect: Connection refused)");
  try {
    nobody.get("k");
    ADD_FAILURE() << "no error";
  } catch (const StateError& e) {
    EXPECT_EQ(e.code(), StateErrc::unavailable);
    EXPECT_EQ(std::string(e.what()), unreachable.text);
  }
}

TEST(RedisSentinelStore, AMasterThatIsGoneIsNamedInTheError) {
  REQUIRE_SENTINEL();
  RedisServer master;
  ASSERT_TRUE(master.running());
  RedisSentinel sentinel(master.port(), "mymaster");
  ASSERT_TRUE(sentinel.running());
  const std::uint16_t port = master.port();
  master.kill();  // the sentinel still names it (no replica to promote)
  RedisStore store(test::redis_store_options_for("redis-sentinel://" + at(sentinel.port()) + "/mymaster"), nullptr);
  const StoreCheck c = store.check();
  EXPECT_EQ(c.verdict, StoreCheck::Verdict::unreachable);
  EXPECT_EQ(c.text, "redis-sentinel mymaster: master " + at(port) + ": cannot connect: Connection refused");
}

}  // namespace
}  // namespace spoa
