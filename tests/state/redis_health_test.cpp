// The shared fault state of a Redis store, walked through outages with hand-made times: one outage is one
// "began", calls are refused during the back-off, one reconnection attempt at a time however many threads
// ask, the back-off doubles up to its cap, and a success ends the outage with its numbers.
#include "agent/state/redis_health.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace spoa {
namespace {

using std::chrono::milliseconds;
using Kind = RedisHealth::Ticket::Kind;

const RedisHealth::Clock::time_point t0{};

TEST(RedisHealth, StartsUsable) {
  RedisHealth h(milliseconds{100}, milliseconds{1000});
  EXPECT_TRUE(h.usable());
  const auto t = h.admit(t0);
  EXPECT_EQ(t.kind, Kind::use);
  EXPECT_FALSE(h.succeeded(t, t0)) << "a success outside an outage ends nothing";
}

TEST(RedisHealth, AnOutageFromBeginningToEnd) {
  RedisHealth h(milliseconds{100}, milliseconds{350});
  const auto a = h.admit(t0);
  const auto b = h.admit(t0);  // a second thread, same connection generation
  const auto first = h.failed(a, "connection lost: server closed the connection", t0);
  EXPECT_TRUE(first.began_outage);
  EXPECT_EQ(first.backoff, milliseconds{100});
  EXPECT_FALSE(h.usable());
  EXPECT_GT(h.generation(), a.generation) << "connections opened before the outage are retired";
  EXPECT_FALSE(h.failed(b, "connection lost", t0).began_outage) << "the other thread's failure is the same outage";

  auto refused = h.admit(t0 + milliseconds{40});
  EXPECT_EQ(refused.kind, Kind::refused);
  EXPECT_EQ(refused.refusal, "unavailable (connection lost: server closed the connection; next attempt in 61 ms)");

  // After the back-off: one probe; everyone else is refused while it is under way.
  const auto probe = h.admit(t0 + milliseconds{100});
  EXPECT_EQ(probe.kind, Kind::probe);
  auto meanwhile = h.admit(t0 + milliseconds{101});
  EXPECT_EQ(meanwhile.kind, Kind::refused);
  EXPECT_EQ(meanwhile.refusal, "unavailable (connection lost: server closed the connection; reconnecting now)");
  const auto retry = h.failed(probe, "cannot connect: Connection refused", t0 + milliseconds{102});
  EXPECT_FALSE(retry.began_outage);
  EXPECT_EQ(retry.backoff, milliseconds{200});
  EXPECT_EQ(h.admit(t0 + milliseconds{301}).kind, Kind::refused);
  const auto probe2 = h.admit(t0 + milliseconds{302});
  EXPECT_EQ(probe2.kind, Kind::probe);
  EXPECT_EQ(h.failed(probe2, "cannot connect: Connection refused", t0 + milliseconds{302}).backoff, milliseconds{350})
      << "doubling stops at the cap";
  const auto probe3 = h.admit(t0 + milliseconds{652});
  EXPECT_EQ(probe3.kind, Kind::probe);
  EXPECT_EQ(h.failed(probe3, "x", t0 + milliseconds{652}).backoff, milliseconds{350});

  const auto probe4 = h.admit(t0 + milliseconds{1002});
  ASSERT_EQ(probe4.kind, Kind::probe);
  auto recovery = h.succeeded(probe4, t0 + milliseconds{1010});
  ASSERT_TRUE(recovery);
  EXPECT_EQ(recovery->lasted, milliseconds{1010});
  EXPECT_EQ(recovery->refused_calls, 3u);
  EXPECT_EQ(recovery->failed_attempts, 3u);
  EXPECT_TRUE(h.usable());
  EXPECT_EQ(h.admit(t0 + milliseconds{1011}).kind, Kind::use);

  // The next outage starts from the first back-off again, and counts afresh.
  const auto c = h.admit(t0 + milliseconds{2000});
  const auto again = h.failed(c, "no answer within 50 ms (connection dropped)", t0 + milliseconds{2000});
  EXPECT_TRUE(again.began_outage);
  EXPECT_EQ(again.backoff, milliseconds{100});
}

TEST(RedisHealth, AFailureOfAnOldConnectionAfterRecoveryChangesNothing) {
  RedisHealth h(milliseconds{10}, milliseconds{100});
  const auto old = h.admit(t0);
  const auto other = h.admit(t0);
  ASSERT_TRUE(h.failed(other, "lost", t0).began_outage);
  const auto probe = h.admit(t0 + milliseconds{10});
  ASSERT_TRUE(h.succeeded(probe, t0 + milliseconds{11}));
  // `old` was taken before the outage: its failure now is not a new outage.
  EXPECT_FALSE(h.failed(old, "lost", t0 + milliseconds{12}).began_outage);
  EXPECT_TRUE(h.usable());
}

TEST(RedisHealth, ManyThreadsGetOneProbeAtATime) {
  RedisHealth h(milliseconds{1}, milliseconds{1});
  const auto start = RedisHealth::Clock::now();
  ASSERT_TRUE(h.failed(h.admit(start), "lost", start).began_outage);
  std::atomic<int> in_flight{0};
  std::atomic<int> most{0};
  std::atomic<int> probes{0};
  std::vector<std::thread> threads;
  const auto until = start + milliseconds{300};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      while (RedisHealth::Clock::now() < until) {
        // A back-off of 1 ms: mostly the "one probe in flight" rule keeps callers out.
        const auto now = RedisHealth::Clock::now();
        const auto t = h.admit(now);
        if (t.kind != Kind::probe) continue;
        const int now_in_flight = ++in_flight;
        int seen = most.load();
        while (now_in_flight > seen && !most.compare_exchange_weak(seen, now_in_flight)) {
        }
        ++probes;
        std::this_thread::sleep_for(std::chrono::microseconds{200});  // a reconnection takes a while
        --in_flight;
        h.failed(t, "still down", RedisHealth::Clock::now());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 1) << "two reconnection attempts were in flight at once";
  EXPECT_GT(probes.load(), 0);
}

}  // namespace
}  // namespace spoa
