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

namespace boost::asio {
class io_context;
}

namespace spoa::exec {

class Call;
class CallScheduler;
class ExecutorLane;
class Lane;
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
/// `running` answers the call; the loser does not. A call whose handler waits (suspended by its engine)
/// stays `running`.
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

  // --- where the call runs now (one thread at a time) ---
  CallScheduler* scheduler = nullptr;
  Lane* lane = nullptr;               ///< the lane running it: an executor lane, or an engine's loop
  ExecutorLane* executor = nullptr;   ///< `lane` when it is an executor lane (else null)
  LoopLane* loop_lane = nullptr;      ///< `lane` when it is an engine's loop (else null)
  unsigned thread = 0;                ///< the executor thread (0 on an engine's loop)
  std::uint32_t tag = 0;              ///< the running message's metrics slot
  std::chrono::steady_clock::time_point deadline_at = std::chrono::steady_clock::time_point::max();

  // --- a handler that finishes later (CallResult::Kind::pending) ---
  /// The engine's handle on this call (CallInfo::pending), on the thread where its handler waits: an
  /// executor thread's event loop (Lua) or an engine's own loop (Python). Then the scheduler runs the
  /// call's next message or completes it.
  class Pending final : public PendingCall {
   public:
    void finish(CallResult result) noexcept override;  // resumes the call (call_scheduler.cpp)
    boost::asio::io_context* thread_loop() noexcept override;
    std::chrono::steady_clock::time_point deadline() const noexcept override { return call->deadline_at; }
    void in_context(void (*fn)(void*), void* arg) override;
    Call* call = nullptr;
  } pending;

  // --- shared between the I/O thread and the executor running it ---
  std::atomic<CallState> state{CallState::queued};
  /// When the running message started (steady clock, ns); its budget counts from there.
  std::atomic<std::int64_t> message_started{0};
  /// Set by the I/O thread at each submit, so that a late cancellation cannot hit a reused Call.
  std::atomic<std::uint64_t> serial{0};
  /// Set by the I/O thread: the call's connection is gone (or its budget ran out). A handler waiting
  /// is cancelled; the call's later handlers on an engine's loop are skipped.
  std::atomic<bool> cancelled{false};
  /// While its handler waits: the event loop of the thread where it waits (else null). Written by that
  /// thread only; the I/O thread reads it to post the cancellation there.
  std::atomic<boost::asio::io_context*> waiting_on{nullptr};
  /// Why its waiting handler is being cancelled: its budget ended (the I/O thread took the call over),
  /// or its connection went away.
  CallResult::Kind cancel_reason() const noexcept {
    return state.load(std::memory_order_acquire) == CallState::expired ? CallResult::Kind::timeout
                                                                        : CallResult::Kind::cancelled;
  }

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
