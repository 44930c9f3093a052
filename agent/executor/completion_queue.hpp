// Finished calls on their way back from the executor threads to the worker's event loop, in batches:
// one post (one wake-up of the event loop) per batch, however many calls finish meanwhile.
#pragma once

#include <functional>
#include <mutex>

#include <boost/asio/io_context.hpp>

namespace spoa::exec {

class Call;

class CompletionQueue {
 public:
  /// `on_batch` runs on `io`'s thread with the calls linked through Call::next, in completion order.
  CompletionQueue(boost::asio::io_context& io, std::function<void(Call* first)> on_batch);
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  /// From an executor thread. Dropped once closed.
  void push(Call& call);
  /// No more batches: later pushes are dropped (threads still stuck in a call at shutdown).
  void close();

 private:
  void deliver();

  boost::asio::io_context& io_;
  std::function<void(Call*)> on_batch_;
  std::mutex mutex_;
  Call* head_ = nullptr;  // guarded by mutex_
  Call* tail_ = nullptr;
  bool posted_ = false;   // a deliver() is on its way
  bool closed_ = false;
};

}  // namespace spoa::exec
