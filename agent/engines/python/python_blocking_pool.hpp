// A few threads per worker for calls that would block the event loop: the Redis store's calls made
// through the awaitable spoa.state_*_async functions. They run without the GIL, and hand their results
// back to the loop with AsyncLoop::post(). Never the loop's thread, never the worker's I/O thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace spoa::python {

class BlockingPool {
 public:
  /// Threads of the pool: as many Redis connections at most (the store keeps one per calling thread).
  static constexpr std::size_t threads = 4;

  /// The process's pool; its threads start at the first submit() and live as long as the process.
  static BlockingPool& instance();
  /// Runs `work` on a pool thread (queued while all are busy). Throws std::system_error if no thread
  /// can start.
  void submit(std::function<void()> work);

  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

 private:
  BlockingPool() = default;
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  std::size_t started_ = 0;                  // guarded by mutex_
};

}  // namespace spoa::python
