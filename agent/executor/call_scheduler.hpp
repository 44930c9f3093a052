// The execution model of a worker: its event loop (the I/O thread) never runs script code. A NOTIFY
// whose messages have handlers becomes a Call, handed to the executor threads of its language; its ACK
// comes back when the call completes (in completion order) or when its budget expires. Everything here
// except run() is used on the worker's I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/executor/call.hpp"
#include "agent/executor/completion_queue.hpp"
#include "agent/executor/executor_lane.hpp"
#include "agent/executor/loop_lane.hpp"
#include "agent/executor/script_set.hpp"
#include "agent/metrics_meter.hpp"

namespace spoa::exec {

struct SchedulerSettings {
  unsigned threads = 8;          ///< executor threads per language (--threads); PHP always gets 1
  std::size_t max_calls = 1024;  ///< calls in progress (queued + running) before connections stop reading
  std::chrono::milliseconds call_budget{1000};  ///< per message; 0 = unlimited
};

class CallScheduler {
 public:
  CallScheduler(boost::asio::io_context& io, const SchedulerSettings& settings, metrics::WorkerMeter meter);
  ~CallScheduler();
  CallScheduler(const CallScheduler&) = delete;
  CallScheduler& operator=(const CallScheduler&) = delete;

  // --- scripts ---
  /// Makes `scripts` the current set: new calls run on it; calls in progress finish on the set they
  /// started on, which is freed with its last call. Starts the executor threads of new languages.
  /// Throws std::system_error if threads cannot start (the current set is then unchanged).
  void install(std::unique_ptr<ScriptSet> scripts);
  ScriptSet& current() noexcept { return *current_; }
  /// Some script registered a message (else every NOTIFY is answered inline with an empty ACK).
  bool has_handlers() const noexcept { return !current_->dispatcher().empty(); }

  // --- calls ---
  /// A pooled call to prepare() and submit().
  Call& acquire();
  /// Queues a prepared call for the executors of its first handled message's language; false (and
  /// nothing queued) when no message has a handler: give the call back with discard() and answer the
  /// NOTIFY at once. Calls are handed over by flush(): submit all calls of a read, then flush once.
  bool submit(Call& call, CallOwner& owner);
  void discard(Call& call) noexcept;
  void flush();
  /// flush() at the end of this turn of the event loop, after the other ready handlers (the reads of
  /// other connections): the executors are woken once for all the calls that arrived together, not once
  /// per connection (a woken thread sharing the CPU would preempt the loop and take a handful each time).
  void flush_soon();
  /// `owner` is going away: its calls complete unanswered; a handler of theirs that waits (on an
  /// executor thread's loop or an engine's loop) is cancelled, and their handlers not started on an
  /// engine's loop are skipped.
  void forget(CallOwner& owner) noexcept;
  /// `owner` will write nothing more (its connection is closing): the calls of its handlers that wait
  /// are cancelled (they end at once, with CallResult::Kind::cancelled); their answers still come.
  void cancel_calls_of(CallOwner& owner) noexcept;

  std::size_t in_progress() const noexcept { return live_count_; }
  bool at_limit() const noexcept { return live_count_ >= settings_.max_calls; }
  /// Runs when calls complete while connections may be paused by the limit (and at each completion
  /// batch): a connection that stopped reading checks again.
  void on_room(std::function<void()> callback) { on_room_ = std::move(callback); }

  /// Budgets (a running message past call_budget is answered now with what it set so far) and the
  /// metrics gauges. Call every few tens of ms.
  void tick(std::chrono::steady_clock::time_point now);

  /// Stops the executor threads (after their current call), waiting up to `grace`. False if some
  /// are stuck in a call: they are left running, and what they use is never freed.
  bool stop(std::chrono::milliseconds grace);
  /// No more answers are delivered: the I/O thread stops listening for them, so that its loop can
  /// run out of work and end (a call stuck in a handler would otherwise keep it alive). At shutdown.
  void stop_answering() { completions_.close(); }

  /// Replaced script sets still running calls (freed with their last call).
  std::size_t retired_sets() const noexcept { return retired_.size(); }
  /// The lane of `language`, if its threads run (tests and metrics).
  const ExecutorLane* lane(std::string_view language) const noexcept;
  /// The event-loop lane of `language`, if it has one (tests).
  const LoopLane* loop_lane(std::string_view language) const noexcept;

  /// On the thread where `call`'s handler waited (an executor thread, or an engine's loop): its engine
  /// finished it (Call::finished(), PendingCall::finish()): the call goes on with its next message.
  void resume(Call& call, CallResult result);

 private:
  friend class Call::Pending;
  ExecutorLane& lane_for(const LanguageEngines& language);
  LoopLane* loop_lane_for(const LanguageEngines& language, const Dispatcher& dispatcher);
  /// On an executor thread (or an engine's loop thread, thread 0): runs the call's messages that
  /// belong to `lane`, then hands it to the next message's lane or completes it. A handler that
  /// finishes later (CallResult::Kind::pending) stops this; resume() goes on when it finishes.
  void run(Call& call, Lane& lane, unsigned thread);
  /// On the call's thread: runs its messages from the cursor on.
  void run_messages(Call& call);
  /// Metrics and the log record of a message that ended.
  void message_ended(Call& call, const CallResult& result);
  /// The engine left the running message waiting: note where (for cancellations).
  void wait_started(Call& call);
  /// I/O thread: `call`'s connection is gone or its budget ended: cancels the handler that waits (if
  /// one does) where it waits, and skips its handlers not started on an engine's loop.
  void request_cancel(Call& call) noexcept;
  void post_cancel(boost::asio::io_context& loop, Call& call) noexcept;
  void complete(Call& call);
  void on_completed(Call* first);
  void answer(Call& call);  // commit through the owner and note it for owner_flush()
  void flush_owners();
  void release(Call& call);
  void link(Call& call) noexcept;
  void unlink(Call& call) noexcept;

  boost::asio::io_context& io_;
  SchedulerSettings settings_;
  metrics::WorkerMeter meter_;
  std::unique_ptr<ScriptSet> current_;
  std::vector<std::unique_ptr<ScriptSet>> retired_;  // replaced sets still running calls
  std::vector<std::unique_ptr<ExecutorLane>> lanes_;
  std::vector<std::unique_ptr<LoopLane>> loop_lanes_;
  CompletionQueue completions_;
  std::vector<std::unique_ptr<Call>> calls_;  // every Call ever made (the pool owns them)
  Call* free_ = nullptr;
  Call* live_ = nullptr;  // calls in progress
  std::size_t live_count_ = 0;
  std::uint64_t next_serial_ = 0;
  bool flush_posted_ = false;  // a flush_soon() is on its way
  struct Pending {
    Lane* lane = nullptr;
    Call* first = nullptr;
    Call* last = nullptr;
    std::size_t count = 0;
  };
  std::vector<Pending> pending_;      // submitted, not yet flushed: one batch per lane
  std::vector<CallOwner*> touched_;   // owners answered in this batch
  std::function<void()> on_room_;
  bool stuck_ = false;  // stop() left threads running: leak what they may touch
};

}  // namespace spoa::exec
