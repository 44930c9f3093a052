// One call: a NOTIFY handed from a connection (on the worker's I/O thread) to the executor threads,
// which run its messages and build its ACK, and back. Calls are pooled: their buffers are reused.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "agent/engines/engine.hpp"
#include "spop/ack_builder.hpp"
#include "spop/notify.hpp"

namespace spoa::exec {

class Call;
class CallScheduler;
class LoopLane;
class ScriptSet;

/// Who gets a call's ACK: a connection. Called on the I/O thread only.
class CallOwner {
 public:
  /// The ACK of `call` is ready: call.ack_frame() (the call completed, or its budget expired and
  /// the ACK carries the actions completed so far). Commit it; write later, in owner_flush().
  virtual void call_answered(Call& call) = 0;
  /// Called once after a batch of call_answered(): write what was committed.
  virtual void owner_flush() = 0;

  bool flush_noted = false;  ///< in the scheduler's list for owner_flush() (scheduler use only)

 protected:
  ~CallOwner() = default;
};

/// Where a call stands. queued -> running -> done is the executors' path; running -> expired is the
/// I/O thread taking the call over at its deadline. Whoever wins the compare-and-swap out of
/// `running` answers the call; the loser does not.
enum class CallState : std::uint8_t { queued, running, done, expired };

class Call {
 public:
  Call() { pending.call = this; }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  /// Copies the NOTIFY payload (so that the views outlive the read buffer) and opens the ACK, in a
  /// buffer reserved at the full frame size so that it never moves while an executor appends to it.
  void prepare(std::uint64_t connection, std::uint64_t stream_id, std::uint64_t frame_id,
               const spop::NotifyView& messages, std::uint32_t frame_size);
  /// Back to the pool: drops the builder (buffers keep their capacity).
  void reset() noexcept;

  /// The ACK frame with the actions published so far (LEN not yet written: commit_ack(frame) sets it).
  std::span<const std::byte> ack_frame() const noexcept {
    return {ack_base_, published_.load(std::memory_order_acquire)};
  }
  std::size_t published_actions() const noexcept { return actions_.load(std::memory_order_relaxed); }

  // --- set by the I/O thread before the hand-off, read-only afterwards ---
  CallOwner* owner = nullptr;  ///< I/O thread only; null once its connection is gone
  std::uint64_t connection = 0;
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  spop::NotifyView messages;  ///< over payload_
  ScriptSet* scripts = nullptr;  ///< the script generation this call runs on, wholly
  std::chrono::steady_clock::time_point submitted{};  ///< set only with metrics on

  // --- the executors' (one at a time: hand-offs go through a queue's mutex) ---
  spop::NotifyView::iterator cursor;  ///< the next message to run
  std::optional<spop::AckBuilder> builder;

  // --- a message whose handler runs on an engine's event loop (LoopLane) ---
  /// The engine's handle on this call while such a handler is pending (loop thread).
  class Pending final : public PendingCall {
   public:
    void finish(CallResult result) noexcept override;  // resumes the call (call_scheduler.cpp)
    Call* call = nullptr;
    CallScheduler* scheduler = nullptr;
    LoopLane* lane = nullptr;       ///< the lane it runs on
    std::uint32_t tag = 0;          ///< the message's metrics slot
  } pending;
  /// Set by the I/O thread at each submit, so that a late cancellation cannot hit a reused Call.
  std::atomic<std::uint64_t> serial{0};
  /// Its connection is gone (I/O thread sets it): event-loop handlers not started yet are skipped.
  std::atomic<bool> cancelled{false};

  // --- shared between the I/O thread and the executor running it ---
  std::atomic<CallState> state{CallState::queued};
  /// When the running message started (steady clock, ns); its budget counts from there.
  std::atomic<std::int64_t> message_started{0};

  // --- links ---
  Call* next = nullptr;       ///< in a lane's queue, the completion batch, or the free list
  Call* live_prev = nullptr;  ///< the scheduler's list of calls in progress (I/O thread)
  Call* live_next = nullptr;

 private:
  static void on_action(void* self, std::size_t frame_end) noexcept;

  std::vector<std::byte> payload_;
  std::vector<std::byte> ack_;
  const std::byte* ack_base_ = nullptr;  // ack_.data(), taken before the hand-off
  std::atomic<std::size_t> published_{0};  // end of the complete actions in ack_ (release-stored)
  std::atomic<std::size_t> actions_{0};
};

}  // namespace spoa::exec
