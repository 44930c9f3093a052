// CompletionQueue: calls pushed without a wake-up wait for wake() and then arrive in one batch, in
// push order; a plain push wakes the loop itself; nothing arrives once closed.
#include "agent/executor/completion_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "agent/executor/call.hpp"
#include "tests/executor/run_loop_until.hpp"

namespace spoa::exec {
namespace completion_queue_test {

using namespace std::chrono_literals;

struct Batches {
  std::vector<std::vector<Call*>> seen;
  void operator()(Call* first) {
    auto& batch = seen.emplace_back();
    for (Call* c = first; c != nullptr; c = c->next) batch.push_back(c);
  }
};

using test::run_loop_until;

TEST(CompletionQueue, CallsPushedWithoutAWakeUpArriveTogetherAtWake) {
  boost::asio::io_context io;
  Batches batches;
  CompletionQueue queue(io, [&](Call* first) { batches(first); });
  queue.listen();
  Call a, b, c;
  std::thread executor([&] {
    queue.push(a, false);
    queue.push(b, false);
    queue.push(c, false);
  });
  executor.join();
  io.restart();
  io.run_for(20ms);
  EXPECT_TRUE(batches.seen.empty()) << "delivered before wake()";
  std::thread([&] { queue.wake(); }).join();
  ASSERT_TRUE(run_loop_until(io, [&] { return !batches.seen.empty(); }));
  ASSERT_EQ(batches.seen.size(), 1u);
  EXPECT_EQ(batches.seen[0], (std::vector<Call*>{&a, &b, &c}));
}

TEST(CompletionQueue, APlainPushWakesTheLoop) {
  boost::asio::io_context io;
  Batches batches;
  CompletionQueue queue(io, [&](Call* first) { batches(first); });
  queue.listen();
  Call a;
  std::thread([&] { queue.push(a); }).join();
  ASSERT_TRUE(run_loop_until(io, [&] { return !batches.seen.empty(); }));
  EXPECT_EQ(batches.seen[0], (std::vector<Call*>{&a}));
}

TEST(CompletionQueue, NothingArrivesOnceClosedAndTheLoopCanEnd) {
  boost::asio::io_context io;
  Batches batches;
  CompletionQueue queue(io, [&](Call* first) { batches(first); });
  queue.listen();
  queue.close();
  Call a;
  queue.push(a);
  queue.wake();
  io.restart();
  io.run_for(5s);  // returns at once when no work is left: the closed queue no longer listens
  EXPECT_TRUE(io.stopped());
  EXPECT_TRUE(batches.seen.empty());
}

}  // namespace completion_queue_test
}  // namespace spoa::exec
