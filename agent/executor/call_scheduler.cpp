// CallScheduler (see call_scheduler.hpp): hand-off, the executors' run loop, completions and budgets.
#include "agent/executor/call_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

#include "agent/logging.hpp"

namespace spoa::exec {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A message past its budget gets this long to be stopped by its engine (which then reports the
// timeout itself) before the I/O thread answers in its place.
constexpr std::chrono::milliseconds takeover_grace{10};

std::int64_t steady_ns(SteadyClock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string_view outcome_name(CallResult::Kind k) {
  switch (k) {
    case CallResult::Kind::ok: return "ok";
    case CallResult::Kind::script_error: return "script error";
    case CallResult::Kind::timeout: return "call budget exceeded";
    case CallResult::Kind::out_of_memory: return "out of memory";
    case CallResult::Kind::pending: return "pending";
    case CallResult::Kind::cancelled: return "cancelled";
  }
  return "?";
}

// The arguments of the message being run, per executor thread: reused, no allocation per call.
thread_local std::vector<spop::Argument> t_arguments;
/// On an executor thread: calls that completed in this turn of its event loop wait for one wake-up of
/// the I/O thread at the turn's end (see CallScheduler::complete).
thread_local bool t_resuming = false;
thread_local bool t_wake_owed = false;

}  // namespace

CallScheduler::CallScheduler(boost::asio::io_context& io, const SchedulerSettings& settings,
                             metrics::WorkerMeter meter)
    : io_(io),
      settings_(settings),
      meter_(meter),
      current_(std::make_unique<ScriptSet>()),
      completions_(io, [this](Call* first) { on_completed(first); }) {
  settings_.threads = std::max(settings_.threads, 1u);
  settings_.max_calls = std::max<std::size_t>(settings_.max_calls, 1);
}

CallScheduler::~CallScheduler() {
  stop(std::chrono::milliseconds(1000));
  if (stuck_) {
    // Threads still in a handler use their lane, their call and its scripts: never free those.
    for (auto& lane : lanes_) (void)lane.release();
    for (auto& lane : loop_lanes_) (void)lane.release();
    for (auto& call : calls_) (void)call.release();
    (void)current_.release();
    for (auto& set : retired_) (void)set.release();
    return;
  }
  // The scripts before the lanes: handlers still waiting at exit hold timers and sockets of their
  // thread's event loop, which must outlive them.
  retired_.clear();
  current_.reset();
}

// --- scripts -----------------------------------------------------------------------------------

ExecutorLane& CallScheduler::lane_for(const LanguageEngines& language) {
  for (auto& lane : lanes_) {
    if (lane->name() == language.language) return *lane;
  }
  const unsigned threads = language.model == ThreadModel::single ? 1 : settings_.threads;
  lanes_.push_back(std::make_unique<ExecutorLane>(
      std::string(language.language), threads,
      [this](Call& call, ExecutorLane& lane, unsigned thread) {
        call.executor = &lane;
        call.loop_lane = nullptr;
        run(call, lane, thread);
      }));
  return *lanes_.back();
}

LoopLane* CallScheduler::loop_lane_for(const LanguageEngines& language, const Dispatcher& dispatcher) {
  EventLoop* loop = language.primary->event_loop();
  if (loop == nullptr || !dispatcher.any_on_loop()) return nullptr;
  for (auto& lane : loop_lanes_) {
    if (&lane->loop() == loop) return lane.get();
  }
  loop_lanes_.push_back(std::make_unique<LoopLane>(std::string(language.language) + "-loop", *loop,
                                                   [this](Call& call, LoopLane& lane) {
                                                     call.executor = nullptr;
                                                     call.loop_lane = &lane;
                                                     run(call, lane, 0);
                                                   }));
  return loop_lanes_.back().get();
}

void CallScheduler::install(std::unique_ptr<ScriptSet> scripts) {
  completions_.listen();  // before the first executor thread can answer
  // Lanes first: if threads cannot start, nothing changed.
  for (auto& language : scripts->languages()) {
    language.lane = &lane_for(language);
    language.loop_lane = loop_lane_for(language, scripts->dispatcher());
  }
  if (current_->calls > 0) retired_.push_back(std::move(current_));
  current_ = std::move(scripts);  // an idle previous set is freed here
}

// --- hand-off (I/O thread) ---------------------------------------------------------------------

Call& CallScheduler::acquire() {
  if (free_ == nullptr) {
    calls_.push_back(std::make_unique<Call>());
    return *calls_.back();
  }
  Call* call = free_;
  free_ = call->next;
  call->next = nullptr;
  return *call;
}

bool CallScheduler::submit(Call& call, CallOwner& owner) {
  const Dispatcher& dispatcher = current_->dispatcher();
  const Engine* engine = nullptr;
  bool on_loop = false;
  std::uint32_t tag = 0;
  for (; call.cursor != call.messages.end(); ++call.cursor) {
    engine = dispatcher.find(call.cursor->name(), tag, on_loop);
    if (engine != nullptr) break;
    meter_.unhandled_message();
  }
  if (engine == nullptr) return false;
  call.owner = &owner;
  call.scripts = current_.get();
  call.serial.store(++next_serial_, std::memory_order_relaxed);
  call.scheduler = this;
  ++current_->calls;
  if (meter_.on()) call.submitted = SteadyClock::now();  // for spoa_call_wait_seconds only
  link(call);
  const LanguageEngines& language = current_->languages()[current_->language_of(engine)];
  Lane* lane = on_loop && language.loop_lane != nullptr ? static_cast<Lane*>(language.loop_lane) : language.lane;
  auto it = std::find_if(pending_.begin(), pending_.end(), [lane](const Pending& p) { return p.lane == lane; });
  if (it == pending_.end()) {
    pending_.push_back({lane, &call, &call, 1});
    return true;
  }
  it->last->next = &call;
  it->last = &call;
  ++it->count;
  return true;
}

void CallScheduler::discard(Call& call) noexcept {
  call.reset();
  call.next = free_;
  free_ = &call;
}

void CallScheduler::flush() {
  for (auto& p : pending_) p.lane->push(p.first, p.last, p.count);
  pending_.clear();
}

void CallScheduler::flush_soon() {
  if (pending_.empty() || flush_posted_) return;
  flush_posted_ = true;
  // From the loop's own thread: a post is a push on its private queue (no lock, no wake-up).
  boost::asio::post(io_, [this] {
    flush_posted_ = false;
    flush();
  });
}

void CallScheduler::forget(CallOwner& owner) noexcept {
  for (Call* c = live_; c != nullptr; c = c->live_next) {
    if (c->owner != &owner) continue;
    c->owner = nullptr;
    request_cancel(*c);
  }
  auto it = std::find(touched_.begin(), touched_.end(), &owner);
  if (it != touched_.end()) touched_.erase(it);
}

void CallScheduler::cancel_calls_of(CallOwner& owner) noexcept {
  for (Call* c = live_; c != nullptr; c = c->live_next) {
    if (c->owner == &owner) request_cancel(*c);
  }
}

// --- the executors -----------------------------------------------------------------------------

void CallScheduler::run(Call& call, Lane& lane, unsigned thread) {
  auto expected = CallState::queued;
  if (call.state.compare_exchange_strong(expected, CallState::running, std::memory_order_acq_rel) && meter_.on()) {
    meter_.call_wait(SteadyClock::now() - call.submitted);
  }
  call.lane = &lane;
  call.thread = thread;
  run_messages(call);
}

void CallScheduler::run_messages(Call& call) {
  ScriptSet& scripts = *call.scripts;
  const Dispatcher& dispatcher = scripts.dispatcher();
  for (; call.cursor != call.messages.end(); ++call.cursor) {
    if (call.state.load(std::memory_order_acquire) == CallState::expired) break;  // answered already
    const spop::MessageView& message = *call.cursor;
    LogScope scope(LogContext::of_frame(call.connection, call.stream_id, call.frame_id, message.name()));
    std::uint32_t tag = metrics::WorkerMeter::no_slot;
    bool on_loop = false;
    const Engine* primary = dispatcher.find(message.name(), tag, on_loop);
    if (primary == nullptr) {
      meter_.unhandled_message();
      spdlog::debug("no handler for this message");
      continue;
    }
    const LanguageEngines& language = scripts.languages()[scripts.language_of(primary)];
    LoopLane* loop_lane = on_loop ? language.loop_lane : nullptr;
    Lane* target = loop_lane != nullptr ? static_cast<Lane*>(loop_lane) : language.lane;
    if (target != call.lane) {
      target->push(&call, &call, 1);  // the next message runs elsewhere (another language, or a loop)
      return;
    }
    if (loop_lane != nullptr && call.cancelled.load(std::memory_order_seq_cst)) {
      spdlog::debug("not started: the connection closed");
      continue;
    }
    message.arguments(t_arguments);
    // Every call may finish later: on an executor thread a handler may wait on the thread's event loop
    // (Lua), on an engine's loop it runs as a coroutine there (Python).
    const CallInfo info{message.name(), call.stream_id, call.frame_id, &call.pending};
    call.tag = tag;
    const auto started = SteadyClock::now();
    call.deadline_at = settings_.call_budget.count() > 0 ? started + settings_.call_budget : SteadyClock::time_point::max();
    call.message_started.store(steady_ns(started), std::memory_order_release);
    CallResult r = language.for_thread(call.thread).call(info, t_arguments, *call.builder);
    if (r.kind == CallResult::Kind::pending) {
      if (call.executor != nullptr || call.loop_lane != nullptr) {
        wait_started(call);
        return;  // its engine finishes it later, on this thread: resume()
      }
      r = {CallResult::Kind::script_error, "the engine left a call pending without an event loop to finish it"};
    }
    message_ended(call, r);
  }
  complete(call);
}

void Call::Pending::finish(CallResult result) noexcept { call->scheduler->resume(*call, std::move(result)); }

void CallScheduler::wait_started(Call& call) {
  if (call.loop_lane != nullptr) {
    // An engine's loop: cancellations reach the handler through LoopLane::cancel (PendingCall::cancel).
    call.loop_lane->hold();  // the budget keeps counting from message_started
    return;
  }
  call.executor->note_waiting(call.thread, 1);
  boost::asio::io_context& loop = call.executor->context(call.thread);
  // Either this thread sees the cancellation requested before it published where the call waits, or
  // the I/O thread sees where it waits (sequentially consistent on both sides): a request is never lost.
  call.waiting_on.store(&loop, std::memory_order_seq_cst);
  if (call.cancelled.load(std::memory_order_seq_cst)) post_cancel(loop, call);
}

void CallScheduler::resume(Call& call, CallResult result) {
  LoopLane* loop_lane = call.loop_lane;  // before run_messages(): the call may move to another lane
  // On an executor thread, this runs in a handler of its loop: completions wait for the turn's end.
  struct Resuming {
    bool before = t_resuming;
    explicit Resuming(bool on_executor) { t_resuming = t_resuming || on_executor; }
    ~Resuming() { t_resuming = before; }
    Resuming(const Resuming&) = delete;
    Resuming& operator=(const Resuming&) = delete;
  } resuming(call.executor != nullptr);
  if (call.executor != nullptr) {
    call.waiting_on.store(nullptr, std::memory_order_seq_cst);
    call.executor->note_waiting(call.thread, -1);
  }
  {
    LogScope scope(LogContext::of_frame(call.connection, call.stream_id, call.frame_id, call.cursor->name()));
    message_ended(call, result);
  }
  if (result.kind == CallResult::Kind::cancelled) {
    complete(call);  // its connection is gone: the messages after this one do not run either
  } else {
    ++call.cursor;
    run_messages(call);
  }
  if (loop_lane != nullptr) loop_lane->unhold();  // after: stop() must not return while this thread uses the call
}

void CallScheduler::message_ended(Call& call, const CallResult& result) {
  const std::int64_t started = call.message_started.exchange(0, std::memory_order_acq_rel);
  if (meter_.on()) meter_.call(call.tag, std::chrono::nanoseconds(steady_ns(SteadyClock::now()) - started), result.kind);
  if (result.kind == CallResult::Kind::cancelled) {
    spdlog::debug("{}: {}", outcome_name(result.kind), result.detail);  // its connection went away: nobody waits for it
  } else if (!result.ok()) {
    spdlog::error("{}: {}", outcome_name(result.kind), result.detail);
  }
}

void CallScheduler::request_cancel(Call& call) noexcept {
  call.cancelled.store(true, std::memory_order_seq_cst);
  if (call.state.load(std::memory_order_acquire) == CallState::done) return;
  // Waiting on an executor thread's loop (Lua): the cancellation runs there.
  if (boost::asio::io_context* loop = call.waiting_on.load(std::memory_order_seq_cst)) post_cancel(*loop, call);
  // Pending (or about to start) on an engine's loop (Python): the lane hands it to the engine there.
  if (!call.scripts->dispatcher().any_on_loop()) return;
  for (const auto& language : call.scripts->languages()) {
    if (language.loop_lane == nullptr) continue;
    try {
      language.loop_lane->cancel(call);
    } catch (...) {  // no memory for the request: the handler ends when its wait does
    }
  }
}

void CallScheduler::post_cancel(boost::asio::io_context& loop, Call& call) noexcept {
  const std::uint64_t serial = call.serial.load(std::memory_order_relaxed);
  try {
    boost::asio::post(loop, [&call, &loop, serial] {
      // Still waiting there? (It may have finished, and the Call been reused, since the post.) Only
      // this thread clears waiting_on, and a call waiting here is not released, so the rest is stable.
      if (call.waiting_on.load(std::memory_order_acquire) != &loop) return;
      if (call.serial.load(std::memory_order_relaxed) != serial) return;
      PendingCall& pending = call.pending;
      if (pending.cancel != nullptr) pending.cancel(pending.cancel_context, call.cancel_reason());
    });
  } catch (...) {  // no memory for the handler: the call ends when its wait does
  }
}

void CallScheduler::complete(Call& call) {
  auto state = call.state.load(std::memory_order_acquire);
  // queued: every message of the call was unhandled after all (a reload cannot cause that, the set is
  // fixed per call, but a hop may find the call expired); running: the normal end.
  while (state != CallState::expired &&
         !call.state.compare_exchange_weak(state, CallState::done, std::memory_order_acq_rel)) {
  }
  if (!t_resuming) {
    completions_.push(call);
    return;
  }
  // Resumed by an event of the executor thread's loop (a socket, a timer), among others ready in the
  // same turn: wake the I/O thread once, at the turn's end, rather than per call (it would preempt
  // this thread at once on a shared CPU and take one ACK at a time).
  completions_.push(call, false);
  if (t_wake_owed) return;
  t_wake_owed = true;
  try {
    boost::asio::post(call.executor->context(call.thread), [this] {
      t_wake_owed = false;
      completions_.wake();
    });
  } catch (...) {
    t_wake_owed = false;
    completions_.wake();
  }
}

// --- completions (I/O thread) ------------------------------------------------------------------

void CallScheduler::on_completed(Call* first) {
  for (Call* call = first; call != nullptr;) {
    Call* next = call->next;
    if (call->state.load(std::memory_order_acquire) == CallState::done) answer(*call);
    release(*call);
    call = next;
  }
  flush_owners();
  if (on_room_) on_room_();
}

void CallScheduler::answer(Call& call) {
  if (call.owner == nullptr) return;  // its connection is gone
  call.owner->call_answered(call);
  if (!call.owner->flush_noted) {
    call.owner->flush_noted = true;
    touched_.push_back(call.owner);
  }
}

void CallScheduler::flush_owners() {
  // owner_flush() may end a connection, which calls forget() and edits touched_: take the list first.
  std::vector<CallOwner*> owners;
  owners.swap(touched_);
  for (CallOwner* owner : owners) owner->flush_noted = false;
  for (CallOwner* owner : owners) {
    // Skip owners forgotten by an earlier owner_flush() of this loop (none today: flushing never
    // ends a connection synchronously).
    owner->owner_flush();
  }
  owners.clear();
  if (touched_.empty()) touched_.swap(owners);  // keep the capacity
}

void CallScheduler::release(Call& call) {
  unlink(call);
  ScriptSet* set = call.scripts;
  call.reset();
  call.next = free_;
  free_ = &call;
  if (set != nullptr && --set->calls == 0 && set != current_.get()) {
    auto it = std::find_if(retired_.begin(), retired_.end(), [set](const auto& s) { return s.get() == set; });
    if (it != retired_.end()) retired_.erase(it);  // the old scripts' last call: free them
  }
}

void CallScheduler::link(Call& call) noexcept {
  call.live_prev = nullptr;
  call.live_next = live_;
  if (live_ != nullptr) live_->live_prev = &call;
  live_ = &call;
  ++live_count_;
}

void CallScheduler::unlink(Call& call) noexcept {
  if (call.live_prev != nullptr) {
    call.live_prev->live_next = call.live_next;
  } else {
    live_ = call.live_next;
  }
  if (call.live_next != nullptr) call.live_next->live_prev = call.live_prev;
  call.live_prev = call.live_next = nullptr;
  --live_count_;
}

void CallScheduler::tick(SteadyClock::time_point now) {
  const bool budgeted = settings_.call_budget.count() > 0;
  const std::int64_t limit_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.call_budget + takeover_grace).count();
  const std::int64_t now_ns = steady_ns(now);
  std::int64_t queued = 0;
  std::int64_t running = 0;
  for (Call* call = live_; call != nullptr; call = call->live_next) {
    auto state = call->state.load(std::memory_order_acquire);
    if (state == CallState::queued) {
      ++queued;
      continue;
    }
    if (state != CallState::done) ++running;  // an expired call still holds its thread
    if (state != CallState::running || !budgeted) continue;
    const std::int64_t started = call->message_started.load(std::memory_order_acquire);
    if (started == 0 || now_ns - started < limit_ns) continue;
    if (!call->state.compare_exchange_strong(state, CallState::expired, std::memory_order_acq_rel)) continue;
    LogScope scope(LogContext::of_frame(call->connection, call->stream_id, call->frame_id));
    if (call->waiting_on.load(std::memory_order_acquire) != nullptr) {
      spdlog::warn("call budget exceeded ({} ms): answered with the {} action(s) set so far; the waiting "
                   "handler is cancelled",
                   settings_.call_budget.count(), call->published_actions());
    } else {
      spdlog::warn("call budget exceeded ({} ms): answered with the {} action(s) set so far; the handler "
                   "keeps its executor thread until it returns",
                   settings_.call_budget.count(), call->published_actions());
    }
    answer(*call);
    request_cancel(*call);  // a handler that waits (its engine missed the deadline) stops waiting
  }
  flush_owners();
  meter_.calls_in_progress(queued, running);
}

bool CallScheduler::stop(std::chrono::milliseconds grace) {
  bool all = true;
  const auto deadline = SteadyClock::now() + grace;
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
  };
  // Event loops first: a handler finishing there may still hand its call's next message to a thread.
  for (auto& lane : loop_lanes_) {
    if (!lane->stop(left())) all = false;
  }
  for (auto& lane : lanes_) {
    if (!lane->stop(left())) all = false;
  }
  completions_.close();
  if (!all) stuck_ = true;
  return all;
}

const LoopLane* CallScheduler::loop_lane(std::string_view language) const noexcept {
  for (const auto& lane : loop_lanes_) {
    if (lane->name() == std::string(language) + "-loop") return lane.get();
  }
  return nullptr;
}

const ExecutorLane* CallScheduler::lane(std::string_view language) const noexcept {
  for (const auto& lane : lanes_) {
    if (lane->name() == language) return lane.get();
  }
  return nullptr;
}

}  // namespace spoa::exec
