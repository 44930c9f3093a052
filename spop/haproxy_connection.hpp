// The HAProxy side of one SPOP connection as a sans-I/O state machine (the 2.6 SPOE applet or the 3.1+
// SPOP mux, chosen by profile), plus HAProxy's variable naming and action rules. Used by spop-cli,
// spop-sim and the agent's tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"
#include "spop/output_buffer.hpp"
#include "spop/status.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spop {

using Clock = std::chrono::steady_clock;

/// Which HAProxy to behave like (spop-protocol.md §8).
enum class HaproxyProfile : std::uint8_t {
  v2_6,  ///< SPOE applet: global stream ids from 0, async and fragmentation, lax ACK matching
  v3_1,  ///< SPOP mux (3.1+, named "3.2": checked against 3.2.0's captures): odd per-connection stream ids, frame-id 1
};
/// "2.6", or "3.2" for v3_1 (the version its frames and behaviour were checked against).
std::string_view to_string(HaproxyProfile p);
/// The profile a name stands for: "2.6"; "3.2", or its alias "3.1" (nothing tells them apart on the
/// wire). nullopt for any other text.
std::optional<HaproxyProfile> parse_haproxy_profile(std::string_view name);

/// What the HAProxy side advertises and enforces. Defaults are HAProxy's.
struct HaproxyOptions {
  HaproxyProfile profile = HaproxyProfile::v2_6;
  /// Advertised in the HELLO (HAProxy: tune.bufsize - 4) and the upper bound for the agent's answer.
  /// Values below 256 are raised to 256.
  std::uint32_t max_frame_size = default_max_frame_size;
  /// Offered in the HELLO; nullopt = the profile's default (on for both profiles).
  std::optional<bool> pipelining;
  /// Offered in the HELLO; nullopt = the profile's default (on for 2.6). 3.1+ never sends it.
  std::optional<bool> async;
  /// `option spop-check`: capabilities "", no engine-id, healthcheck=true; closes after the answer.
  bool healthcheck = false;
  /// Sent after capabilities when non-empty (never in health checks). Real HAProxy always sends a
  /// 36-character UUIDv4: see make_engine_id().
  std::string engine_id;
  /// NOTIFYs awaiting their ACK (2.6 max-waiting-frames, 3.1's 20 streams). Minimum 1.
  std::size_t max_in_flight = 20;
  /// `option var-prefix` (HAProxy's default is the spoe-agent's name).
  std::string var_prefix = "spoe";
  /// 2.6 `timeout hello`: HELLO sent to AGENT-HELLO received; expiry closes without DISCONNECT. 0 = none.
  std::chrono::milliseconds hello_timeout{0};
  /// 2.6 `timeout idle`: running with nothing in flight and no traffic for this long sends
  /// HAPROXY-DISCONNECT 2; it also bounds the wait for AGENT-DISCONNECT after ours. 0 = none.
  /// (3.1+ ignores both timeouts and uses the backend's; a driver may still set them.)
  std::chrono::milliseconds idle_timeout{0};
};

/// Lifecycle in order.
enum class HaproxyState : std::uint8_t {
  hello_sent,     ///< HAPROXY-HELLO queued, waiting for AGENT-HELLO
  running,        ///< NOTIFYs may be sent
  disconnecting,  ///< HAPROXY-DISCONNECT queued: waiting for AGENT-DISCONNECT, ignoring anything else
  closed,         ///< done: close the socket (unsent bytes are dropped)
};
std::string_view to_string(HaproxyState s);

/// The agent's HELLO was accepted. For a health check the connection is closed right after.
struct ConnectedEvent {
  std::uint32_t max_frame_size = 0;  ///< negotiated (the agent's value, or ours on 3.1 if it sent none)
  std::string_view version;          ///< the agent's version text (owned by the connection)
  std::string_view capabilities;     ///< the agent's capabilities text (owned by the connection)
  bool pipelining = false;           ///< agreed by both sides
  bool async = false;                ///< agreed by both sides (2.6 only)
  bool fragmentation = false;        ///< the agent can receive fragmented NOTIFYs (2.6 only)
  bool healthcheck = false;          ///< a health check passed ("SPOA server is ok")
};

/// One action of an ACK with the variable name HAProxy would use.
struct AckAction {
  ActionType type = ActionType::set_var;
  Scope scope = Scope::txn;
  std::string_view name;      ///< as sent by the agent
  std::string_view variable;  ///< "<scope>.<prefix>.<name>" cut to 63 characters
  Value value;                ///< NULL for UNSET-VAR (and a SET-VAR of NULL, which HAProxy treats as unset)
};

/// An ACK matched a NOTIFY waiting on this connection.
///
/// `actions` and the views inside them (names, string values) are valid until the next feed(). As in
/// HAProxy, reading stops silently at the first bad action: `stop_reason` says why (Errc::ok if the
/// whole payload was read) and `stop_offset` where in the payload.
struct AckEvent {
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  std::span<const AckAction> actions;
  Errc stop_reason = Errc::ok;
  std::size_t stop_offset = 0;
  Clock::time_point sent_at;      ///< the `now` given to send_notify()
  Clock::time_point received_at;  ///< the `now` given to feed()
  /// The ACK's payload as received (LIST-OF-ACTIONS): a view into the bytes given to feed(), valid as
  /// long as the caller keeps them unchanged (drain the events before dropping what feed() used).
  std::span<const std::byte> payload;
  Clock::duration round_trip() const noexcept { return received_at - sent_at; }
};

/// The agent sent AGENT-DISCONNECT; HAProxy closes without answering. NOTIFYs still waiting fail
/// (HAProxy gives their streams the error 256 + status).
struct AgentDisconnectedEvent {
  Status status = Status::normal;  ///< the agent's code (any 32-bit value; 99 when missing)
  std::string_view message;        ///< owned by the connection
  std::size_t abandoned = 0;       ///< NOTIFYs that were waiting
};

/// HAProxy would give up on this connection (a protocol violation or a hello/idle timeout): `status`
/// is what it puts in its HAPROXY-DISCONNECT.
struct ProtocolErrorEvent {
  Status status = Status::normal;
  std::string_view detail;       ///< what happened, for people (owned by the connection)
  bool disconnect_sent = false;  ///< HAPROXY-DISCONNECT queued (not after a hello timeout or a health check)
  std::size_t abandoned = 0;     ///< NOTIFYs that were waiting
};

using HaproxyEvent = std::variant<ConnectedEvent, AckEvent, AgentDisconnectedEvent, ProtocolErrorEvent>;

/// Counters for reports.
struct HaproxyConnectionStats {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_dropped = 0;  ///< frames HAProxy reads and ignores (unknown types, late ACKs...)
  std::uint64_t notifies = 0;
  std::uint64_t acks = 0;            ///< ACKs matched
  std::uint64_t acks_ignored = 0;    ///< ACKs for nothing waiting, ignored as the profile does
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
};

/// The ids of one NOTIFY.
struct NotifyIds {
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  friend bool operator==(const NotifyIds&, const NotifyIds&) = default;
};

/// One message of a NOTIFY to send: a name and its arguments (views; only read during the call).
struct NotifyMessage {
  std::string_view name;
  std::span<const Argument> args;
};

/// HAProxy 2.6's NOTIFY ids: stream-id = the stream's uniq_id, a process-wide counter starting at 0
/// (share one allocator between the connections of one emulated process); frame-id starts at 1 per
/// stream and advances after each successfully processed ACK. Both are 32-bit and wrap.
class Haproxy26Ids {
 public:
  /// One emulated HAProxy stream.
  struct Stream {
    std::uint32_t stream_id = 0;
    std::uint32_t frame_id = 1;
    /// Ids for the stream's next NOTIFY.
    NotifyIds ids() const noexcept { return {stream_id, frame_id}; }
    /// Call after the ACK of the current frame was processed. Not after a processing timeout: 2.6 then
    /// keeps the frame-id, so a later event on the stream reuses the same (sid, fid).
    void ack_processed() noexcept { ++frame_id; }
  };

  explicit Haproxy26Ids(std::uint32_t first_uniq_id = 0) noexcept : next_(first_uniq_id) {}
  /// A new stream with the next uniq_id.
  Stream open_stream() noexcept { return Stream{next_++, 1}; }

 private:
  std::uint32_t next_;
};

/// One HAProxy-side connection.
///
/// Use: construct (the HELLO is queued at once); write pending_output() and consume_output() what was
/// written; feed() received bytes and drain next_event(); once a ConnectedEvent arrived, send_notify()
/// and wait for AckEvents; call on_tick() when next_deadline() passes. When wants_read() and
/// wants_write() are both false, close the socket.
///
/// It validates the agent as the chosen HAProxy version would and reports a violation as a
/// ProtocolErrorEvent (queueing HAPROXY-DISCONNECT with that status, except in health checks), never
/// as an error of feed(). Allocation: buffers are reused; each connection allocates a few strings
/// (version, capabilities, reasons) once.
class HaproxyConnection {
 public:
  /// Queues the HAPROXY-HELLO: supported-versions, max-frame-size, capabilities, engine-id and
  /// (health checks) healthcheck, in 2.6's order.
  explicit HaproxyConnection(const HaproxyOptions& options = {}, Clock::time_point now = Clock::now());

  /// Consumes whole frames and returns the bytes used (keep the rest and offer it again). Once
  /// closed, or after a bad LEN or frame header, every byte is reported used and ignored (the
  /// connection then closes as soon as its HAPROXY-DISCONNECT is written). Statuses the agent can
  /// cause (in a ProtocolErrorEvent): 3, 4, 5, 6 (2.6), 8, 9, 10, 12.
  std::size_t feed(std::span<const std::byte> data, Clock::time_point now = Clock::now());

  /// The next event, in arrival order. An AckEvent's actions are valid until the next feed().
  std::optional<HaproxyEvent> next_event();

  /// Sends one NOTIFY on a new stream and returns its ids in `ids`: 3.1 numbers streams 1, 3, 5, ...
  /// with frame-id 1; 2.6 draws a new uniq_id from a counter owned by this connection (frame-id 1).
  /// Use send_notify_with_ids() to share 2.6's process-wide counter between connections.
  /// Errors:
  /// * std::errc::not_connected: not running (before the handshake, after a disconnect, health check);
  /// * std::errc::operation_would_block: max_in_flight NOTIFYs waiting, or sync mode (neither
  ///   pipelining nor async agreed) with one waiting;
  /// * Errc::invalid_argument: a message with more than 255 arguments, or ids already waiting;
  /// * Errc::frame_too_big: the messages do not fit in the negotiated frame size minus the 32 bytes
  ///   HAProxy keeps for the header. A 2.6 agent that claimed fragmentation gets the NOTIFY split into
  ///   NOTIFY + UNSET fragments instead; otherwise 2.6 (with its default `option send-frag-payload`)
  ///   fails the whole connection with status 10, so this also queues HAPROXY-DISCONNECT 10 and
  ///   reports a ProtocolErrorEvent. 3.1 only fails that stream.
  std::error_code send_notify(std::span<const NotifyMessage> messages, Clock::time_point now,
                              NotifyIds& ids);
  /// As send_notify() with ids chosen by the caller (2.6 with a shared Haproxy26Ids, or fault
  /// injection). The ids are sent as given; on 3.1 they also raise the highest stream-id opened.
  std::error_code send_notify_with_ids(NotifyIds ids, std::span<const NotifyMessage> messages,
                                       Clock::time_point now);
  /// As send_notify_with_ids() with the NOTIFY's payload (its LIST-OF-MESSAGES) already encoded, as
  /// replayed from a recording: sent as given, with FIN, under `ids`. Same errors (the payload is not
  /// checked: give a valid one).
  std::error_code send_notify_payload(NotifyIds ids, std::span<const std::byte> payload, Clock::time_point now);
  /// Forgets a waiting NOTIFY (its processing timeout expired). A late ACK for it is then treated as
  /// unmatched. Returns false if it was not waiting.
  bool cancel_notify(NotifyIds ids) noexcept;

  /// Sends HAPROXY-DISCONNECT (soft-stop: Status::normal "normal") and waits for AGENT-DISCONNECT
  /// (bounded by idle_timeout from `now`). NOTIFYs still waiting are forgotten. Does nothing unless
  /// running or waiting for the AGENT-HELLO; not in health checks. No event is emitted. The message
  /// is cut to 255 bytes.
  void submit_disconnect(Status status, std::string_view message, Clock::time_point now = Clock::now());

  /// Bytes to write; valid until the next non-const call. Empty once closed.
  std::span<const std::byte> pending_output() const noexcept;
  void consume_output(std::size_t n) noexcept;
  /// False once closed, and after a bad LEN or frame header (the stream cannot be resynchronised).
  bool wants_read() const noexcept { return state_ != HaproxyState::closed && !input_broken_; }
  bool wants_write() const noexcept { return state_ != HaproxyState::closed && !out_.empty(); }

  /// Applies the hello timeout, the idle timeout and the bounded wait for AGENT-DISCONNECT.
  void on_tick(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const noexcept;

  HaproxyState state() const noexcept { return state_; }
  HaproxyProfile profile() const noexcept { return options_.profile; }
  const HaproxyOptions& options() const noexcept { return options_; }
  /// Our advertised size before the handshake, the agreed one afterwards.
  std::uint32_t negotiated_frame_size() const noexcept { return frame_size_; }
  bool pipelining() const noexcept { return pipelining_; }
  bool async() const noexcept { return async_; }
  /// Neither pipelining nor async agreed: one NOTIFY at a time.
  bool sync_mode() const noexcept { return !pipelining_ && !async_; }
  /// True when send_notify() would not refuse for state or in-flight reasons.
  bool can_send() const noexcept;
  std::size_t in_flight() const noexcept { return waiting_.size(); }
  /// The status of the DISCONNECT sent or received (Status::normal when none) and a readable reason:
  /// the agent's message once it disconnected, else our detail.
  Status status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return agent_disconnected_ ? agent_message_ : detail_; }
  const HaproxyConnectionStats& stats() const noexcept { return stats_; }

 private:
  struct Waiting {
    NotifyIds ids;
    Clock::time_point sent_at;
  };
  struct PendingEvent {
    HaproxyEvent event;
    std::size_t first_action = 0;  // AckEvent: its range in actions_ (spans are set when popped)
    std::size_t action_count = 0;
  };

  void on_frame(const Frame& frame, Clock::time_point now);
  void on_agent_hello(const Frame& frame, Clock::time_point now);
  Status check_agent_hello(std::span<const std::byte> payload, std::string& detail);
  void on_running_frame(const Frame& frame, Clock::time_point now);
  void on_ack(const Frame& frame, Clock::time_point now);
  bool ack_is_invalid_3_1(const FrameHeader& h, Clock::time_point now);
  void deliver_ack(std::vector<Waiting>::iterator it, const Frame& frame, Clock::time_point now);
  void on_agent_disconnect(const Frame& frame, Clock::time_point now);
  std::error_code check_can_send(NotifyIds ids) const;
  Errc encode_notify(NotifyIds ids, std::span<const NotifyMessage> messages);
  Errc encode_fragmented(NotifyIds ids, std::span<const NotifyMessage> messages);
  void encode_fragments(NotifyIds ids, std::span<const std::byte> payload);
  /// HAProxy gives up: HAPROXY-DISCONNECT `status` (unless a health check), then wait for the agent.
  void protocol_error(Status status, std::string detail, Clock::time_point now);
  void input_error(Status status, std::string detail, Clock::time_point now);
  void queue_disconnect(Status status, std::string_view message, Clock::time_point now);
  void close() noexcept;
  std::size_t length_limit() const noexcept;

  HaproxyOptions options_;
  HaproxyState state_ = HaproxyState::hello_sent;
  bool offer_pipelining_ = false;
  bool offer_async_ = false;
  bool pipelining_ = false;
  bool async_ = false;
  bool agent_fragmentation_ = false;
  bool input_broken_ = false;  // bad LEN or header: nothing more can be read
  std::uint32_t frame_size_;
  std::uint64_t highest_stream_id_ = 0;  // 3.1: highest stream opened so far
  std::uint64_t next_stream_id_ = 1;     // 3.1: odd, per connection
  std::uint32_t next_uniq_id_ = 0;       // 2.6 ids when the caller does not bring its own
  bool agent_disconnected_ = false;
  Status status_ = Status::normal;
  // Set at most once each (views of them sit in queued events): our reason, the agent's message.
  std::string detail_;
  std::string agent_message_;
  std::string version_;
  std::string agent_capabilities_;
  OutputBuffer out_;
  std::vector<std::byte> scratch_;  // a whole NOTIFY before it is cut into fragments
  std::vector<PendingEvent> events_;
  std::size_t event_head_ = 0;
  std::vector<Waiting> waiting_;
  AckContents ack_contents_;          // reused decode of one ACK
  std::vector<AckAction> actions_;    // actions of the AckEvents not yet drained
  std::string names_;                 // their variable names, back to back
  std::vector<std::pair<std::size_t, std::size_t>> name_spans_;  // (offset, length) in names_ per action
  Clock::time_point created_;
  Clock::time_point last_traffic_;
  Clock::time_point disconnect_sent_at_;
  HaproxyConnectionStats stats_;
};

/// HAProxy's full name of an agent variable: "<scope>.<prefix>.<name>", built the way 2.6 does in a
/// 64-byte buffer, so the result is cut to 63 characters (the name also ends at a NUL byte, as
/// printf's %.*s stops there). Allocates the returned string.
std::string variable_name(Scope scope, std::string_view prefix, std::string_view name);
/// Same, appended to `out` (no allocation once `out` has room).
void append_variable_name(std::string& out, Scope scope, std::string_view prefix, std::string_view name);

/// An owned copy of a Value (STRING/BINARY bytes copied), for variable stores.
class OwnedValue {
 public:
  OwnedValue() = default;
  explicit OwnedValue(const Value& v);
  /// A view of the stored value, valid while this object is alive and unchanged.
  Value view() const noexcept;
  friend bool operator==(const OwnedValue& a, const OwnedValue& b) noexcept { return a.view() == b.view(); }

 private:
  Value scalar_;       // everything except the bytes
  std::string bytes_;  // STRING/BINARY contents
};

/// HAProxy's variables as a driver tracks them, keyed by full name ("txn.iprep.ip_score").
using VariableStore = std::map<std::string, OwnedValue, std::less<>>;

/// Applies an ACK's actions as HAProxy 2.5+ does: SET-VAR sets (a NULL value unsets), UNSET-VAR
/// removes; sess, txn, req and res variables are created freely, but a proc variable is only
/// updated if it already exists unless `force_set_var` (`option force-set-var`). Actions are
/// applied in order (the ACK reader already stopped at the first bad one). Returns how many actions
/// changed or removed a variable. Allocates the store's keys and copied values.
std::size_t apply_actions(std::span<const AckAction> actions, VariableStore& store,
                          bool force_set_var = false);

/// A 36-character UUIDv4 text ("8-4-4-4-12" lower-case hex) derived from `seed`, for engine-id.
/// Deterministic so that tests and replays are reproducible; seed it from a random source for real use.
std::string make_engine_id(std::uint64_t seed);

}  // namespace spop
