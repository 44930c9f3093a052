// Doorbell: a ring from another thread runs the handler on the loop's thread, rings while one is pending
// give one wake-up, and a stopped doorbell lets its loop end and may outlive it.
#include "agent/executor/doorbell.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "tests/executor/run_loop_until.hpp"

namespace spoa::exec {
namespace doorbell_test {

using namespace std::chrono_literals;

using test::run_loop_until;

TEST(Doorbell, ARingFromAnotherThreadRunsTheHandlerOnTheLoopsThread) {
  boost::asio::io_context io;
  int rings = 0;
  std::thread::id ran_on;
  Doorbell bell(io, [&] {
    ++rings;
    ran_on = std::this_thread::get_id();
  });
  std::thread ringer([&] { bell.ring(); });
  ASSERT_TRUE(run_loop_until(io, [&] { return rings == 1; }));
  ringer.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(Doorbell, RingsBeforeTheLoopRunsGiveOneWakeUpAndALaterRingAnother) {
  boost::asio::io_context io;
  int rings = 0;
  Doorbell bell(io, [&] { ++rings; });
  for (int i = 0; i < 100; ++i) bell.ring();
  ASSERT_TRUE(run_loop_until(io, [&] { return rings == 1; }));
  io.restart();
  io.poll();
  EXPECT_EQ(rings, 1) << "one wake-up for the hundred rings";
  bell.ring();
  ASSERT_TRUE(run_loop_until(io, [&] { return rings == 2; }));
}

TEST(Doorbell, ARingDuringTheHandlerIsNotLost) {
  boost::asio::io_context io;
  int rings = 0;
  Doorbell* self = nullptr;
  Doorbell bell(io, [&] {
    if (++rings == 1) self->ring();  // as a push that comes while the loop takes the queue
  });
  self = &bell;
  bell.ring();
  ASSERT_TRUE(run_loop_until(io, [&] { return rings == 2; }));
}

TEST(Doorbell, AStoppedDoorbellLetsItsLoopEndAndIgnoresLaterRings) {
  boost::asio::io_context io;
  int rings = 0;
  Doorbell bell(io, [&] { ++rings; });
  bell.stop();
  bell.ring();
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    io.run();  // returns only once nothing is left to wait for
    returned = true;
  });
  const auto guard = std::chrono::steady_clock::now() + 20s;
  while (!returned && std::chrono::steady_clock::now() < guard) std::this_thread::sleep_for(1ms);
  if (!returned) io.stop();
  runner.join();
  EXPECT_TRUE(returned.load()) << "the stopped doorbell still held the loop";
  EXPECT_EQ(rings, 0);
}

TEST(Doorbell, AStoppedDoorbellMayOutliveItsLoop) {
  // The worker's scheduler, and the CompletionQueue's doorbell in it, outlive the worker's event loop;
  // an executor thread may still ring after stop(). (The sanitizer builds check that nothing touches
  // the destroyed loop.)
  auto io = std::make_unique<boost::asio::io_context>();
  int rings = 0;
  auto bell = std::make_unique<Doorbell>(*io, [&] { ++rings; });
  bell->stop();
  bell->stop();
  io.reset();
  bell->ring();
  bell.reset();
  EXPECT_EQ(rings, 0);
}

}  // namespace doorbell_test
}  // namespace spoa::exec
