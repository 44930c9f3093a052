// What the checks share: building HELLOs and raw frames, describing what the agent sent, one check
// connection (Session) with the profile's handshake and NOTIFY ids, ACK validation, and reading how
// the agent ends a connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/conform/check.hpp"
#include "simulator/conform/probe.hpp"
#include "spop/ack_reader.hpp"
#include "spop/hello.hpp"
#include "spop/value.hpp"

namespace spop::sim::conform {

using Bytes = std::vector<std::byte>;

/// One KV item of a hand-made HELLO.
struct Kv {
  std::string_view key;
  Value value;
};

/// A complete frame (LEN prefix included) with any header and payload; nothing is checked.
Bytes raw_frame(std::uint8_t type, std::uint32_t flags, std::uint64_t stream_id, std::uint64_t frame_id,
                std::span<const std::byte> payload);
/// A KV-LIST payload.
Bytes kv_payload(std::span<const Kv> items);
/// HAPROXY-HELLO frame from items, with the given flags and ids.
Bytes hello_frame(std::span<const Kv> items, std::uint32_t flags = frame_flags::fin, std::uint64_t sid = 0,
                  std::uint64_t fid = 0);
/// The profile's normal HELLO: 2.6 "pipelining,async", 3.1 "pipelining", both with an engine-id.
Bytes standard_hello(HaproxyProfile profile, std::uint32_t max_frame_size = default_max_frame_size);
/// The exact health-check HELLO of §6 (82 bytes).
Bytes healthcheck_hello();
/// HAPROXY-DISCONNECT frame.
Bytes haproxy_disconnect(std::uint32_t status, std::string_view message);
/// A NOTIFY frame (FIN unless `flags` says otherwise) with one message per (name, args) pair.
Bytes notify_frame(std::uint64_t sid, std::uint64_t fid, std::string_view name, std::span<const Argument> args,
                   std::uint32_t flags = frame_flags::fin);
/// The standard example's message: check-client-ip with always_true int(1234) src ipv6(::55) host.
std::span<const Argument> standard_args();
inline constexpr std::string_view standard_message = "check-client-ip";

/// "ACK sid=1 fid=1, 2 action(s)", "AGENT-DISCONNECT status 3 (\"frame is too big\")", "the connection
/// was closed", "nothing within 2000 ms"...
std::string describe(const Received& r, Millis timeout);

/// A decoded AGENT-HELLO, owned.
struct AgentHelloFacts {
  std::string version;
  std::optional<std::uint64_t> max_frame_size;
  std::string capabilities;
  bool has_capabilities = false;
};

/// An ACK with its actions (views into `frame.payload`: keep the object in place once filled).
struct AckReply {
  Received frame;
  AckContents contents;
};

/// Checks that `r` is a valid AGENT-HELLO answering a HELLO that offered `offered` bytes: type 101, FIN,
/// ids 0/0, LEN within the offer, version 2.0, max-frame-size an integer in [256, offered]. Returns ""
/// or what is wrong; fills `out`.
std::string check_agent_hello(const Received& r, std::uint32_t offered, Millis timeout, AgentHelloFacts& out);

/// Checks that `r` is an ACK for `ids` as HAProxy requires: type 103, FIN, the same ids, LEN within the
/// negotiated size, a LIST-OF-ACTIONS that reads to its end. Returns "" or what is wrong.
std::string check_ack(const Received& r, NotifyIds ids, std::uint32_t frame_size, Millis timeout);

/// How the agent ended (or did not end) a connection after something it should refuse.
struct Ending {
  bool disconnect = false;       ///< AGENT-DISCONNECT received
  std::uint64_t status = 0;      ///< its status-code (99 when missing)
  std::string message;           ///< its message
  std::vector<std::string> other_frames;  ///< frames before it (or before the close), described
  std::string after;             ///< a frame after AGENT-DISCONNECT, described
  ReadStatus end = ReadStatus::timeout;  ///< how reading stopped (after a DISCONNECT: closed or timeout)
  std::string summary(Millis timeout) const;
  /// The agent ended the connection (DISCONNECT, close or reset) rather than leaving it hanging.
  bool ended() const;
};

/// One connection of a check, speaking as the chosen profile.
class Session {
 public:
  explicit Session(Context& ctx) : ctx_(ctx) {}
  /// Connects. "" or why not.
  std::string open();
  /// open() if needed, sends the profile's HELLO offering `offered`, validates the AGENT-HELLO.
  std::string handshake(std::uint32_t offered = default_max_frame_size);
  /// As handshake() with a hand-made HELLO.
  std::string handshake_with(std::span<const std::byte> hello, std::uint32_t offered);

  Probe& probe() noexcept { return probe_; }
  Context& ctx() noexcept { return ctx_; }
  const AgentHelloFacts& hello() const noexcept { return hello_; }
  std::uint32_t frame_size() const noexcept { return frame_size_; }
  bool pipelining() const;

  bool send(std::span<const std::byte> bytes) { return probe_.send(bytes, ctx_.deadline()); }
  Received read() { return probe_.read_frame(ctx_.deadline()); }
  /// The ids the profile would give the next NOTIFY: 2.6 a new stream of the process-wide counter with
  /// frame-id 1; 3.1 the next odd stream-id of this connection with frame-id 1.
  NotifyIds next_ids();
  /// Sends one NOTIFY with one message. False when the agent closed the connection.
  bool notify(NotifyIds ids, std::string_view name, std::span<const Argument> args);
  /// Reads the next frame and validates it as the ACK for `ids`; "" or what is wrong.
  std::string expect_ack(NotifyIds ids, AckReply& out);
  /// notify() then expect_ack().
  std::string round_trip(std::string_view name, std::span<const Argument> args, AckReply& out);
  /// Reads until the agent closes, resets, or `timeout` passes, recording any AGENT-DISCONNECT.
  Ending read_ending();

 private:
  Context& ctx_;
  Probe probe_;
  AgentHelloFacts hello_;
  std::uint32_t frame_size_ = default_max_frame_size;
  std::uint64_t next_stream_ = 1;  // 3.1
};

/// A fresh connection still completes a handshake and a NOTIFY/ACK exchange: "" or what failed.
std::string agent_still_serves(Context& ctx);

/// "Must refuse" verdict: pass when the agent ended the connection (AGENT-DISCONNECT, close or reset)
/// without answering with an AGENT-HELLO or ACK.
Outcome refused(const Ending& e, Millis timeout);
/// "Should say why" verdict: pass when the agent sent AGENT-DISCONNECT with one of `statuses`.
Outcome refused_with(const Ending& e, std::initializer_list<Status> statuses, Millis timeout);

/// When a refusal check sends its bad bytes: as the first thing on a fresh connection (handshake checks),
/// or after a completed handshake (frame checks).
enum class SendAt : std::uint8_t { start, after_handshake };
/// Sends `bytes` at `when` and reads how the agent ends the connection; the Ending, or `error` set when
/// the connection or handshake itself failed.
Ending ending_after(Context& ctx, SendAt when, const Bytes& bytes, std::string& error);
/// ending_after() judged by refused().
Outcome must_refuse(Context& ctx, SendAt when, const Bytes& bytes);
/// ending_after() judged by refused_with().
Outcome should_refuse_with(Context& ctx, SendAt when, const Bytes& bytes, std::initializer_list<Status> statuses);

}  // namespace spop::sim::conform
