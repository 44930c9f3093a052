// The calls whose handlers run on an engine's own event loop (Python's asyncio loop) instead of an
// executor thread: handlers that wait on the network without holding a thread, thousands at once.
//
// The scheduler pushes calls from the worker's I/O thread; the first push of a batch posts one task to
// the loop (EventLoop::post, which needs none of the engine's locks), and that task takes the whole
// queue and starts every call. A started call's handler usually returns CallResult::Kind::pending and
// finishes later on the loop (PendingCall::finish). Cancellations (a connection closed) travel the same
// way, so that the engine only ever sees them on its loop's thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/executor/lane.hpp"

namespace spoa::exec {

class LoopLane final : public Lane {
 public:
  /// Starts one call on the loop's thread.
  using Runner = std::function<void(Call& call, LoopLane& lane)>;

  LoopLane(std::string name, EventLoop& loop, Runner runner);
  ~LoopLane() override;
  LoopLane(const LoopLane&) = delete;
  LoopLane& operator=(const LoopLane&) = delete;

  void push(Call* first, Call* last, std::size_t count) override;
  std::size_t queued() const override;
  const std::string& name() const noexcept override { return name_; }
  EventLoop& loop() noexcept { return loop_; }

  /// Asks the handler of `call`, if one is pending on the loop, to stop: runs its PendingCall::cancel
  /// on the loop's thread. Ignored if the call has finished (or been reused) by then. Any thread.
  void cancel(Call& call);

  /// The scheduler's count of handlers pending on the loop (loop thread): stop() waits for them.
  void hold() noexcept;
  void unhold() noexcept;
  std::size_t pending() const;

  /// Later pushes are dropped and calls still queued are not started. Waits up to `grace` for the
  /// pending handlers to finish and for a posted task to have run; false if either is still there
  /// (the lane must then never be freed: the loop may still use it).
  bool stop(std::chrono::milliseconds grace) override;

 private:
  struct Cancel {
    Call* call;
    std::uint64_t serial;
  };
  static void on_post(void* self) noexcept;
  void drain();
  void post_locked_out();  // posts on_post unless one is on its way (call without mutex_)

  std::string name_;
  EventLoop& loop_;
  Runner runner_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  // Guarded by mutex_:
  Call* head_ = nullptr;
  Call* tail_ = nullptr;
  std::size_t size_ = 0;
  std::vector<Cancel> cancels_;
  std::vector<Cancel> taking_;  // drain()'s copy (loop thread), kept for its capacity
  bool posted_ = false;    // on_post is on its way or running
  bool stopping_ = false;
  std::size_t held_ = 0;
};

}  // namespace spoa::exec
