// The embedded store on its own: values, TTL with an injected clock, limits, a full table, atomic increments
// across forked processes, and recovery after a process died holding the lock.
#include "agent/state/embedded_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace spoa {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t small = 256 * 1024;

// A clock the test moves by hand; also visible to forked children (they get a copy at fork time).
struct ManualClock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1000);
  StateClock clock() const {
    auto p = now;
    return [p] { return *p; };
  }
};

// Runs `body` in a child process; the child's exit status (or 128 + signal).
template <typename Body>
int in_child(Body&& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 1;
    try {
      status = body();
    } catch (...) {
      status = 99;
    }
    ::_exit(status);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(EmbeddedStore, GetReturnsWhatWasSet) {
  EmbeddedStore store(small);
  EXPECT_FALSE(store.get("missing"));
  store.set("n", StateValue::of_integer(-42), milliseconds{0});
  store.set("t", StateValue::of_text("hello"), milliseconds{0});
  store.set("b", StateValue::of_bytes(std::string("\0\x01\xff", 3)), milliseconds{0});
  store.set("e", StateValue::of_text(""), milliseconds{0});
  EXPECT_EQ(store.get("n"), StateValue::of_integer(-42));
  EXPECT_EQ(store.get("t"), StateValue::of_text("hello"));
  EXPECT_EQ(store.get("b"), StateValue::of_bytes(std::string("\0\x01\xff", 3)));
  EXPECT_EQ(store.get("e"), StateValue::of_text(""));
  store.set("t", StateValue::of_integer(7), milliseconds{0});  // replacing changes the kind too
  EXPECT_EQ(store.get("t"), StateValue::of_integer(7));
  EXPECT_EQ(store.stats().entries, 4u);
}

TEST(EmbeddedStore, DelReportsWhetherTheKeyExisted) {
  EmbeddedStore store(small);
  store.set("k", StateValue::of_integer(1), milliseconds{0});
  EXPECT_TRUE(store.del("k"));
  EXPECT_FALSE(store.del("k"));
  EXPECT_FALSE(store.get("k"));
  EXPECT_EQ(store.stats().entries, 0u);
}

TEST(EmbeddedStore, TtlExpiresOnTheInjectedClock) {
  ManualClock clock;
  EmbeddedStore store(small, clock.clock());
  store.set("short", StateValue::of_text("x"), milliseconds{500});
  store.set("forever", StateValue::of_text("y"), milliseconds{0});
  *clock.now += 499;
  EXPECT_TRUE(store.get("short"));
  *clock.now += 1;
  EXPECT_FALSE(store.get("short"));
  EXPECT_FALSE(store.del("short"));
  *clock.now += 1'000'000;
  EXPECT_TRUE(store.get("forever"));
  EXPECT_EQ(store.stats().entries, 1u);  // the expired entry was dropped when read
}

TEST(EmbeddedStore, SetWithoutTtlRemovesTheExpiry) {
  ManualClock clock;
  EmbeddedStore store(small, clock.clock());
  store.set("k", StateValue::of_integer(1), milliseconds{10});
  store.set("k", StateValue::of_integer(2), milliseconds{0});
  *clock.now += 100;
  EXPECT_EQ(store.get("k"), StateValue::of_integer(2));
}

TEST(EmbeddedStore, IncrCreatesAddsAndKeepsTheFirstDeadline) {
  ManualClock clock;
  EmbeddedStore store(small, clock.clock());
  EXPECT_EQ(store.incr("c", 1, milliseconds{1000}), 1);
  *clock.now += 600;
  EXPECT_EQ(store.incr("c", 5, milliseconds{1000}), 6);  // the window is not extended
  EXPECT_EQ(store.incr("c", -10, milliseconds{0}), -4);
  *clock.now += 400;
  EXPECT_FALSE(store.get("c"));
  EXPECT_EQ(store.incr("c", 2, milliseconds{0}), 2);  // a new counter after expiry
  // A key set without TTL gets one from the first incr that asks for it.
  store.set("p", StateValue::of_integer(10), milliseconds{0});
  EXPECT_EQ(store.incr("p", 1, milliseconds{50}), 11);
  *clock.now += 50;
  EXPECT_FALSE(store.get("p"));
}

TEST(EmbeddedStore, IncrRefusesTextAndOverflowWithoutChangingTheValue) {
  EmbeddedStore store(small);
  store.set("s", StateValue::of_text("12"), milliseconds{0});
  try {
    store.incr("s", 1, milliseconds{0});
    FAIL() << "incr on text must fail";
  } catch (const StateError& e) {
    EXPECT_EQ(e.code(), StateErrc::not_integer);
    EXPECT_STREQ(e.what(), "embedded store: value of key 's' is not an integer");
  }
  store.set("max", StateValue::of_integer(INT64_MAX - 1), milliseconds{0});
  EXPECT_EQ(store.incr("max", 1, milliseconds{0}), INT64_MAX);
  try {
    store.incr("max", 1, milliseconds{0});
    FAIL() << "overflow must fail";
  } catch (const StateError& e) {
    EXPECT_EQ(e.code(), StateErrc::overflow);
    EXPECT_NE(std::string(e.what()).find("would overflow int64"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store.get("max"), StateValue::of_integer(INT64_MAX));
  EXPECT_EQ(store.get("s"), StateValue::of_text("12"));
}

TEST(EmbeddedStore, SizeLimitsAreClearErrors) {
  EmbeddedStore store(small);
  const std::string longest_key(state_limits::max_key, 'k');
  const std::string longest_value(state_limits::max_value, 'v');
  store.set(longest_key, StateValue::of_bytes(longest_value), milliseconds{0});
  EXPECT_EQ(store.get(longest_key), StateValue::of_bytes(longest_value));

  auto code_of = [](auto&& call) -> std::pair<StateErrc, std::string> {
    try {
      call();
    } catch (const StateError& e) {
      return {e.code(), e.what()};
    }
    return {StateErrc::unavailable, "no error"};
  };
  auto [c1, m1] = code_of([&] { store.set(longest_key + "k", StateValue::of_integer(1), milliseconds{0}); });
  EXPECT_EQ(c1, StateErrc::bad_key);
  EXPECT_EQ(m1, "embedded store: key too long (251 bytes, limit 250)");
  auto [c2, m2] = code_of([&] { store.set("v", StateValue::of_text(longest_value + "v"), milliseconds{0}); });
  EXPECT_EQ(c2, StateErrc::bad_value);
  EXPECT_EQ(m2, "embedded store: value too long (1001 bytes, limit 1000)");
  auto [c3, m3] = code_of([&] { store.get(""); });
  EXPECT_EQ(c3, StateErrc::bad_key);
  EXPECT_EQ(m3, "embedded store: empty key");
  auto [c4, m4] = code_of([&] { store.incr("x", 1, milliseconds{-1}); });
  EXPECT_EQ(c4, StateErrc::bad_ttl);
  EXPECT_FALSE(store.get("v"));
}

TEST(EmbeddedStore, TooSmallASizeIsRefused) {
  EXPECT_THROW(EmbeddedStore(1024), std::invalid_argument);
  EXPECT_EQ(EmbeddedStore::capacity_for(1024), 0u);
}

TEST(EmbeddedStore, FullStoreRefusesNewKeysButReusesExpiredOnes) {
  ManualClock clock;
  const std::size_t bytes = 8 * 1024;
  EmbeddedStore store(bytes, clock.clock());
  const std::size_t capacity = EmbeddedStore::capacity_for(bytes);
  ASSERT_EQ(store.stats().max_entries, capacity);
  ASSERT_GE(capacity, 3u);
  for (std::size_t i = 0; i < capacity; ++i) {
    store.set("k" + std::to_string(i), StateValue::of_integer(static_cast<std::int64_t>(i)),
              i == 0 ? milliseconds{100} : milliseconds{0});
  }
  try {
    store.set("one-more", StateValue::of_integer(1), milliseconds{0});
    FAIL() << "a full store must refuse a new key";
  } catch (const StateError& e) {
    EXPECT_EQ(e.code(), StateErrc::full);
    EXPECT_EQ(std::string(e.what()), "embedded store: full (" + std::to_string(capacity) +
                                         " entries; raise --state-size or give keys a TTL)");
  }
  EXPECT_THROW(store.incr("another", 1, milliseconds{0}), StateError);
  store.set("k1", StateValue::of_integer(100), milliseconds{0});  // updating an existing key still works
  EXPECT_EQ(store.incr("k2", 1, milliseconds{0}), 3);
  *clock.now += 100;  // k0 expires: its entry is reused
  store.set("one-more", StateValue::of_integer(1), milliseconds{0});
  EXPECT_EQ(store.get("one-more"), StateValue::of_integer(1));
  EXPECT_FALSE(store.get("k0"));
  for (std::size_t i = 1; i < capacity; ++i) {
    EXPECT_TRUE(store.get("k" + std::to_string(i))) << i;  // nothing else was evicted
  }
}

TEST(EmbeddedStore, ManyKeysSurviveDeletesInBetween) {
  // Deleting moves entries of a probe run back; every remaining key must stay reachable.
  EmbeddedStore store(512 * 1024);
  const int n = static_cast<int>(store.stats().max_entries);
  for (int i = 0; i < n; ++i) store.set("key" + std::to_string(i), StateValue::of_integer(i), milliseconds{0});
  for (int i = 0; i < n; i += 3) ASSERT_TRUE(store.del("key" + std::to_string(i)));
  for (int i = 0; i < n; ++i) {
    auto v = store.get("key" + std::to_string(i));
    if (i % 3 == 0) {
      EXPECT_FALSE(v) << i;
    } else {
      ASSERT_TRUE(v) << i;
      EXPECT_EQ(v->integer, i);
    }
  }
}

TEST(EmbeddedStore, IncrIsAtomicAcrossProcesses) {
  EmbeddedStore store(small);
  constexpr int children = 4;
  constexpr int increments = 5000;
  std::vector<pid_t> pids;
  for (int c = 0; c < children; ++c) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int status = 0;
      try {
        for (int i = 0; i < increments; ++i) store.incr("counter", 1, milliseconds{0});
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
    ASSERT_GT(pid, 0);
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(store.get("counter"), StateValue::of_integer(children * increments));
}

TEST(EmbeddedStore, ThreadsOfOneProcessShareItSafely) {
  // Executor threads: several threads of one worker calling at once (one key for all, one key each).
  EmbeddedStore store(small);
  StateCounters counters;
  store.count_into(&counters);
  constexpr int threads = 4, each = 5000;
  std::vector<std::vector<std::int64_t>> seen(threads);
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string own = "own" + std::to_string(t);
      for (int i = 0; i < each; ++i) {
        seen[t].push_back(store.incr("shared", 1, milliseconds{0}));
        store.set(own, StateValue::of_text(std::to_string(i)), milliseconds{0});
        if (store.get(own) != StateValue::of_text(std::to_string(i))) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::int64_t> all;
  for (const auto& s : seen) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * each)) << "two increments returned the same value";
  EXPECT_EQ(store.get("shared"), StateValue::of_integer(threads * each));
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::incr)].load(), static_cast<std::uint64_t>(threads * each));
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::get)].load(), static_cast<std::uint64_t>(threads * each + 1));
}

TEST(EmbeddedStore, KeyPrefixSeparatesNamesAndKeepsTheScriptsLimits) {
  EmbeddedStore store(small);
  store.set_key_prefix("app:");
  store.set("k", StateValue::of_integer(1), milliseconds{0});
  store.set(std::string(250, 'x'), StateValue::of_integer(2), milliseconds{0});  // 254 bytes stored
  EXPECT_EQ(store.get("k"), StateValue::of_integer(1));
  store.set_key_prefix("");
  EXPECT_FALSE(store.get("k")) << "stored under the prefixed name only";
  EXPECT_EQ(store.get("app:k"), StateValue::of_integer(1));
  store.set_key_prefix("other:");
  EXPECT_FALSE(store.get("k"));
  store.set_key_prefix(std::string(64, 'p'));  // the longest prefix with the longest key still fits a slot
  store.set(std::string(250, 'y'), StateValue::of_text("z"), milliseconds{0});
  EXPECT_EQ(store.get(std::string(250, 'y')), StateValue::of_text("z"));
  store.set_key_prefix("app:");
  store.set("s", StateValue::of_text("x"), milliseconds{0});
  try {
    store.incr("s", 1, milliseconds{0});
    ADD_FAILURE() << "incr on text";
  } catch (const StateError& e) {
    EXPECT_STREQ(e.what(), "embedded store: value of key 's' is not an integer") << "the script's name for the key";
  }
}

TEST(EmbeddedStore, CountsCallsAndErrorsByKind) {
  EmbeddedStore store(small);
  StateCounters counters;
  store.count_into(&counters);
  store.set("t", StateValue::of_text("x"), milliseconds{0});
  EXPECT_THROW(store.incr("t", 1, milliseconds{0}), StateError);
  EXPECT_THROW(store.get(""), StateError);
  EXPECT_TRUE(store.del("t"));
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::set)].load(), 1u);
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::incr)].load(), 1u);
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::get)].load(), 1u);
  EXPECT_EQ(counters.calls[static_cast<std::size_t>(StateOp::del)].load(), 1u);
  EXPECT_EQ(counters.errors[static_cast<std::size_t>(StateErrc::not_integer)].load(), 1u);
  EXPECT_EQ(counters.errors[static_cast<std::size_t>(StateErrc::bad_key)].load(), 1u);
  EXPECT_EQ(counters.outages.load(), 0u);
}

TEST(EmbeddedStore, ValuesSetInOneProcessAreSeenInAnother) {
  EmbeddedStore store(small);
  EXPECT_EQ(in_child([&] {
              store.set("from-child", StateValue::of_text("hi"), milliseconds{0});
              return 0;
            }),
            0);
  EXPECT_EQ(store.get("from-child"), StateValue::of_text("hi"));
}

TEST(EmbeddedStore, RecoversWhenAProcessDiesHoldingTheLock) {
  // The clock is read with the lock held: a child whose clock kills it dies in the middle of an incr.
  auto die = std::make_shared<bool>(false);
  EmbeddedStore store(small, [die] {
    if (*die) ::raise(SIGKILL);
    return std::int64_t{1000};
  });
  store.set("a", StateValue::of_text("kept"), milliseconds{0});
  EXPECT_EQ(store.incr("n", 5, milliseconds{0}), 5);
  EXPECT_EQ(in_child([&] {
              *die = true;
              store.incr("n", 1, milliseconds{0});
              return 0;
            }),
            128 + SIGKILL);
  // Without a robust mutex this would block forever (ctest's timeout would then fail the test).
  EXPECT_EQ(store.incr("n", 1, milliseconds{0}), 6);
  EXPECT_EQ(store.get("a"), StateValue::of_text("kept"));
  const auto stats = store.stats();
  EXPECT_EQ(stats.recoveries, 1u);
  EXPECT_EQ(stats.entries, 2u);
  // Another process also works afterwards.
  EXPECT_EQ(in_child([&] { return store.incr("n", 1, milliseconds{0}) == 7 ? 0 : 1; }), 0);
}

}  // namespace
}  // namespace spoa
