// ExecutorLane: every call runs once, and a burst of blocking calls spreads over every thread.
#include "agent/executor/executor_lane.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "agent/executor/call.hpp"

namespace spoa::exec {
namespace lane_test {

using namespace std::chrono_literals;

// A hang guard only: generous, never reached when things work.
constexpr auto kHangGuard = 20s;

struct Counter {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t runs = 0;
  std::set<std::thread::id> threads;
};

TEST(ExecutorLane, RunsEveryPushedCallExactlyOnce) {
  Counter counter;
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < 1000; ++i) calls.push_back(std::make_unique<Call>());
  std::vector<int> runs_per_call(calls.size(), 0);
  {
    ExecutorLane lane("test", 4, [&](Call& call, ExecutorLane&, unsigned thread) {
      EXPECT_LT(thread, 4u);
      std::lock_guard lock(counter.mutex);
      ++runs_per_call[static_cast<std::size_t>(call.stream_id)];
      ++counter.runs;
      counter.changed.notify_all();
    });
    // Batches of 10, as a connection hands over the calls of one read.
    for (std::size_t i = 0; i < calls.size(); i += 10) {
      for (std::size_t j = i; j < i + 10; ++j) {
        calls[j]->stream_id = j;
        calls[j]->next = j + 1 < i + 10 ? calls[j + 1].get() : nullptr;
      }
      lane.push(calls[i].get(), calls[i + 9].get(), 10);
    }
    std::unique_lock lock(counter.mutex);
    ASSERT_TRUE(counter.changed.wait_for(lock, kHangGuard, [&] { return counter.runs == calls.size(); }));
  }
  for (int n : runs_per_call) EXPECT_EQ(n, 1);
  EXPECT_EQ(counter.runs, calls.size()) << "nothing ran twice after the lane stopped";
}

TEST(ExecutorLane, ABurstOfBlockingCallsRunsOnEveryThreadAtOnce) {
  // Each call blocks until all of them are running: this only ends if the lane woke every thread.
  constexpr unsigned kThreads = 8;
  Counter counter;
  std::vector<std::unique_ptr<Call>> calls;
  for (unsigned i = 0; i < kThreads; ++i) calls.push_back(std::make_unique<Call>());
  for (unsigned i = 0; i + 1 < kThreads; ++i) calls[i]->next = calls[i + 1].get();
  bool all_met = true;
  {
    ExecutorLane lane("burst", kThreads, [&](Call&, ExecutorLane&, unsigned) {
      std::unique_lock lock(counter.mutex);
      ++counter.runs;
      counter.threads.insert(std::this_thread::get_id());
      counter.changed.notify_all();
      if (!counter.changed.wait_for(lock, kHangGuard, [&] { return counter.runs >= kThreads; })) all_met = false;
    });
    lane.push(calls.front().get(), calls.back().get(), kThreads);
    std::unique_lock lock(counter.mutex);
    ASSERT_TRUE(counter.changed.wait_for(lock, kHangGuard, [&] { return counter.runs == kThreads; }));
  }
  EXPECT_TRUE(all_met);
  EXPECT_EQ(counter.threads.size(), kThreads);
}

TEST(ExecutorLane, AThreadBlockedInACallLeavesLaterCallsToIdleThreads) {
  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  std::size_t fast_done = 0;
  auto slow = std::make_unique<Call>();
  slow->stream_id = 0;
  std::vector<std::unique_ptr<Call>> fast;
  {
    ExecutorLane lane("slow", 2, [&](Call& call, ExecutorLane&, unsigned) {
      std::unique_lock lock(mutex);
      if (call.stream_id == 0) {
        changed.wait_for(lock, kHangGuard, [&] { return release; });
        return;
      }
      ++fast_done;
      changed.notify_all();
    });
    lane.push(slow.get(), slow.get(), 1);
    for (int i = 1; i <= 20; ++i) {
      fast.push_back(std::make_unique<Call>());
      fast.back()->stream_id = static_cast<std::uint64_t>(i);
      lane.push(fast.back().get(), fast.back().get(), 1);
    }
    std::unique_lock lock(mutex);
    EXPECT_TRUE(changed.wait_for(lock, kHangGuard, [&] { return fast_done == 20; }))
        << "quick calls waited behind the blocked one";
    release = true;
    changed.notify_all();
  }
}

}  // namespace lane_test
}  // namespace spoa::exec
