// A blocking SPOP client that plays HAProxy: a TCP or Unix socket driven by spop::HaproxyConnection
// (the sans-I/O state machine), with one deadline per wait. Every way it can fail is a Failure with a
// kind (which decides the exit status) and a one-line message.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "spop-cli/trace.hpp"
#include "spop-cli/typed_value.hpp"
#include "netclient/transport.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop_cli {

/// Where the agent listens: host and port, or a Unix socket path.
using Endpoint = spop::netclient::Endpoint;

/// Why talking to the agent failed.
enum class FailureKind {
  resolve,       ///< the host name does not resolve
  refused,       ///< connection refused (or no such Unix socket)
  unreachable,   ///< any other connect error (network unreachable, permission denied...)
  timeout,       ///< no connection, or no answer, within --timeout
  tls,           ///< the TLS handshake failed, or the agent refused our TLS connection (certificate...)
  closed,        ///< the agent closed or reset the connection without an AGENT-DISCONNECT
  disconnected,  ///< the agent sent AGENT-DISCONNECT
  protocol,      ///< the agent's reply breaks the protocol: HAProxy would give up on the connection
  io,            ///< a socket error while connected
  request,       ///< what we were asked to send cannot be sent (a NOTIFY above the frame size)
};

struct Failure {
  FailureKind kind = FailureKind::io;
  std::string message;                         ///< one line, ready to print
  spop::Status status = spop::Status::normal;  ///< disconnected: the agent's code; protocol: HAProxy's
  std::string agent_message;                   ///< disconnected: the agent's message
  std::optional<std::size_t> offset;           ///< protocol: the byte of the agent's stream at fault
};

/// What the agent agreed to (a copy of spop::ConnectedEvent).
struct Handshake {
  std::string version;
  std::string capabilities;
  std::uint32_t max_frame_size = 0;
  bool pipelining = false;
  bool async = false;
  bool fragmentation = false;
  bool healthcheck = false;
  std::chrono::nanoseconds connect_time{0};    ///< TCP connect, and the TLS handshake over TLS
  std::string tls;                             ///< "TLSv1.3 TLS_AES_256_GCM_SHA384, agent certificate CN=..."; "" plaintext
  std::chrono::nanoseconds handshake_time{0};  ///< HAPROXY-HELLO sent to AGENT-HELLO received
};

/// One action of an ACK, owned, with HAProxy's variable name.
struct OwnedAction {
  spop::ActionType type = spop::ActionType::set_var;
  spop::Scope scope = spop::Scope::txn;
  std::string name;
  std::string variable;  ///< "<scope>.<var-prefix>.<name>", cut to 63 characters as HAProxy does
  TypedValue value;      ///< NULL for UNSET-VAR
};

struct AckResult {
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  std::vector<OwnedAction> actions;
  spop::Errc stop_reason = spop::Errc::ok;  ///< why reading stopped early (HAProxy ignores the rest)
  std::size_t stop_offset = 0;              ///< where, in the ACK's payload
  std::chrono::nanoseconds round_trip{0};
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5000};  ///< for the connection, and for each answer
  spop::HaproxyOptions haproxy;
  std::ostream* trace = nullptr;  ///< --trace output (stderr), or none
  spop::netclient::TlsClientOptions tls;  ///< --tls and the other --tls-* options
};

class Client {
 public:
  Client(Endpoint endpoint, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Connects and runs the handshake (or the health check) until the agent's answer.
  std::optional<Failure> connect();
  const Handshake& handshake() const noexcept { return handshake_; }

  /// True when one more NOTIFY may be sent now (pipelining limit, sync mode).
  bool can_send() const noexcept;
  /// Queues one NOTIFY and writes what the socket takes without blocking.
  std::optional<Failure> send(std::span<const spop::NotifyMessage> messages, spop::NotifyIds& ids);
  /// Waits for the next ACK (any of the NOTIFYs in flight).
  std::optional<Failure> wait_ack(AckResult& out);

  /// Ends politely: HAPROXY-DISCONNECT "normal", then a short wait for AGENT-DISCONNECT or the close.
  void close();

  const spop::HaproxyConnection& connection() const noexcept { return *conn_; }
  const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  std::optional<Failure> open_socket();
  std::optional<Failure> pump(spop::Clock::time_point deadline, const std::function<bool()>& done,
                              std::string_view waiting_for);
  std::optional<Failure> flush();
  std::optional<Failure> read_some();
  void feed_frames();
  void drain_events();
  Failure protocol_failure(const spop::ProtocolErrorEvent& e) const;

  Endpoint endpoint_;
  ClientOptions options_;
  std::unique_ptr<spop::HaproxyConnection> conn_;
  std::unique_ptr<Tracer> tracer_;
  spop::netclient::Transport io_;
  Handshake handshake_;
  bool connected_ = false;
  spop::Clock::time_point hello_sent_at_;
  std::deque<AckResult> acks_;
  std::optional<Failure> failure_;
  std::vector<std::byte> in_;           // received bytes not fed yet (at most one partial frame)
  std::size_t in_offset_ = 0;           // stream offset of in_[0]
  std::size_t frame_offset_ = 0;        // stream offset of the frame being fed
  std::vector<std::byte> frame_bytes_;  // the frame being fed, for error reports
};

/// The exit status for a failure (see docs/spop-cli.md): 3 when the agent could not be reached or did not
/// answer in time, 2 when it answered wrongly or went away.
int exit_code(const Failure& f) noexcept;

/// Parses "2.6" / "3.2" (also "3.1", "2", "3", "3.3"...: anything from 3.1 on behaves as 3.2; 3.0 as 2.6).
std::optional<spop::HaproxyProfile> parse_profile(std::string_view text);

}  // namespace spop_cli
