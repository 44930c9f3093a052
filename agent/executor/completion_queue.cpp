// CompletionQueue (see completion_queue.hpp).
#include "agent/executor/completion_queue.hpp"

#include "agent/executor/call.hpp"

namespace spoa::exec {

CompletionQueue::CompletionQueue(boost::asio::io_context& io, std::function<void(Call*)> on_batch)
    : io_(io), on_batch_(std::move(on_batch)) {}

void CompletionQueue::listen() {
  if (!bell_) bell_.emplace(io_, [this] { deliver(); });
}

void CompletionQueue::push(Call& call, bool wake) {
  bool post = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    call.next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = &call;
    } else {
      head_ = &call;
    }
    tail_ = &call;
    post = wake && !posted_;
    posted_ = posted_ || post;
  }
  if (post && bell_) bell_->ring();
}

void CompletionQueue::wake() {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || posted_ || head_ == nullptr) return;
    posted_ = true;
  }
  if (bell_) bell_->ring();
}

void CompletionQueue::deliver() {
  Call* first = nullptr;
  {
    std::lock_guard lock(mutex_);
    first = head_;
    head_ = tail_ = nullptr;
    posted_ = false;
    if (closed_) return;
  }
  if (first != nullptr) on_batch_(first);
}

void CompletionQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  if (bell_) bell_->stop();
}

}  // namespace spoa::exec
