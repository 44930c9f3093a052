// The agent side of one SPOP connection as a sans-I/O state machine: bytes in, events out, bytes to send.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "spop/ack_builder.hpp"
#include "spop/notify.hpp"
#include "spop/status.hpp"

namespace spop {

using Clock = std::chrono::steady_clock;

/// Limits and capabilities of the agent side. Defaults fit HAProxy 2.6 and 3.1+.
struct AgentOptions {
  std::uint32_t max_frame_size = default_max_frame_size;  ///< our limit; the AGENT-HELLO sends min(ours, HAProxy's)
  bool pipelining = true;      ///< offered when HAProxy offers it
  bool async = true;           ///< offered when HAProxy offers it (2.6 only; harmless on 3.x)
  bool fragmentation = false;  ///< accept NOTIFY + UNSET fragments (HAProxy 2.6 only)
  std::size_t max_in_flight = 64;               ///< NOTIFYs received and not yet answered; feed() stops there
  std::size_t max_pending_output = 1u << 20;    ///< unsent bytes above which feed() stops (slow reader)
  std::chrono::milliseconds hello_timeout{10'000};  ///< connection to HAPROXY-HELLO; 0 = none
  std::chrono::milliseconds idle_timeout{0};        ///< no frame received for this long; 0 = none
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
  std::string_view capabilities;     ///< what we answered, e.g. "pipelining,async"
  std::string_view engine_id;        ///< HAProxy's engine-id ("" when absent)
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
  std::string_view message;  ///< the peer's message, or our detailed reason
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
};

/// One agent-side connection.
///
/// Use: feed() received bytes; drain next_event(); for each NotifyEvent call start_ack(), add actions,
/// commit_ack(); write pending_output() and consume_output() what was written; call on_tick() when
/// next_deadline() passes. When wants_read() and wants_write() are both false, close the socket.
///
/// A peer's protocol violation is not an error of feed(): the connection records the most specific
/// Status, queues AGENT-DISCONNECT, emits a DisconnectEvent, ignores further input, and ends through
/// wants_*(). Views in events point into the bytes given to feed() (or, for reassembled fragments,
/// into an internal buffer) and stay valid until the caller discards those bytes or calls feed() again.
class AgentConnection {
 public:
  explicit AgentConnection(const AgentOptions& options = {}, Clock::time_point now = Clock::now());

  /// Consumes whole frames from `data` and returns how many bytes were used; the caller keeps the
  /// rest (a partial frame) and offers it again with more bytes. A LEN above the limit or below 7 is
  /// rejected as soon as its 4 bytes are seen (before buffering). Returns fewer bytes than complete
  /// frames when backpressured (too many NOTIFYs in flight or too much unsent output).
  std::size_t feed(std::span<const std::byte> data, Clock::time_point now = Clock::now());

  /// The next event, in arrival order.
  std::optional<AgentEvent> next_event();

  /// Starts the ACK for a NotifyEvent's ids, appended directly to the output.
  /// Only one ACK may be open at a time; finish it with commit_ack() or abandon it with cancel_ack().
  AckBuilder& start_ack(std::uint64_t stream_id, std::uint64_t frame_id);
  /// Completes the open ACK. Errc::invalid_argument (and the frame is dropped) if its ids do not
  /// answer a NOTIFY received and not yet answered.
  Errc commit_ack();
  void cancel_ack();

  /// Queues AGENT-DISCONNECT and moves to closing (graceful shutdown: Status::normal).
  void submit_disconnect(Status status, std::string_view message);

  /// Bytes to write; valid until the next call of a non-const member.
  std::span<const std::byte> pending_output() const noexcept;
  void consume_output(std::size_t n) noexcept;

  bool wants_read() const noexcept;
  bool wants_write() const noexcept;

  /// Applies timeouts (hello, idle). Returns the next deadline, if any.
  void on_tick(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const noexcept;

  AgentState state() const noexcept { return state_; }
  bool healthcheck() const noexcept { return healthcheck_; }
  std::uint32_t negotiated_frame_size() const noexcept { return frame_size_; }
  bool pipelining() const noexcept { return pipelining_on_; }
  std::size_t in_flight() const noexcept;
  /// Status we sent or received in a DISCONNECT (Status::normal when none) and a readable reason.
  Status status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return reason_; }
  const AgentConnectionStats& stats() const noexcept { return stats_; }

 private:
  struct Impl;  // helpers live in the .cpp; members stay here to avoid a heap allocation per connection
  AgentOptions options_;
  AgentState state_ = AgentState::awaiting_hello;
  bool healthcheck_ = false;
  bool pipelining_on_ = false;
  std::uint32_t frame_size_;
  Status status_ = Status::normal;
  std::string reason_;
  std::string capabilities_;
  std::string engine_id_;
  std::vector<std::byte> out_;
  std::size_t out_head_ = 0;
  std::vector<AgentEvent> events_;
  std::size_t event_head_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> outstanding_;  // NOTIFYs not yet answered
  std::vector<std::byte> fragments_;  // reassembly of a fragmented NOTIFY
  std::optional<std::pair<std::uint64_t, std::uint64_t>> fragment_ids_;
  std::optional<AckBuilder> open_ack_;
  Clock::time_point last_activity_;
  Clock::time_point created_;
  AgentConnectionStats stats_;
};

}  // namespace spop
