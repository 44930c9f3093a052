// LoopLane (see loop_lane.hpp).
#include "agent/executor/loop_lane.hpp"

#include "agent/executor/call.hpp"

namespace spoa::exec {

LoopLane::LoopLane(std::string name, EventLoop& loop, Runner runner)
    : name_(std::move(name)), loop_(loop), runner_(std::move(runner)) {}

LoopLane::~LoopLane() { stop(std::chrono::milliseconds(1000)); }

void LoopLane::push(Call* first, Call* last, std::size_t count) {
  if (first == nullptr) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    last->next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = first;
    } else {
      head_ = first;
    }
    tail_ = last;
    size_ += count;
    if (posted_) return;  // the task on its way takes these too
    posted_ = true;
  }
  post_locked_out();
}

void LoopLane::cancel(Call& call) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && held_ == 0) return;
    cancels_.push_back({&call, call.serial.load(std::memory_order_relaxed)});
    if (posted_) return;
    posted_ = true;
  }
  post_locked_out();
}

void LoopLane::post_locked_out() {
  if (loop_.post(&LoopLane::on_post, this)) return;
  // The loop has stopped: nothing queued will ever run there.
  std::lock_guard lock(mutex_);
  posted_ = false;
  idle_.notify_all();
}

void LoopLane::on_post(void* self) noexcept { static_cast<LoopLane*>(self)->drain(); }

void LoopLane::drain() {
  Call* first = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) first = head_;
    head_ = tail_ = nullptr;
    size_ = 0;
    taking_.swap(cancels_);
  }
  // Cancellations first: a call whose connection closed before it started is skipped by the runner
  // (Call::cancelled), one already pending is stopped here.
  for (const Cancel& c : taking_) {
    if (c.call->serial.load(std::memory_order_relaxed) != c.serial) continue;  // finished and reused
    PendingCall& pending = c.call->pending;
    if (pending.cancel != nullptr) pending.cancel(pending.cancel_context, c.call->cancel_reason());
  }
  taking_.clear();
  for (Call* call = first; call != nullptr;) {
    Call* next = call->next;
    call->next = nullptr;
    runner_(*call, *this);
    call = next;
  }
  std::lock_guard lock(mutex_);
  if (head_ != nullptr || !cancels_.empty()) {
    // More came while this batch ran: the loop runs this task again rather than waking once more.
    if (loop_.post(&LoopLane::on_post, this)) return;
  }
  posted_ = false;
  idle_.notify_all();
}

std::size_t LoopLane::queued() const {
  std::lock_guard lock(mutex_);
  return size_;
}

void LoopLane::hold() noexcept {
  std::lock_guard lock(mutex_);
  ++held_;
}

void LoopLane::unhold() noexcept {
  std::lock_guard lock(mutex_);
  --held_;
  if (held_ == 0) idle_.notify_all();
}

std::size_t LoopLane::pending() const {
  std::lock_guard lock(mutex_);
  return held_;
}

bool LoopLane::stop(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  return idle_.wait_for(lock, grace, [this] { return held_ == 0 && !posted_; });
}

}  // namespace spoa::exec
