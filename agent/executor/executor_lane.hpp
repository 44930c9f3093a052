// The executor threads of one script language in a worker, and the one queue they share.
//
// Idle threads wait in their own asio::io_context (so that a thread can also run timers and sockets of
// its own: Lua coroutines suspended on them resume on the thread that owns their Lua state; a busy
// thread lets that loop run between calls while some of its calls wait), and are woken through a
// Doorbell of that loop (see doorbell.hpp for why not asio::post). Work is
// pulled from one shared queue, so that a call never waits behind a slow one while another thread is
// idle. Waking is batched: a push wakes one idle thread only when no woken thread is still on its way
// to the queue, and a thread that takes a call and leaves more behind wakes the next one (so a burst of
// blocking calls spreads over the threads, while a stream of quick calls keeps few threads awake).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/executor/doorbell.hpp"
#include "agent/executor/lane.hpp"

namespace spoa::exec {

class Call;

class ExecutorLane final : public Lane {
 public:
  /// Runs one call on executor thread `thread` (0..threads-1); called on that thread.
  using Runner = std::function<void(Call& call, ExecutorLane& lane, unsigned thread)>;

  /// Starts `threads` threads (at least 1), named "<name>-<i>" in ps/top. Throws std::system_error.
  ExecutorLane(std::string name, unsigned threads, Runner runner);
  ~ExecutorLane() override;
  ExecutorLane(const ExecutorLane&) = delete;
  ExecutorLane& operator=(const ExecutorLane&) = delete;

  /// Appends the calls `first`..`last` (linked through Call::next, `count` of them) and wakes a
  /// thread if needed. Any thread.
  void push(Call* first, Call* last, std::size_t count) override;
  /// Calls waiting in the queue now.
  std::size_t queued() const override;
  unsigned threads() const noexcept { return static_cast<unsigned>(threads_.size()); }
  const std::string& name() const noexcept override { return name_; }
  /// The event loop of executor thread `index` (for work that must run on that thread).
  boost::asio::io_context& context(unsigned index) { return threads_[index]->io; }
  /// On executor thread `index`: `delta` more (or fewer) of its calls wait on its event loop. While
  /// some do, the thread lets its loop run between queued calls (their timers and sockets), every
  /// calls_between_polls calls, instead of taking every queued call first.
  void note_waiting(unsigned index, int delta) noexcept { threads_[index]->waiting += delta; }
  /// Calls waiting on the loop of thread `index` (that thread only, and tests once it is idle).
  int waiting(unsigned index) const noexcept { return threads_[index]->waiting; }

  static constexpr unsigned calls_between_polls = 8;

  /// Threads stop after the call they run; calls still queued are left there. Waits up to `grace`
  /// for every thread to end; false if some did not (stuck in a call): they are detached.
  bool stop(std::chrono::milliseconds grace) override;

 private:
  struct Thread {
    unsigned index = 0;
    boost::asio::io_context io{1};
    std::unique_ptr<Doorbell> bell;  // wakes the thread to drain the queue (from the pushing thread)
    std::thread thread;
    bool woken = false;  // posted a drain and not yet at the queue (guarded by mutex_)
    bool exited = false; // guarded by mutex_
    int waiting = 0;     // calls waiting on io (this thread only)
  };

  void main(Thread& self);
  void drain(Thread& self);
  Call* pop(Thread& self);
  Thread* take_idle();  // with mutex_ held: an idle thread to wake (counted as searching), or null

  std::string name_;
  Runner runner_;
  std::vector<std::unique_ptr<Thread>> threads_;
  mutable std::mutex mutex_;
  std::condition_variable exited_;
  // Guarded by mutex_:
  Call* head_ = nullptr;
  Call* tail_ = nullptr;
  std::size_t size_ = 0;
  std::vector<Thread*> idle_;
  unsigned searching_ = 0;  // woken threads not yet at the queue
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace spoa::exec
