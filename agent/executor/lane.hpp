// Where a call's messages run: the executor threads of a language (ExecutorLane) or an engine's own
// event loop (LoopLane, for handlers that wait without holding a thread). The scheduler hands calls
// to a lane in batches and treats both kinds alike.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace spoa::exec {

class Call;

class Lane {
 public:
  virtual ~Lane() = default;
  /// Appends the calls `first`..`last` (linked through Call::next, `count` of them). Any thread.
  virtual void push(Call* first, Call* last, std::size_t count) = 0;
  /// Calls waiting in the queue now.
  virtual std::size_t queued() const = 0;
  virtual const std::string& name() const noexcept = 0;
  /// Stops taking calls and waits up to `grace` for those running; false if some still run.
  virtual bool stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace spoa::exec
