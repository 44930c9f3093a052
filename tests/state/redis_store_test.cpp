// The Redis store: URL parsing, value encoding, the shared rules against a real redis-server, and failures
// (no server, a server that never answers, a server killed and restarted).
#include "agent/state/redis_store.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "tests/state/redis_server.hpp"

namespace spoa {
namespace {

using std::chrono::milliseconds;
using test::RedisServer;

#define REQUIRE_REDIS()                        \
  if (!test::redis_server_available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)"

struct Logged {
  std::vector<std::pair<LogLevel, std::string>> records;
  LogSink sink() {
    return [this](LogLevel l, std::string_view t) { records.emplace_back(l, std::string(t)); };
  }
  bool contains(std::string_view text) const {
    for (const auto& r : records) {
      if (r.second.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

RedisStoreOptions options_for(std::uint16_t port, int db = 0) {
  RedisStoreOptions o;
  o.address = {"127.0.0.1", port, db};
  o.timeout = milliseconds{500};  // generous: the CI machine is busy; the failure tests set their own
  o.first_backoff = milliseconds{20};
  o.max_backoff = milliseconds{200};
  return o;
}

StateError error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const StateError& e) {
    return e;
  }
  return StateError(StateErrc::bad_key, "no error was thrown");
}

// Polls `condition` until it holds or 10 s pass.
template <typename Condition>
bool eventually(Condition&& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    ::usleep(10'000);
  }
  return false;
}

TEST(RedisUrl, Parses) {
  auto a = parse_redis_url("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  auto b = parse_redis_url("redis://cache.local");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "cache.local");
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 0);
  auto c = parse_redis_url("redis://[::1]:7000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  for (const char* bad : {"", "embedded", "http://x", "redis://", "redis://:6379", "redis://h:", "redis://h:0",
                          "redis://h:65536", "redis://h:12x", "redis://h/x", "redis://h/-1", "redis://[::1",
                          "redis://[::1]x", "redis://user@h"}) {
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
  }
}

TEST(RedisValues, RoundTripAndForeignValues) {
  for (const StateValue& v : {StateValue::of_integer(0), StateValue::of_integer(-9223372036854775807LL - 1),
                              StateValue::of_text("12"), StateValue::of_text(""), StateValue::of_bytes("b\0x")}) {
    EXPECT_EQ(decode_redis_value(encode_redis_value(v)), v);
  }
  EXPECT_EQ(encode_redis_value(StateValue::of_integer(-5)), "-5");
  EXPECT_EQ(encode_redis_value(StateValue::of_text("hi")), "shi");
  EXPECT_EQ(decode_redis_value("hello"), StateValue::of_bytes("hello"));  // written by another program
  EXPECT_EQ(decode_redis_value("007"), StateValue::of_bytes("007"));
}

TEST(RedisStore, FollowsTheSharedRules) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore store(options_for(server.port()), nullptr);
  EXPECT_EQ(store.describe(), "redis 127.0.0.1:" + std::to_string(server.port()));
  EXPECT_FALSE(store.get("missing"));
  store.set("n", StateValue::of_integer(-42), milliseconds{0});
  store.set("t", StateValue::of_text("hello"), milliseconds{0});
  store.set("b", StateValue::of_bytes(std::string("\0\x01", 2)), milliseconds{0});
  EXPECT_EQ(store.get("n"), StateValue::of_integer(-42));
  EXPECT_EQ(store.get("t"), StateValue::of_text("hello"));
  EXPECT_EQ(store.get("b"), StateValue::of_bytes(std::string("\0\x01", 2)));
  EXPECT_TRUE(store.del("t"));
  EXPECT_FALSE(store.del("t"));

  EXPECT_EQ(store.incr("c", 1, milliseconds{0}), 1);
  EXPECT_EQ(store.incr("c", 41, milliseconds{0}), 42);
  store.set("s", StateValue::of_text("12"), milliseconds{0});
  auto not_int = error_of([&] { store.incr("s", 1, milliseconds{0}); });
  EXPECT_EQ(not_int.code(), StateErrc::not_integer);
  EXPECT_EQ(std::string(not_int.what()), store.describe() + ": value of key 's' is not an integer");
  store.set("max", StateValue::of_integer(INT64_MAX), milliseconds{0});
  EXPECT_EQ(error_of([&] { store.incr("max", 1, milliseconds{0}); }).code(), StateErrc::overflow);
  EXPECT_EQ(error_of([&] { store.incr("max", 1, milliseconds{60'000}); }).code(), StateErrc::overflow);
  EXPECT_EQ(store.get("max"), StateValue::of_integer(INT64_MAX));
  EXPECT_EQ(error_of([&] { store.set(std::string(251, 'k'), StateValue::of_integer(1), milliseconds{0}); }).code(),
            StateErrc::bad_key);
  EXPECT_EQ(error_of([&] { store.set("v", StateValue::of_bytes(std::string(1001, 'v')), milliseconds{0}); }).code(),
            StateErrc::bad_value);
}

TEST(RedisStore, TtlExpiresAndIncrKeepsTheFirstDeadline) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore store(options_for(server.port()), nullptr);
  store.set("long", StateValue::of_text("x"), milliseconds{600'000});
  EXPECT_TRUE(store.get("long"));
  store.set("short", StateValue::of_text("x"), milliseconds{30});
  EXPECT_TRUE(eventually([&] { return !store.get("short"); }));
  EXPECT_EQ(store.incr("w", 1, milliseconds{30}), 1);
  EXPECT_TRUE(eventually([&] { return !store.get("w"); }));  // the counter's window ends
  // A later incr with a TTL does not extend an existing deadline (checked through PTTL semantics: the long
  // key set with 600 s keeps it, so it is still there even though incr asked for 1 ms).
  store.set("kept", StateValue::of_integer(1), milliseconds{600'000});
  EXPECT_EQ(store.incr("kept", 1, milliseconds{1}), 2);
  ::usleep(20'000);
  EXPECT_EQ(store.get("kept"), StateValue::of_integer(2));
}

TEST(RedisStore, DatabaseNumberSelectsTheDatabase) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore db0(options_for(server.port(), 0), nullptr);
  RedisStore db3(options_for(server.port(), 3), nullptr);
  EXPECT_EQ(db3.describe(), "redis 127.0.0.1:" + std::to_string(server.port()) + "/3");
  db3.set("k", StateValue::of_integer(3), milliseconds{0});
  EXPECT_FALSE(db0.get("k"));
  EXPECT_EQ(db3.get("k"), StateValue::of_integer(3));
}

TEST(RedisStore, NoServerIsAClearErrorWithBackoff) {
  const std::uint16_t port = test::free_port();
  Logged logged;
  RedisStore store(options_for(port), logged.sink());
  auto first = error_of([&] { store.get("k"); });
  EXPECT_EQ(first.code(), StateErrc::unavailable);
  const std::string name = "redis 127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(std::string(first.what()).rfind(name + ": cannot connect: ", 0), 0u) << first.what();
  // Within the back-off no new connection is tried: the error says when the next attempt is.
  auto second = error_of([&] { store.incr("k", 1, milliseconds{0}); });
  EXPECT_EQ(second.code(), StateErrc::unavailable);
  EXPECT_NE(std::string(second.what()).find("next attempt in"), std::string::npos) << second.what();
  EXPECT_TRUE(logged.contains(name + ": cannot connect"));
}

TEST(RedisStore, ServerThatNeverAnswersTimesOut) {
  // A listening socket that nobody serves: the connection succeeds (kernel backlog), the command never
  // gets an answer.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto o = options_for(ntohs(a.sin_port));
  o.timeout = milliseconds{50};
  Logged logged;
  RedisStore store(o, logged.sink());
  auto e = error_of([&] { store.incr("k", 1, milliseconds{0}); });
  ::close(fd);
  EXPECT_EQ(e.code(), StateErrc::unavailable);
  EXPECT_NE(std::string(e.what()).find("no answer within 50 ms"), std::string::npos) << e.what();
  EXPECT_TRUE(logged.contains("no answer within 50 ms"));
}

TEST(RedisStore, ReconnectsAfterTheServerComesBack) {
  REQUIRE_REDIS();
  auto server = std::make_unique<RedisServer>();
  ASSERT_TRUE(server->running());
  const std::uint16_t port = server->port();
  Logged logged;
  RedisStore store(options_for(port), logged.sink());
  EXPECT_EQ(store.incr("c", 1, milliseconds{0}), 1);
  server->kill();
  auto lost = error_of([&] { store.incr("c", 1, milliseconds{0}); });
  EXPECT_EQ(lost.code(), StateErrc::unavailable);
  EXPECT_NE(std::string(lost.what()).find("connection lost"), std::string::npos) << lost.what();
  EXPECT_TRUE(logged.contains("state calls fail until it is back"));
  server = std::make_unique<RedisServer>(port);
  ASSERT_TRUE(server->running());
  // The data went with the old server; the store reconnects by itself once the back-off has passed.
  EXPECT_TRUE(eventually([&] {
    try {
      return store.incr("c", 1, milliseconds{0}) == 1;
    } catch (const StateError&) {
      return false;
    }
  }));
  EXPECT_TRUE(logged.contains("connected again"));
}

}  // namespace
}  // namespace spoa
