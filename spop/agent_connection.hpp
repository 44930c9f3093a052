// The agent side of one SPOP connection as a sans-I/O state machine: bytes in, events out, bytes to send.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "spop/ack_builder.hpp"
#include "spop/frame.hpp"
#include "spop/notify.hpp"
#include "spop/output_buffer.hpp"
#include "spop/status.hpp"

namespace spop {

using Clock = std::chrono::steady_clock;

/// Limits and capabilities of the agent side. Defaults fit HAProxy 2.6 and 3.1+.
struct AgentOptions {
  /// Our limit; the AGENT-HELLO sends min(ours, HAProxy's). Values below 256 are raised to 256.
  std::uint32_t max_frame_size = default_max_frame_size;
  bool pipelining = true;      ///< offered when HAProxy offers it
  bool async = true;           ///< offered when HAProxy offers it (2.6 only; harmless on 3.x)
  bool fragmentation = false;  ///< accept NOTIFY + UNSET fragments (HAProxy 2.6 only)
  std::size_t max_in_flight = 64;               ///< NOTIFYs received and not yet answered; feed() stops there (min 1)
  std::size_t max_pending_output = 1u << 20;    ///< unsent bytes above which feed() stops (slow reader)
  std::chrono::milliseconds hello_timeout{10'000};  ///< connection to HAPROXY-HELLO; 0 = none
  /// Running with no NOTIFY in flight and no frame received (or ACK committed) for this long; 0 = none.
  std::chrono::milliseconds idle_timeout{0};
  /// Largest reassembled fragmented NOTIFY payload; beyond it the connection fails with status 3.
  /// 0 = 16 x the negotiated frame size.
  std::size_t max_reassembled_size = 0;
};

/// Lifecycle, in order, so that `state() < AgentState::running` means "before the handshake".
enum class AgentState : std::uint8_t {
  awaiting_hello,  ///< nothing received yet
  running,         ///< handshake done, NOTIFYs flow
  closing,         ///< a DISCONNECT (or the health-check reply) is queued: flush output, then close
  closed,          ///< nothing more to read or write
};
std::string_view to_string(AgentState s);

/// The handshake completed (AGENT-HELLO queued). For a health check the connection then closes.
struct HelloEvent {
  bool healthcheck = false;
  std::uint32_t max_frame_size = 0;  ///< negotiated: min(ours, HAProxy's)
  std::string_view capabilities;     ///< what we answered, e.g. "pipelining,async" (owned by the connection)
  std::string_view engine_id;        ///< HAProxy's engine-id, "" when absent (owned by the connection)
};

/// A complete NOTIFY to answer with an ACK carrying the same ids (stream-id 0 is a normal 2.6 stream).
struct NotifyEvent {
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  NotifyView messages;
};

/// A fragmented NOTIFY was aborted by HAProxy (UNSET with FIN|ABORT): nothing to answer.
struct AbortEvent {
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
};

/// The connection is ending: HAProxy sent HAPROXY-DISCONNECT (`by_peer`), or we found a protocol error
/// or timeout and queued AGENT-DISCONNECT with `status`.
struct DisconnectEvent {
  Status status = Status::normal;
  std::string_view message;  ///< the peer's message, or our detailed reason (owned by the connection)
  bool by_peer = false;
};

using AgentEvent = std::variant<HelloEvent, NotifyEvent, AbortEvent, DisconnectEvent>;

/// Counters for logs and metrics.
struct AgentConnectionStats {
  std::uint64_t frames_in = 0;
  std::uint64_t notifies = 0;
  std::uint64_t acks = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t unknown_frames = 0;  ///< ignored frames of unknown type after the handshake
  /// Whole frames received by wire type: [0] UNSET, [1] HAPROXY-HELLO, [2] HAPROXY-DISCONNECT,
  /// [3] NOTIFY, [4] any other type (agent frame types, unknown types).
  std::array<std::uint64_t, 5> frames_in_by_type{};
  std::uint64_t agent_hellos = 0;       ///< AGENT-HELLO frames queued
  std::uint64_t agent_disconnects = 0;  ///< AGENT-DISCONNECT frames queued (ACKs: `acks`)
};

/// One agent-side connection.
///
/// Use: feed() received bytes; drain next_event(); for each NotifyEvent call start_ack(), add actions,
/// commit_ack() (or build the ACK in a buffer of your own and commit_ack(frame) it later, possibly
/// after other NOTIFYs were answered); write pending_output() and consume_output() what was written; call on_tick() when
/// next_deadline() passes. When wants_read() and wants_write() are both false, close the socket.
///
/// A peer's protocol violation is not an error of feed(): the connection records the most specific
/// Status, queues AGENT-DISCONNECT (with HAProxy's text for that status), emits a DisconnectEvent
/// carrying a more detailed reason, ignores further input, and ends through wants_*(). The rules:
/// * first frame: HAPROXY-HELLO with FIN (else 10) and ids 0/0, or HAPROXY-DISCONNECT; anything else
///   is 4; supported-versions missing 5, without 2.0 8; max-frame-size missing 6, below 256 9;
/// * LEN above the limit (ours before the handshake, the negotiated one after) 3, below 7 4;
/// * after the handshake: a second HELLO or an agent frame type (101-103) 4; unknown types ignored
///   and counted; NOTIFY without FIN 10 unless fragmentation is on; with it, NOTIFY + UNSET frames
///   of the same ids are joined (another NOTIFY or UNSET ids in between 11, too large 3, an UNSET
///   with no fragmented NOTIFY in progress 4, FIN|ABORT gives an AbortEvent); a bad payload 4;
/// * HAPROXY-DISCONNECT: AGENT-DISCONNECT 0 "normal" follows the ACKs already queued.
///
/// Lifetime of views: NotifyEvent views point into the bytes given to feed() (or, for a reassembled
/// fragmented NOTIFY, into an internal buffer); they stay valid until the caller discards those bytes
/// or calls feed() again, so drain the events of one feed() before the next. Other events' strings
/// are owned by the connection and live as long as it does.
///
/// Allocation: buffers and queues are reused, so steady-state traffic allocates nothing per frame
/// (only the first frames of a connection grow them). The object is neither copyable nor movable (an
/// open AckBuilder points into it); keep it in place, e.g. behind a unique_ptr.
class AgentConnection {
 public:
  explicit AgentConnection(const AgentOptions& options = {}, Clock::time_point now = Clock::now());

  /// Consumes whole frames from `data` and returns how many bytes were used; the caller keeps the
  /// rest (a partial frame) and offers it again with more bytes. A LEN above the limit (status 3) or
  /// below 7 (status 4) is rejected as soon as its 4 bytes are seen, before buffering. Returns fewer
  /// bytes than complete frames when backpressured (in_flight() >= max_in_flight, or more than
  /// max_pending_output unsent bytes) and right after a reassembled fragmented NOTIFY (its buffer
  /// must stay valid until the next feed()). Once closing, every byte is reported used and ignored.
  /// Statuses a peer can cause (see DisconnectEvent): 2 (timeouts, via on_tick), 3, 4, 5, 6, 8, 9,
  /// 10, 11.
  std::size_t feed(std::span<const std::byte> data, Clock::time_point now = Clock::now());

  /// The next event, in arrival order.
  std::optional<AgentEvent> next_event();

  /// Starts the ACK for a NotifyEvent's ids. It is built in an internal buffer, capped at the
  /// negotiated frame size, and appended to the output by commit_ack(). Only one ACK may be open at a
  /// time: calling start_ack() again abandons the open one. The reference is valid until commit_ack(),
  /// cancel_ack() or the next start_ack().
  AckBuilder& start_ack(std::uint64_t stream_id, std::uint64_t frame_id);
  /// Completes the open ACK and queues it. Errc::invalid_argument (and the frame is dropped) when no
  /// ACK is open, when its ids do not answer a NOTIFY received and not yet answered, or when the
  /// connection is closing (nothing is ever sent after AGENT-DISCONNECT).
  Errc commit_ack();
  /// Drops the open ACK, if any.
  void cancel_ack() noexcept;

  /// Queues an ACK built elsewhere (by an AckBuilder over the caller's own buffer, so that several
  /// ACKs can be under construction at once and each is committed when its call completes, in any
  /// order). `frame` is the frame from its LEN field on; LEN is rewritten from frame.size(), so a
  /// builder's frame cut just after any complete action may be committed without finish(). The bytes
  /// are copied. Errc::invalid_argument (nothing queued) when the bytes are not an ACK frame within the
  /// negotiated frame size, when its ids do not answer a NOTIFY received and not yet answered, or when
  /// the connection is closing.
  Errc commit_ack(std::span<const std::byte> frame);

  /// While paused, feed() consumes no frame after the handshake (an owner-imposed limit, e.g. on calls
  /// in progress across connections: the handshake, and so health checks, still get their answer); it
  /// reads again once unpaused. Does not affect writing or closing.
  void pause_input(bool paused) noexcept { input_paused_ = paused; }

  /// Queues AGENT-DISCONNECT and moves to closing (graceful shutdown: Status::normal). No event is
  /// emitted (the caller knows). Does nothing once closing. The message is cut to 255 bytes.
  void submit_disconnect(Status status, std::string_view message);

  /// Bytes to write; valid until the next call of a non-const member.
  std::span<const std::byte> pending_output() const noexcept { return out_.pending(); }
  /// Marks `n` bytes of pending_output() as written. In the closing state, writing the last byte
  /// moves to closed.
  void consume_output(std::size_t n) noexcept;

  /// True while frames may be fed: before closing and not backpressured.
  bool wants_read() const noexcept;
  /// True once a DISCONNECT is queued or sent (or the health check answered): nothing more is read,
  /// and no ACK is accepted. Unlike !wants_read(), never true merely because of backpressure.
  bool closing() const noexcept { return state_ >= AgentState::closing; }
  /// True while there are bytes to write (also while closing: flush before closing the socket).
  bool wants_write() const noexcept;

  /// Applies timeouts: hello_timeout before the handshake, idle_timeout while running with no NOTIFY
  /// in flight (DISCONNECT 2 "a timeout occurred" and a DisconnectEvent).
  void on_tick(Clock::time_point now);
  /// When on_tick() should next be called; nullopt when no timer runs. It may lie in the past (for
  /// instance right after the last in-flight ACK was committed): call on_tick() then.
  std::optional<Clock::time_point> next_deadline() const noexcept;

  AgentState state() const noexcept { return state_; }
  bool healthcheck() const noexcept { return healthcheck_; }
  std::uint32_t negotiated_frame_size() const noexcept { return frame_size_; }
  bool pipelining() const noexcept { return pipelining_on_; }
  /// NOTIFYs received (whole) and not yet answered.
  std::size_t in_flight() const noexcept { return outstanding_.size(); }
  /// Status we sent or received in a DISCONNECT (Status::normal when none) and a readable reason.
  Status status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return reason_; }
  const AgentConnectionStats& stats() const noexcept { return stats_; }

 private:
  using Ids = std::pair<std::uint64_t, std::uint64_t>;  // (stream-id, frame-id)

  void on_frame(const Frame& frame);
  void on_hello(const Frame& frame);
  void on_notify(const Frame& frame);
  void on_unset(const Frame& frame);
  void on_disconnect(const Frame& frame);
  void deliver_notify(Ids ids, std::span<const std::byte> payload);
  /// The outstanding NOTIFY `ids` was answered by the ACK just appended to the output.
  void answered(std::vector<Ids>::iterator outstanding);
  std::string negotiate_capabilities(std::string_view offered) const;
  /// A peer violation or timeout: queue AGENT-DISCONNECT `status` and report `detail`.
  void fail(Status status, std::string_view detail);
  void queue_disconnect(Status status, std::string_view message);
  void enter_closing() noexcept;
  bool backpressured() const noexcept;
  std::size_t reassembly_limit() const noexcept;

  AgentOptions options_;
  AgentState state_ = AgentState::awaiting_hello;
  bool healthcheck_ = false;
  bool pipelining_on_ = false;
  bool input_paused_ = false;  // pause_input()
  bool hold_input_ = false;    // a reassembled NOTIFY views fragments_: stop feeding until next feed()
  bool idle_restart_ = false;  // the last in-flight ACK was committed: restart the idle timer on_tick()
  std::uint32_t frame_size_;
  Status status_ = Status::normal;
  std::string reason_;
  std::string capabilities_;
  std::string engine_id_;
  OutputBuffer out_;
  std::vector<std::byte> ack_buf_;  // the open ACK, appended to out_ on commit
  std::vector<AgentEvent> events_;
  std::size_t event_head_ = 0;
  std::vector<Ids> outstanding_;  // NOTIFYs not yet answered (duplicates allowed: 2.6 may reuse ids)
  std::vector<std::byte> fragments_;  // reassembly of a fragmented NOTIFY
  std::optional<Ids> fragment_ids_;
  std::optional<AckBuilder> open_ack_;
  Clock::time_point last_activity_;
  Clock::time_point created_;
  AgentConnectionStats stats_;
};

}  // namespace spop
