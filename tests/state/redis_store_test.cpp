// The Redis store against real redis-server processes: the shared rules, TTLs, databases, the key prefix,
// passwords and ACL users, unix sockets, the start-up check, failures (no server, a server that never
// answers, one that stalls, one killed and started again), and several threads calling at once, also
// through an outage.
#include "agent/state/redis_store.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/state/redis_server.hpp"
#include "tests/state/state_error_of.hpp"

namespace spoa {
namespace {

using std::chrono::milliseconds;
using test::RedisServer;
using test::redis_store_options;
using test::error_of;

#define REQUIRE_REDIS()                        \
  if (!test::redis_server_available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)"

// Log records, from any thread.
struct Logged {
  std::mutex mutex;
  std::vector<std::pair<LogLevel, std::string>> records;
  LogSink sink() {
    return [this](LogLevel l, std::string_view t) {
      std::lock_guard lock(mutex);
      records.emplace_back(l, std::string(t));
    };
  }
  std::size_t count(std::string_view text) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count_if(records.begin(), records.end(), [&](const auto& r) {
      return r.second.find(text) != std::string::npos;
    }));
  }
  bool contains(std::string_view text) { return count(text) > 0; }
};

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

bool incr_works(SharedStore& store, const std::string& key) {
  try {
    store.incr(key, 1, milliseconds{0});
    return true;
  } catch (const StateError&) {
    return false;
  }
}

std::string raw_get(const RedisServer& server, std::string_view key) {
  auto r = server.command({"GET", key});
  if (!r) return "(no answer)";
  return r->type == resp::Reply::Type::nil ? "(nil)" : r->text;
}

TEST(RedisStore, FollowsTheSharedRules) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore store(redis_store_options(server.port()), nullptr);
  EXPECT_EQ(store.describe(), "redis 127.0.0.1:" + std::to_string(server.port()));
  EXPECT_FALSE(store.get("missing"));
  store.set("n", StateValue::of_integer(-42), milliseconds{0});
  store.set("t", StateValue::of_text("hello"), milliseconds{0});
  store.set("b", StateValue::of_bytes(std::string("\0\x01", 2)), milliseconds{0});
  EXPECT_EQ(store.get("n"), StateValue::of_integer(-42));
  EXPECT_EQ(store.get("t"), StateValue::of_text("hello"));
  EXPECT_EQ(store.get("b"), StateValue::of_bytes(std::string("\0\x01", 2)));
  EXPECT_EQ(raw_get(server, "n"), "-42") << "integers are plain decimal text in Redis";
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
  RedisStore store(redis_store_options(server.port()), nullptr);
  store.set("long", StateValue::of_text("x"), milliseconds{600'000});
  EXPECT_TRUE(store.get("long"));
  store.set("short", StateValue::of_text("x"), milliseconds{30});
  EXPECT_TRUE(eventually([&] { return !store.get("short"); }));
  EXPECT_EQ(store.incr("w", 1, milliseconds{30}), 1);
  EXPECT_TRUE(eventually([&] { return !store.get("w"); }));  // the counter's window ends
  // A later incr with a TTL does not shorten an existing deadline.
  store.set("kept", StateValue::of_integer(1), milliseconds{600'000});
  EXPECT_EQ(store.incr("kept", 1, milliseconds{1}), 2);
  auto pttl = server.command({"PTTL", "kept"});
  ASSERT_TRUE(pttl);
  EXPECT_GT(pttl->integer, 500'000);
}

TEST(RedisStore, DatabaseNumberSelectsTheDatabase) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore db0(redis_store_options(server.port()), nullptr);
  RedisStore db3(redis_store_options(server.port(), "/3"), nullptr);
  EXPECT_EQ(db3.describe(), "redis 127.0.0.1:" + std::to_string(server.port()) + "/3");
  db3.set("k", StateValue::of_integer(3), milliseconds{0});
  EXPECT_FALSE(db0.get("k"));
  EXPECT_EQ(db3.get("k"), StateValue::of_integer(3));
}

TEST(RedisStore, KeyPrefixAppliesToEveryOperation) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore store(redis_store_options(server.port()), nullptr);
  store.set_key_prefix("app:");
  store.set("k", StateValue::of_text("v"), milliseconds{0});
  EXPECT_EQ(raw_get(server, "app:k"), "sv");
  EXPECT_EQ(raw_get(server, "k"), "(nil)");
  EXPECT_EQ(store.get("k"), StateValue::of_text("v"));
  EXPECT_EQ(store.incr("n", 5, milliseconds{0}), 5);
  EXPECT_EQ(store.incr("w", 1, milliseconds{60'000}), 1);
  EXPECT_EQ(raw_get(server, "app:n"), "5");
  EXPECT_EQ(raw_get(server, "app:w"), "1");
  // Errors name the key as the script gave it.
  EXPECT_STREQ(error_of([&] { store.incr("k", 1, milliseconds{0}); }).what(),
               (store.describe() + ": value of key 'k' is not an integer").c_str());
  // The limits are the script's: a 250-byte key is fine whatever the prefix.
  store.set(std::string(250, 'x'), StateValue::of_integer(1), milliseconds{0});
  EXPECT_EQ(raw_get(server, "app:" + std::string(250, 'x')), "1");
  EXPECT_TRUE(store.del("k"));
  EXPECT_EQ(raw_get(server, "app:k"), "(nil)");
  EXPECT_THROW(store.set_key_prefix(std::string(65, 'p')), std::invalid_argument);
}

TEST(RedisStore, PasswordsAndAclUsers) {
  REQUIRE_REDIS();
  const std::string secret = "pw-Zq81-not-in-any-message";
  RedisServer server(test::RedisServerOptions::requiring_password(secret));
  ASSERT_TRUE(server.running());
  const std::string port = std::to_string(server.port());
  const std::string name = "redis 127.0.0.1:" + port;

  RedisStore anonymous(redis_store_options(server.port()), nullptr);
  const StoreCheck needs = anonymous.check();
  EXPECT_EQ(needs.verdict, StoreCheck::Verdict::refused);
  EXPECT_EQ(needs.text, name + ": the server requires a password (NOAUTH Authentication required.): give it in "
                               "the URL or with --state-password-file");
  auto e = error_of([&] { anonymous.get("k"); });
  EXPECT_EQ(e.code(), StateErrc::unavailable);
  EXPECT_NE(std::string(e.what()).find("requires a password"), std::string::npos) << e.what();

  RedisStore wrong(test::redis_store_options_for("redis://:not-it@127.0.0.1:" + port), nullptr);
  const StoreCheck refused = wrong.check();
  EXPECT_EQ(refused.verdict, StoreCheck::Verdict::refused);
  EXPECT_EQ(refused.text,
            name + ": authentication failed: WRONGPASS invalid username-password pair or user is disabled.");

  RedisStore right(test::redis_store_options_for("redis://:" + secret + "@127.0.0.1:" + port), nullptr);
  const StoreCheck ok = right.check();
  EXPECT_EQ(ok.verdict, StoreCheck::Verdict::ok);
  EXPECT_EQ(ok.text, name + ": reachable, password accepted");
  right.set("k", StateValue::of_integer(1), milliseconds{0});
  EXPECT_EQ(right.get("k"), StateValue::of_integer(1));

  // An ACL user with the commands the README lists, that may only touch keys under "app:": with the
  // prefix every operation works, without it Redis says no.
  auto setuser = server.command({"ACL", "SETUSER", "spoa", "on", ">user-pw", "~app:*", "+get", "+set", "+incrby",
                                 "+del", "+eval", "+pttl", "+pexpire", "+ping"});
  ASSERT_TRUE(setuser && setuser->type == resp::Reply::Type::status) << (setuser ? setuser->text : "no answer");
  RedisStore user(test::redis_store_options_for("redis://spoa:user-pw@127.0.0.1:" + port), nullptr);
  EXPECT_EQ(user.check().text, name + ": reachable, logged in as 'spoa'");
  user.set_key_prefix("app:");
  EXPECT_EQ(user.incr("hits", 1, milliseconds{60'000}), 1);
  EXPECT_EQ(user.incr("hits", 1, milliseconds{0}), 2);
  user.set("k", StateValue::of_text("v"), milliseconds{1000});
  EXPECT_EQ(user.get("k"), StateValue::of_text("v"));
  EXPECT_TRUE(user.del("k"));
  EXPECT_EQ(server.command({"GET", "app:hits"})->text, "2");
  user.set_key_prefix("");
  auto denied = error_of([&] { user.set("hits", StateValue::of_integer(1), milliseconds{0}); });
  EXPECT_EQ(denied.code(), StateErrc::unavailable);
  EXPECT_NE(std::string(denied.what()).find("NOPERM"), std::string::npos) << denied.what();
  for (const StoreCheck& c : {needs, refused, ok}) EXPECT_EQ(c.text.find(secret), std::string::npos) << c.text;
}

TEST(RedisStore, UnixSocketWithADatabase) {
  REQUIRE_REDIS();
  test::RedisServerOptions o;
  o.unix_socket = true;
  RedisServer server(o);
  ASSERT_TRUE(server.running());
  RedisStore store(test::redis_store_options_for("unix://" + server.unix_path().string() + "?db=2"), nullptr);
  EXPECT_EQ(store.describe(), "redis unix:" + server.unix_path().string() + "/2");
  EXPECT_EQ(store.check().verdict, StoreCheck::Verdict::ok);
  store.set("k", StateValue::of_text("over the socket"), milliseconds{0});
  RedisStore tcp_db2(redis_store_options(server.port(), "/2"), nullptr);
  EXPECT_EQ(tcp_db2.get("k"), StateValue::of_text("over the socket"));
  EXPECT_EQ(raw_get(server, "k"), "(nil)") << "db 0 has nothing";

  RedisStore missing(test::redis_store_options_for("unix://" + server.unix_path().string() + ".nope"), nullptr);
  const StoreCheck c = missing.check();
  EXPECT_EQ(c.verdict, StoreCheck::Verdict::unreachable);
  EXPECT_EQ(c.text, missing.describe() + ": cannot connect: No such file or directory");
}

TEST(RedisStore, NoServerIsAClearErrorWithBackoff) {
  const std::uint16_t port = test::free_port();
  Logged logged;
  RedisStore store(redis_store_options(port), logged.sink());
  const std::string name = "redis 127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(store.check().verdict, StoreCheck::Verdict::unreachable);
  auto first = error_of([&] { store.get("k"); });
  EXPECT_EQ(first.code(), StateErrc::unavailable);
  EXPECT_EQ(std::string(first.what()), name + ": cannot connect: Connection refused");
  // Within the back-off no new connection is tried: the error says when the next attempt is.
  auto second = error_of([&] { store.incr("k", 1, milliseconds{0}); });
  EXPECT_EQ(second.code(), StateErrc::unavailable);
  EXPECT_EQ(std::string(second.what()).rfind(name + ": unavailable (cannot connect: Connection refused; next attempt in ", 0), 0u)
      << second.what();
  EXPECT_EQ(logged.count(name + ": cannot connect: Connection refused; state calls fail until it is back"), 1u);
}

TEST(RedisStore, ServerThatNeverAnswersTimesOut) {
  // A listening socket that nobody serves: the connection succeeds (kernel backlog), the set-up never
  // gets an answer.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto o = redis_store_options(ntohs(a.sin_port));
  o.timeout = milliseconds{50};
  Logged logged;
  RedisStore store(o, logged.sink());
  auto e = error_of([&] { store.incr("k", 1, milliseconds{0}); });
  const StoreCheck c = store.check();
  ::close(fd);
  EXPECT_EQ(e.code(), StateErrc::timeout);
  EXPECT_EQ(std::string(e.what()), store.describe() + ": no answer within 50 ms (connection dropped)");
  EXPECT_TRUE(logged.contains("no answer within 50 ms"));
  EXPECT_EQ(c.verdict, StoreCheck::Verdict::unreachable);
}

TEST(RedisStore, ReconnectsAfterTheServerComesBack) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  Logged logged;
  RedisStore store(redis_store_options(server.port()), logged.sink());
  EXPECT_EQ(store.incr("c", 1, milliseconds{0}), 1);
  server.kill();
  auto lost = error_of([&] { store.incr("c", 1, milliseconds{0}); });
  EXPECT_EQ(lost.code(), StateErrc::unavailable);
  EXPECT_EQ(std::string(lost.what()), store.describe() + ": connection lost: server closed the connection");
  EXPECT_TRUE(logged.contains("state calls fail until it is back"));
  ASSERT_TRUE(server.restart());
  // The data went with the old server; the store reconnects by itself once the back-off has passed.
  EXPECT_TRUE(eventually([&] { return incr_works(store, "c"); }));
  EXPECT_EQ(raw_get(server, "c"), "1");
  EXPECT_EQ(logged.count("connected again after"), 1u);
  EXPECT_EQ(logged.count("state calls fail until it is back"), 1u) << "one line per outage, not per call";
}

TEST(RedisStore, AServerThatStallsTimesOutAndRecovers) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  auto o = redis_store_options(server.port());
  o.timeout = milliseconds{100};
  // A back-off long enough that the call right after the timeout surely falls within it.
  o.first_backoff = o.max_backoff = milliseconds{1000};
  Logged logged;
  StateCounters counters;
  RedisStore store(o, logged.sink());
  store.count_into(&counters);
  EXPECT_EQ(store.incr("c", 1, milliseconds{0}), 1);
  server.pause();
  auto stalled = error_of([&] { store.incr("c", 1, milliseconds{0}); });
  EXPECT_EQ(stalled.code(), StateErrc::timeout);
  EXPECT_EQ(std::string(stalled.what()), store.describe() + ": no answer within 100 ms (connection dropped)");
  auto fast = error_of([&] { store.get("c"); });  // within the back-off: at once, no second wait
  EXPECT_EQ(fast.code(), StateErrc::unavailable);
  EXPECT_NE(std::string(fast.what()).find("unavailable (no answer within 100 ms"), std::string::npos) << fast.what();
  EXPECT_EQ(counters.unavailable.load(), 1);
  server.resume();
  EXPECT_TRUE(eventually([&] { return incr_works(store, "c"); }));
  // The increment that timed out reached Redis before it stalled: it may have been applied after all;
  // it was reported as failed and never sent again.
  const std::string value = raw_get(server, "c");
  EXPECT_TRUE(value == "2" || value == "3") << value;
  EXPECT_EQ(logged.count("state calls fail until it is back"), 1u);
  EXPECT_EQ(logged.count("connected again after"), 1u);
  EXPECT_EQ(counters.outages.load(), 1u);
  EXPECT_EQ(counters.unavailable.load(), 0);
  EXPECT_EQ(counters.errors[static_cast<std::size_t>(StateErrc::timeout)].load(), 1u);
}

TEST(RedisStore, CheckVerdicts) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  const std::string name = "redis 127.0.0.1:" + std::to_string(server.port());
  RedisStore good(redis_store_options(server.port()), nullptr);
  EXPECT_EQ(good.check().verdict, StoreCheck::Verdict::ok);
  EXPECT_EQ(good.check().text, name + ": reachable");
  RedisStore no_such_db(redis_store_options(server.port(), "/99"), nullptr);
  const StoreCheck c = no_such_db.check();
  EXPECT_EQ(c.verdict, StoreCheck::Verdict::refused);
  EXPECT_EQ(c.text, name + "/99: SELECT 99 refused: ERR DB index is out of range");
}

TEST(RedisStore, ThreadsShareOneStoreWithoutLosingOrRepeatingIncrements) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore store(redis_store_options(server.port()), nullptr);
  StateCounters counters;
  store.count_into(&counters);
  constexpr int threads = 4, each = 500;
  std::vector<std::vector<std::int64_t>> seen(threads);
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string own = "own" + std::to_string(t);
      for (int i = 0; i < each; ++i) {
        try {
          seen[t].push_back(store.incr("shared", 1, milliseconds{0}));
          store.set(own, StateValue::of_integer(i), milliseconds{0});
          if (store.get(own) != StateValue::of_integer(i)) ++failures;  // a reply meant for another thread
        } catch (const StateError&) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::int64_t> all;
  for (const auto& s : seen) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * each)) << "two increments returned the same value";
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), threads * each);
  EXPECT_EQ(raw_get(server, "shared"), std::to_string(threads * each));
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::incr)].load(), static_cast<std::uint64_t>(threads * each));
  EXPECT_GE(counters.connects.load(), 1u);
  EXPECT_LE(counters.connects.load(), static_cast<std::uint64_t>(threads)) << "one connection per thread at most";
}

TEST(RedisStore, ThreadsThroughAnOutageLogItOnceAndCountEveryFailure) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  Logged logged;
  RedisStore store(redis_store_options(server.port()), logged.sink());
  StateCounters counters;
  store.count_into(&counters);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&] {
      while (!stop) {
        if (incr_works(store, "hits")) {
          ++ok;
        } else {
          ++failed;
          ::usleep(1000);  // a handler would go on with other requests
        }
      }
    });
  }
  auto wait_until = [](auto&& condition) { return eventually(condition); };
  EXPECT_TRUE(wait_until([&] { return ok.load() >= 100; }));
  server.kill();
  EXPECT_TRUE(wait_until([&] { return failed.load() >= 50; }));
  ASSERT_TRUE(server.restart());
  const std::uint64_t before = ok.load();
  EXPECT_TRUE(wait_until([&] { return ok.load() >= before + 100; }));
  stop = true;
  for (auto& t : pool) t.join();

  EXPECT_EQ(logged.count("state calls fail until it is back"), 1u) << "one line per outage, whatever the threads";
  EXPECT_EQ(logged.count("connected again after"), 1u);
  EXPECT_EQ(counters.outages.load(), 1u);
  EXPECT_EQ(counters.unavailable.load(), 0);
  const auto& errors = counters.errors;
  EXPECT_EQ(errors[static_cast<std::size_t>(StateErrc::unavailable)].load() +
                errors[static_cast<std::size_t>(StateErrc::timeout)].load(),
            failed.load());
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::incr)].load(), ok.load() + failed.load());
}

TEST(RedisStore, AForkedChildOpensItsOwnConnection) {
  REQUIRE_REDIS();
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStore store(redis_store_options(server.port()), nullptr);
  EXPECT_EQ(store.incr("c", 1, milliseconds{0}), 1);  // the parent has a pooled connection now
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 1;
    try {
      status = store.incr("c", 10, milliseconds{0}) == 11 ? 0 : 2;
    } catch (...) {
      status = 3;
    }
    ::_exit(status);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(store.incr("c", 100, milliseconds{0}), 111) << "the parent's connection still works";
}

}  // namespace
}  // namespace spoa
