// One coroutine per connection: read into a flat buffer, feed the state machine, hand every NOTIFY
// with a handler to the executor threads as a call (answering the others at once), write the ACKs of
// a read in one write. ACKs of calls come back in batches from the worker's CallScheduler and leave in
// completion order. Timers, completions and shutdown wake the coroutine by cancelling its pending read
// or its wait.
#include "agent/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <tuple>
#include <variant>
#include <vector>

#include "agent/asio_tuple.hpp"
#include "agent/dispatcher.hpp"
#include "agent/executor/call_scheduler.hpp"
#include "agent/logging.hpp"
#include "agent/recorder.hpp"
#include "agent/tls/agent_stream.hpp"
#include "agent/tls/context_holder.hpp"
#include "agent/tls/handshake.hpp"
#include "spop/status.hpp"

namespace spoa {

namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;
using spop::Clock;

namespace {


// Large enough that one read takes a whole batch of pipelined NOTIFYs, and never smaller than one
// frame of the largest allowed size. Pages are touched only as they are used.
std::size_t read_buffer_size(const spop::AgentOptions& agent) {
  return std::max<std::size_t>(std::size_t{64} << 10, spop::frame_length_prefix + agent.max_frame_size);
}

// The most an ACK may hold: one byte below the negotiated max-frame-size. HAProxy 3.1+ never reads a
// frame of exactly its max-frame-size (its SPOP mux stalls with a full demux buffer, see docs/haproxy.md
// "A full-size ACK"), and the byte costs 2.6 and 3.0 nothing.
std::uint32_t ack_limit(std::uint32_t negotiated_frame_size) noexcept {
  return negotiated_frame_size > 1 ? negotiated_frame_size - 1 : negotiated_frame_size;
}

bool is_normal_close(const boost::system::error_code& ec) {
  // A bare close or reset is how HAProxy ends health checks and (3.x) idle pooled connections; over TLS
  // a close without close_notify is the same thing (stream_truncated).
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

class Connection final : public exec::CallOwner {
 public:
  /// `tls`: the context of a TLS connection; nullptr serves plaintext.
  Connection(ConnectionSet& set, Socket socket, std::shared_ptr<tls::Context> tls, std::uint64_t id)
      : set_(set),
        stream_(std::move(socket), std::move(tls)),
        wake_(stream_.get_executor(), Clock::time_point::max()),
        conn_(set.settings_.agent),
        capacity_(read_buffer_size(set.settings_.agent)),
        buffer_(new std::byte[capacity_]),
        id_(id) {
    set_.link(this);
    if (set_.draining_) draining_ = true;
    set_.meter_.connection_opened();
    // --record: room for every NOTIFY this connection may have in progress, once.
    if (set_.recorder_ != nullptr) recorded_.reserve(set.settings_.agent.max_in_flight);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ~Connection() {
    record_unanswered();
    set_.scheduler_.forget(*this);  // calls still running complete unanswered
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
    set_.meter_.frames(conn_.stats(), reported_);
    set_.meter_.connection_closed();
    set_.unlink(this);
  }

  static asio::awaitable<void> run(std::unique_ptr<Connection> self) {
    try {
      co_await self->serve();
    } catch (const std::exception& e) {
      // Nothing in serve() is expected to throw (errors are values); this keeps the worker alive.
      self->log(spdlog::level::err, "closing after an internal error: {}", e.what());
    }
    // `self` goes out of scope here: the socket closes and the set forgets the connection.
  }

  /// Called by the worker's tick: applies due timeouts by interrupting a pending read or wait.
  void wake_if_due(Clock::time_point now) {
    if (waiting_ == Wait::write) {
      check_write_progress(now);
      return;
    }
    if (waiting_ == Wait::none) return;
    auto due = lingering_ ? std::optional<Clock::time_point>(linger_until_) : conn_.next_deadline();
    if (due && *due <= now) interrupt();
  }

  /// The worker's limit on calls in progress has room again: a connection it paused reads again.
  void wake_if_paused() {
    if (paused_ && waiting_ == Wait::calls) interrupt();
  }

  void request_drain() {
    draining_ = true;
    if (waiting_ == Wait::read || waiting_ == Wait::calls) interrupt();
  }

  /// Drain timeout: AGENT-DISCONNECT now, whatever calls still run (their ACKs are dropped), sent if
  /// the socket takes it at once, then the socket closes.
  void force_close() {
    if (!conn_.closing() && !lingering_) {
      conn_.submit_disconnect(spop::Status::normal, "normal");
      set_.meter_.disconnect(metrics::By::agent, 0);
      if (waiting_ != Wait::write) write_now();  // plaintext only: over TLS the goodbye is not sent
    }
    forced_ = true;
    boost::system::error_code ignored;
    stream_.socket().close(ignored);  // completes any pending read or write with operation_aborted
    wake_.cancel();
  }

  // --- exec::CallOwner: the ACKs of this connection's calls ---
  void call_answered(exec::Call& call) override {
    --calls_;
    LogScope scope(LogContext::of_frame(id_, call.stream_id, call.frame_id));
    const std::size_t queued = conn_.pending_output().size();
    const auto err = conn_.commit_ack(call.ack_frame());
    if (!recorded_.empty()) {
      record_answered(call, err == spop::Errc::ok ? conn_.pending_output().subspan(queued) : ack_none);
    }
    if (err != spop::Errc::ok) {
      if (conn_.closing()) {
        // HAProxy disconnected (or broke the protocol) while the call ran: nothing may follow our
        // AGENT-DISCONNECT, so the result is dropped.
        spdlog::debug("call result dropped: the connection is closing");
      } else {
        spdlog::error("ACK refused by the connection: {}", spop::make_error_code(err).message());
      }
    }
  }

  void owner_flush() override {
    set_.meter_.frames(conn_.stats(), reported_);
    if (waiting_ == Wait::read && !lingering_) {
      // The usual case: the coroutine waits for input. Write here, once for the whole batch; the
      // coroutine only takes over (woken) for what the socket does not take at once, and over TLS
      // for everything (write_now() cannot write there).
      if (!write_now() || conn_.wants_write() || (draining_ && calls_ == 0)) interrupt();
    } else if (waiting_ == Wait::calls) {
      interrupt();
    }
    // Wait::write: the write in progress takes the new bytes too.
  }

  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  enum class Wait : std::uint8_t {
    none,
    read,   // for input
    write,  // for the socket to take our output
    calls,  // for calls to complete: backpressure (in-flight cap, the worker's call limit) or a drain
  };

  // Every record of a connection names it: the formatters and the journal read the LogScope.
  template <class... Args>
  void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> format, Args&&... args) const {
    LogScope scope(LogContext::of_connection(id_));
    spdlog::log(level, format, std::forward<Args>(args)...);
  }

  void interrupt() {
    if (waiting_ == Wait::calls) {
      wake_.cancel();
      return;
    }
    boost::system::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  // A non-blocking write of the pending output from outside the coroutine. False on a socket error
  // (the coroutine's own write then reports it). Over TLS it writes nothing (records must go through
  // the TLS layer, whose writes the coroutine does): the output stays pending, and the caller, seeing
  // conn_.wants_write(), wakes the coroutine to write it.
  bool write_now() {
    auto out = conn_.pending_output();
    if (out.empty() || stream_.is_tls()) return true;
    const ssize_t n = ::send(stream_.socket().native_handle(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      conn_.consume_output(static_cast<std::size_t>(n));
      ++writes_done_;
      return true;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }

  asio::awaitable<void> wait_for_calls() {
    waiting_ = Wait::calls;
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(use_tuple);
    waiting_ = Wait::none;
  }

  // --write-timeout: the tick notes when the count of completed writes last changed, so the hot path
  // pays one increment per write instead of a clock read.
  void check_write_progress(Clock::time_point now) {
    const auto timeout = set_.settings_.write_timeout;
    if (timeout.count() <= 0 || forced_) return;
    if (writes_seen_ != writes_done_) {
      writes_seen_ = writes_done_;
      write_stalled_since_ = now;
      return;
    }
    if (now - write_stalled_since_ < timeout) return;
    spdlog::warn("c{}: write timeout: the peer has not read our {} pending byte(s) for {} ms; closing", id_,
                 conn_.pending_output().size(), timeout.count());
    force_close();
  }

  asio::awaitable<void> serve() {
    log(spdlog::level::debug, "connected");
    if (stream_.is_tls()) {
      // Bounded by --hello-timeout; a failure is logged there (one line naming the peer and why).
      auto handshake = co_await tls::server_handshake(stream_, set_.settings_.agent.hello_timeout,
                                                      tls::peer_name(stream_.socket()), id_);
      if (!handshake.ok()) co_return;
    }
    for (;;) {
      if (forced_) co_return;
      auto now = Clock::now();
      if (auto due = conn_.next_deadline(); due && *due <= now) conn_.on_tick(now);
      process_input(now);
      if (conn_.wants_write()) {
        if (!co_await flush()) co_return;
        continue;
      }
      if (draining_ && !drained_) {
        if (!co_await drain()) co_return;
        continue;
      }
      if (conn_.closing()) break;
      if (!conn_.wants_read()) {
        // Backpressure: NOTIFYs at the in-flight cap, or the worker at its limit of calls. Completions
        // (and timeouts, and shutdown) wake us.
        co_await wait_for_calls();
        continue;
      }
      auto [ec, n] = co_await read_some();
      if (ec == asio::error::operation_aborted) continue;  // woken by a timeout or shutdown
      if (ec) {
        log_read_end(ec);
        co_return;
      }
      tail_ += n;
    }
    co_await linger();
  }

  // Feeds every complete frame in the buffer and answers the resulting events. Bytes stay where they
  // are until the next read (compact()), so event views into them remain valid while they are used.
  void process_input(Clock::time_point now) {
    // --record: the NOTIFYs of this read arrived now (one clock read per read, not per NOTIFY).
    if (set_.recorder_ != nullptr) read_at_ = std::chrono::system_clock::now();
    paused_ = set_.scheduler_.at_limit();
    conn_.pause_input(paused_);
    drain_events();
    while (head_ < tail_) {
      std::size_t used = conn_.feed(std::span<const std::byte>(buffer_.get() + head_, tail_ - head_), now);
      head_ += used;
      bool any = drain_events();
      if (used == 0 && !any) break;  // a partial frame, or backpressure until output is written
      if (set_.scheduler_.at_limit() && !paused_) {
        paused_ = true;
        conn_.pause_input(true);
      }
    }
    set_.scheduler_.flush_soon();  // the calls of this turn's reads go to the executors in one batch
    set_.meter_.frames(conn_.stats(), reported_);
  }

  bool drain_events() {
    bool any = false;
    while (auto ev = conn_.next_event()) {
      any = true;
      std::visit([this](const auto& e) { on_event(e); }, *ev);
    }
    return any;
  }

  void on_event(const spop::HelloEvent& e) {
    if (e.healthcheck) {
      log(spdlog::level::debug, "health check answered");
    } else {
      log(spdlog::level::debug, "hello: max-frame-size {}, capabilities \"{}\", engine-id \"{}\"", e.max_frame_size,
                    e.capabilities, e.engine_id);
    }
  }

  void on_event(const spop::NotifyEvent& e) {
    exec::CallScheduler& scheduler = set_.scheduler_;
    const bool record = set_.recorder_ != nullptr && set_.recorder_->sample();
    if (scheduler.has_handlers()) {
      exec::Call& call = scheduler.acquire();
      call.prepare(id_, e.stream_id, e.frame_id, e.messages, ack_limit(conn_.negotiated_frame_size()));
      if (scheduler.submit(call, *this)) {
        ++calls_;
        // Recorded when its ACK is committed (or when it ends without one); the call keeps the payload.
        if (record) recorded_.push_back({&call, read_at_});
        return;
      }
      scheduler.discard(call);  // no message has a handler: answered here, like without scripts
    } else if (set_.debug_log_ || set_.meter_.on()) {
      LogScope scope(LogContext::of_frame(id_, e.stream_id, e.frame_id));
      for (const auto& message : e.messages) {
        set_.meter_.unhandled_message();
        spdlog::debug("no handler for message '{}'", message.name());
      }
    }
    // No handler: the empty ACK is the whole answer, written with the other frames of this read.
    conn_.start_ack(e.stream_id, e.frame_id);
    const std::size_t queued = conn_.pending_output().size();
    const auto err = conn_.commit_ack();
    if (record) {
      // Answered within the read: the ACK leaves with this read's other frames.
      set_.recorder_->record_sampled(id_, {e.stream_id, e.frame_id, e.messages.payload()},
                                     err == spop::Errc::ok ? conn_.pending_output().subspan(queued) : ack_none,
                                     read_at_, read_at_);
    }
    if (err != spop::Errc::ok) {
      LogScope scope(LogContext::of_frame(id_, e.stream_id, e.frame_id));
      if (conn_.closing()) {
        // The same read also brought a DISCONNECT or a protocol error: nothing may follow our
        // AGENT-DISCONNECT, so this NOTIFY goes unanswered. The peer's doing, logged with the close.
        spdlog::debug("NOTIFY not answered: the connection is closing");
      } else {
        spdlog::error("ACK refused by the connection: {}", spop::make_error_code(err).message());
      }
    }
  }

  // --record: the exchange of a recorded call, `ack` as queued for the socket (empty: none was sent).
  void record_answered(const exec::Call& call, std::span<const std::byte> ack) {
    const auto it =
        std::find_if(recorded_.begin(), recorded_.end(), [&](const RecordedCall& r) { return r.call == &call; });
    if (it == recorded_.end()) return;  // not sampled
    set_.recorder_->record_sampled(id_, {call.stream_id, call.frame_id, call.messages.payload()}, ack, it->notify_at,
                                   std::chrono::system_clock::now());
    *it = recorded_.back();
    recorded_.pop_back();
  }

  // --record: the connection ends with recorded calls still running; their ACKs will never be sent.
  // The calls are still ours to read: they are released only after being answered.
  void record_unanswered() {
    for (const RecordedCall& r : recorded_) {
      const exec::Call& call = *r.call;
      set_.recorder_->record_sampled(id_, {call.stream_id, call.frame_id, call.messages.payload()}, ack_none,
                                     r.notify_at, r.notify_at);
    }
    recorded_.clear();
  }

  void on_event(const spop::AbortEvent& e) {
    LogScope scope(LogContext::of_frame(id_, e.stream_id, e.frame_id));
    spdlog::debug("fragmented NOTIFY aborted by HAProxy");
  }

  void on_event(const spop::DisconnectEvent& e) {
    // Nothing may follow the AGENT-DISCONNECT: handlers of this connection that wait stop now.
    if (calls_ > 0) set_.scheduler_.cancel_calls_of(*this);
    auto code = static_cast<std::uint32_t>(e.status);
    set_.meter_.disconnect(e.by_peer ? metrics::By::haproxy : metrics::By::agent, code);
    if (e.by_peer) {
      if (e.status == spop::Status::normal) {
        log(spdlog::level::debug, "HAProxy disconnected: {}", e.message);
      } else {
        log(spdlog::level::info, "HAProxy disconnected with status {} ({}): {}", code, spop::status_message(e.status),
                     e.message);
      }
    } else if (e.status == spop::Status::normal) {
      log(spdlog::level::debug, "disconnecting: {}", e.message);
    } else if (e.status == spop::Status::timeout) {
      log(spdlog::level::info, "closing: {}", e.message);
    } else {
      log(spdlog::level::warn, "protocol error, sending DISCONNECT {} ({}): {}", code, spop::status_message(e.status),
                   e.message);
    }
  }

  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some() {
    compact();
    if (tail_ == capacity_) {
      // Only reachable if the state machine refused a whole buffer of input without wanting to
      // write: report it rather than spin.
      log(spdlog::level::err, "input buffer full and nothing to send; closing");
      co_return std::tuple{asio::error::make_error_code(asio::error::no_buffer_space), std::size_t{0}};
    }
    waiting_ = Wait::read;
    auto result = co_await stream_.async_read_some(asio::buffer(buffer_.get() + tail_, capacity_ - tail_), use_tuple);
    waiting_ = Wait::none;
    if (stream_.is_tls() && !std::get<0>(result)) read_more_records(std::get<1>(result));
    co_return result;
  }

  // Over TLS a read returns one record at most (16 KB): take every record already received too, so
  // that one batch of pipelined NOTIFYs is answered by one write (one record of many ACKs). Only what
  // the TLS layer already holds: asking the socket as well would cost a system call per read that
  // mostly finds nothing (one NOTIFY per read, the 100-connection row of the benchmark).
  // `n` (bytes read so far, not yet in tail_) grows; an error here is met again by the next read.
  void read_more_records(std::size_t& n) {
    boost::system::error_code ec;
    while (tail_ + n < capacity_ && stream_.buffered() > 0) {
      std::size_t more = stream_.read_now(asio::buffer(buffer_.get() + tail_ + n, capacity_ - tail_ - n), ec);
      if (ec || more == 0) break;
      n += more;
    }
  }

  void compact() {
    if (head_ == tail_) {
      head_ = tail_ = 0;
    } else if (head_ > 0 && capacity_ - tail_ < capacity_ / 2) {
      std::memmove(buffer_.get(), buffer_.get() + head_, tail_ - head_);
      tail_ -= head_;
      head_ = 0;
    }
  }

  // Writes all pending output (one write when the socket takes it all). False when the connection is over.
  asio::awaitable<bool> flush() {
    // A new stall starts counting at the first tick that sees this write pending.
    ++writes_done_;
    while (conn_.wants_write()) {
      auto out = conn_.pending_output();
      waiting_ = Wait::write;
      auto [ec, n] = co_await stream_.async_write_some(asio::buffer(out.data(), out.size()), use_tuple);
      waiting_ = Wait::none;
      if (ec) {
        if (!forced_) log_write_end(ec);
        co_return false;
      }
      ++writes_done_;
      conn_.consume_output(n);
    }
    co_return true;
  }

  // Shutdown: take what the kernel already holds for us, answer it, then say goodbye.
  asio::awaitable<bool> drain() {
    drained_ = true;
    boost::system::error_code ec;
    // Only the bytes the kernel holds now. Reading until the socket is empty never ends while the peer
    // keeps sending (HAProxy under load sends a new NOTIFY for each ACK until it sees our DISCONNECT,
    // and while one connection runs its handlers the others' peers refill their sockets): the drain
    // then lasted until --drain-timeout and ended in forced closes.
    std::size_t budget = stream_.socket().available(ec);
    if (ec) {
      ec.clear();
      budget = 0;
    }
    budget += stream_.buffered();  // over TLS: bytes the TLS layer holds, which the kernel no longer counts
    // The socket is non-blocking (AgentStream): read_now() returns would_block when nothing is left.
    while (!ec && budget > 0 && !conn_.closing()) {
      if (!conn_.wants_read()) {
        // Backpressure: let calls complete first (their ACKs make room).
        if (conn_.wants_write()) {
          if (!co_await flush()) co_return false;
        } else {
          co_await wait_for_calls();
          if (forced_) co_return false;
        }
        process_input(Clock::now());
        continue;
      }
      compact();
      if (tail_ == capacity_) break;
      const std::size_t room = std::min(capacity_ - tail_, budget);
      std::size_t n = stream_.read_now(asio::buffer(buffer_.get() + tail_, room), ec);
      if (ec) break;  // would_block: nothing more was sent before the signal; eof or reset: peer gone
      budget -= std::min(n, budget);
      tail_ += n;
      process_input(Clock::now());
      if (conn_.wants_write() && !co_await flush()) co_return false;
    }
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      // The peer is gone (or the drain timeout closed the socket): nothing to say goodbye to.
      if (!is_normal_close(ec) && !forced_) log(spdlog::level::warn, "read error while draining: {}", ec.message());
      co_return false;
    }
    // Whole frames already read but held back by backpressure get their answers too, and every call
    // in progress completes (the worker's --drain-timeout bounds this) before AGENT-DISCONNECT.
    while (!forced_ && !conn_.closing()) {
      process_input(Clock::now());
      if (conn_.wants_write()) {
        if (!co_await flush()) co_return false;
        continue;
      }
      // Calls still running, or frames held back by the worker's limit (others' calls): wait.
      if (calls_ == 0 && (head_ == tail_ || conn_.wants_read())) break;  // a partial frame stays unanswered
      co_await wait_for_calls();
    }
    if (forced_) co_return false;
    if (conn_.state() < spop::AgentState::closing) {
      conn_.submit_disconnect(spop::Status::normal, "normal");
      set_.meter_.disconnect(metrics::By::agent, 0);
    }
    co_return true;
  }

  // We ended the connection: shut our side down and discard input until the peer closes (bounded),
  // so that unread bytes on our socket do not turn the close into a reset that destroys our last frames.
  // Over TLS too the TCP shutdown ends our side (no close_notify: HAProxy closes on our FIN anyway).
  asio::awaitable<void> linger() {
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::socket_base::shutdown_send, ec);
    if (ec) co_return;
    lingering_ = true;
    linger_until_ = Clock::now() + set_.settings_.linger;
    while (!forced_ && Clock::now() < linger_until_) {
      head_ = tail_ = 0;
      auto [rec, n] = co_await read_some();
      if (rec && rec != asio::error::operation_aborted) break;
    }
    log(spdlog::level::debug, "closed ({} NOTIFYs answered)", conn_.stats().acks);
  }

  void log_read_end(const boost::system::error_code& ec) {
    if (is_normal_close(ec) || forced_) {
      log(spdlog::level::debug, "closed by peer ({}; {} NOTIFYs answered)", ec.message(), conn_.stats().acks);
    } else {
      log(spdlog::level::warn, "read error: {}", ec.message());
    }
  }

  void log_write_end(const boost::system::error_code& ec) {
    if (is_normal_close(ec)) {
      log(spdlog::level::debug, "peer closed before reading our reply ({})", ec.message());
    } else {
      log(spdlog::level::warn, "write error: {}", ec.message());
    }
  }

  ConnectionSet& set_;
  tls::AgentStream stream_;  // plaintext or TLS: every read and write goes through it
  asio::steady_timer wake_;  // Wait::calls: cancelled to wake the coroutine
  spop::AgentConnection conn_;
  std::size_t capacity_;
  std::unique_ptr<std::byte[]> buffer_;  // [head_, tail_) holds received bytes not yet consumed
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
  std::size_t calls_ = 0;    // this connection's calls in progress
  bool paused_ = false;      // input paused by the worker's limit on calls in progress
  spop::AgentConnectionStats reported_;  // what the metrics were last told
  std::uint64_t id_;
  Wait waiting_ = Wait::none;
  bool draining_ = false;
  bool drained_ = false;
  bool forced_ = false;
  bool lingering_ = false;
  Clock::time_point linger_until_{};
  std::uint64_t writes_done_ = 0;  // completed writes (progress for --write-timeout)
  std::uint64_t writes_seen_ = 0;  // writes_done_ at the last tick that looked
  Clock::time_point write_stalled_since_{};
  // --record: this connection's calls in progress whose NOTIFY was sampled, with when it arrived.
  struct RecordedCall {
    const exec::Call* call;
    std::chrono::system_clock::time_point notify_at;
  };
  std::vector<RecordedCall> recorded_;
  std::chrono::system_clock::time_point read_at_{};  // when the input being processed was read
  static constexpr std::span<const std::byte> ack_none{};
};

ConnectionSet::ConnectionSet(asio::io_context& io, const ConnectionSettings& settings,
                             exec::CallScheduler& scheduler)
    : io_(io), settings_(settings), scheduler_(scheduler), debug_log_(log_enabled(LogLevel::debug)) {}

ConnectionSet::~ConnectionSet() = default;

void ConnectionSet::start(int fd, int family) {
  if (family != AF_UNIX) {
    // ACKs are small and must leave at once; Nagle would hold them back for the peer's delayed ACK.
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  asio::generic::stream_protocol protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP);
  boost::system::error_code ec;
  Socket socket(io_);
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    spdlog::warn("cannot serve an accepted socket: {}", ec.message());
    return;
  }
  // Unix sockets are always plaintext (local peers only).
  std::shared_ptr<tls::Context> context = tls_ != nullptr && family != AF_UNIX ? tls_->current() : nullptr;
  auto conn = std::make_unique<Connection>(*this, std::move(socket), std::move(context), next_id_++);
  asio::co_spawn(io_, Connection::run(std::move(conn)), asio::detached);
}

void ConnectionSet::link(Connection* c) noexcept {
  c->next = head_;
  if (head_ != nullptr) head_->prev = c;
  head_ = c;
  ++size_;
}

void ConnectionSet::unlink(Connection* c) noexcept {
  if (c->prev != nullptr) c->prev->next = c->next;
  else head_ = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  --size_;
  if (on_close_) on_close_();
}

void ConnectionSet::tick(Clock::time_point now) {
  for (Connection* c = head_; c != nullptr; c = c->next) c->wake_if_due(now);
}

void ConnectionSet::wake_paused() {
  for (Connection* c = head_; c != nullptr; c = c->next) c->wake_if_paused();
}

void ConnectionSet::drain() {
  draining_ = true;
  for (Connection* c = head_; c != nullptr; c = c->next) c->request_drain();
}

void ConnectionSet::force_close() {
  for (Connection* c = head_; c != nullptr; c = c->next) c->force_close();
}

}  // namespace spoa
