// ExecutorLane: threads, the shared queue and its wake-up rules (see executor_lane.hpp).
#include "agent/executor/executor_lane.hpp"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <csignal>

#include "agent/executor/call.hpp"

namespace spoa::exec {

ExecutorLane::ExecutorLane(std::string name, unsigned threads, Runner runner)
    : name_(std::move(name)), runner_(std::move(runner)) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) {
    auto t = std::make_unique<Thread>();
    t->index = i;
    Thread* self = t.get();
    t->bell = std::make_unique<Doorbell>(t->io, [this, self] { drain(*self); });
    threads_.push_back(std::move(t));
  }
  for (auto& t : threads_) idle_.push_back(t.get());
  // Executor threads must not take the agent's process-directed signals (SIGTERM, SIGHUP, SIGCHLD: the
  // worker's event loop handles them, and they would interrupt a handler's blocking calls): start them
  // with every signal blocked. The call watchdog unblocks its own signal in each thread that arms it.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  try {
    for (auto& t : threads_) {
      Thread* self = t.get();
      t->thread = std::thread([this, self] { main(*self); });
      const std::string thread_name = (name_ + "-" + std::to_string(self->index)).substr(0, 15);
      pthread_setname_np(t->thread.native_handle(), thread_name.c_str());
    }
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    stop(std::chrono::milliseconds(1000));
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

ExecutorLane::~ExecutorLane() { stop(std::chrono::milliseconds(1000)); }

void ExecutorLane::main(Thread& self) {
  auto work = boost::asio::make_work_guard(self.io);
  self.io.run();
  std::lock_guard lock(mutex_);
  self.exited = true;
  exited_.notify_all();
}

void ExecutorLane::drain(Thread& self) {
  unsigned ran = 0;
  while (Call* call = pop(self)) {
    runner_(*call, *this, self.index);
    if (self.waiting > 0 && ++ran == calls_between_polls) {
      // Calls of this thread wait on its loop: let it run their ready timers and sockets, then come
      // back for the rest of the queue (the thread stays busy, not idle, meanwhile).
      boost::asio::post(self.io, [this, &self] { drain(self); });
      return;
    }
  }
}

ExecutorLane::Thread* ExecutorLane::take_idle() {
  if (searching_ != 0 || idle_.empty() || stopping_) return nullptr;
  Thread* t = idle_.back();  // the most recently idle: its caches are the warmest
  idle_.pop_back();
  t->woken = true;
  ++searching_;
  return t;
}

Call* ExecutorLane::pop(Thread& self) {
  Thread* wake = nullptr;
  Call* call = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (self.woken) {
      self.woken = false;
      --searching_;
    }
    if (stopping_ || head_ == nullptr) {
      idle_.push_back(&self);
      return nullptr;
    }
    call = head_;
    head_ = call->next;
    if (head_ == nullptr) tail_ = nullptr;
    --size_;
    call->next = nullptr;
    if (head_ != nullptr) wake = take_idle();
  }
  if (wake != nullptr) wake->bell->ring();
  return call;
}

void ExecutorLane::push(Call* first, Call* last, std::size_t count) {
  if (first == nullptr) return;
  Thread* wake = nullptr;
  {
    std::lock_guard lock(mutex_);
    last->next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = first;
    } else {
      head_ = first;
    }
    tail_ = last;
    size_ += count;
    wake = take_idle();
  }
  if (wake != nullptr) wake->bell->ring();
}

std::size_t ExecutorLane::queued() const {
  std::lock_guard lock(mutex_);
  return size_;
}

bool ExecutorLane::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return true;
    stopping_ = true;
  }
  // Through the loop rather than io.stop() at once: what was posted before (the cancellations of calls
  // that wait) runs first.
  for (auto& t : threads_) {
    try {
      boost::asio::post(t->io, [io = &t->io] { io->stop(); });
    } catch (...) {
      t->io.stop();
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  bool all = true;
  {
    std::unique_lock lock(mutex_);
    exited_.wait_until(lock, deadline, [this] {
      for (auto& t : threads_) {
        if (t->thread.joinable() && !t->exited) return false;
      }
      return true;
    });
    for (auto& t : threads_) {
      if (t->thread.joinable() && !t->exited) all = false;
    }
    stopped_ = true;
  }
  for (auto& t : threads_) {
    if (!t->thread.joinable()) continue;
    bool exited = false;
    {
      std::lock_guard lock(mutex_);
      exited = t->exited;
    }
    if (exited) {
      t->thread.join();
    } else {
      t->thread.detach();  // stuck in a handler: the process ends without it
    }
  }
  return all;
}

}  // namespace spoa::exec
