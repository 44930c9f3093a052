// Finished calls on their way back from the executor threads to the worker's event loop, in batches:
// one wake-up of the event loop (a Doorbell ring) per batch, however many calls finish meanwhile.
#pragma once

#include <functional>
#include <mutex>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "agent/executor/doorbell.hpp"

namespace spoa::exec {

class Call;

class CompletionQueue {
 public:
  /// `on_batch` runs on `io`'s thread with the calls linked through Call::next, in completion order.
  CompletionQueue(boost::asio::io_context& io, std::function<void(Call* first)> on_batch);
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  /// Starts listening for pushes: on `io`'s thread, once `io` is constructed, before the first push
  /// (the worker builds its scheduler before its event loop). Idempotent.
  void listen();
  /// From an executor thread. Dropped once closed. `wake`: wake the event loop now if it has not been
  /// already; false: the caller calls wake() soon (at the end of its own loop's turn), so that one
  /// wake-up carries the calls completed in a burst.
  void push(Call& call, bool wake = true);
  /// Wakes the event loop for what was pushed. Any thread.
  void wake();
  /// No more batches: later pushes are dropped (threads still stuck in a call at shutdown).
  void close();

 private:
  void deliver();

  boost::asio::io_context& io_;
  std::function<void(Call*)> on_batch_;
  std::optional<Doorbell> bell_;  // set by listen(), before any executor thread exists
  std::mutex mutex_;
  Call* head_ = nullptr;  // guarded by mutex_
  Call* tail_ = nullptr;
  bool posted_ = false;   // a deliver() is on its way
  bool closed_ = false;
};

}  // namespace spoa::exec
