// BlockingPool (see python_blocking_pool.hpp).
#include "agent/engines/python/python_blocking_pool.hpp"

#include <pthread.h>

#include <csignal>
#include <thread>

namespace spoa::python {

BlockingPool& BlockingPool::instance() {
  static BlockingPool* const pool = new BlockingPool;  // never destroyed: its threads outlive main()
  return *pool;
}

void BlockingPool::submit(std::function<void()> work) {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(work));
    start = started_ < threads;
    if (start) ++started_;
  }
  if (!start) {
    ready_.notify_one();
    return;
  }
  // Like the executor threads: none of the agent's process-directed signals lands here.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  try {
    std::thread thread([this] { run(); });
    pthread_setname_np(thread.native_handle(), "spoa-state");
    thread.detach();
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    std::lock_guard lock(mutex_);
    --started_;
    if (started_ == 0) jobs_.pop_back();  // nobody would ever run it
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void BlockingPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return !jobs_.empty(); });
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace spoa::python
