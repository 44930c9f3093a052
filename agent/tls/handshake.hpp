// The server side of a TLS handshake on an accepted connection, bounded by a deadline (the agent's
// --hello-timeout). Every way it can fail is the peer's problem: a plaintext SPOP client, garbage
// instead of a ClientHello, no or a wrong client certificate, no common version or cipher, a peer that
// rejects our certificate, a handshake that stalls. Each ends in one log line (warning for what looks
// like a misconfiguration or an attack, info for a stall or a peer that gives up) naming the peer and
// the reason; the caller then closes the connection. Nothing here throws or blocks the worker.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/tls/agent_stream.hpp"

namespace spoa::tls {

/// Why a handshake failed; `none` when it succeeded.
enum class HandshakeFailure : std::uint8_t {
  none,
  closed_silently,         ///< connected and closed without a byte (a connect-only health check): debug
  closed,                  ///< closed or reset during the handshake
  timeout,                 ///< no complete handshake before the deadline
  plaintext_spop,          ///< a HAPROXY-HELLO or other SPOP frame in clear: `ssl` missing on HAProxy's side
  not_tls,                 ///< the first bytes are not a TLS record
  no_client_certificate,   ///< mutual TLS and the client sent none
  bad_client_certificate,  ///< the client's certificate does not verify against --tls-ca
  certificate_rejected,    ///< the client rejected our certificate (alert)
  no_common_parameters,    ///< no shared version or cipher
  other,                   ///< anything else (the OpenSSL reason is in the message)
};

std::string_view to_string(HandshakeFailure f) noexcept;

struct HandshakeResult {
  HandshakeFailure failure = HandshakeFailure::none;
  std::string reason;  ///< the logged reason; on success what was agreed ("TLSv1.3 TLS_AES_256_GCM_SHA384")
  bool ok() const noexcept { return failure == HandshakeFailure::none; }
};

/// Runs the handshake on the TLS stream `stream` (is_tls()) within `timeout` (0: no limit). On failure
/// logs the one line, naming `peer` ("192.0.2.7:51234") in the log context of connection
/// `connection_id` (0: none), and returns why; the caller closes the socket. On success logs at debug
/// what was agreed.
/// (Separate parameters rather than a struct: GCC 12 destroys a braced aggregate argument of a
/// coroutine twice.)
boost::asio::awaitable<HandshakeResult> server_handshake(AgentStream& stream, std::chrono::milliseconds timeout,
                                                         std::string peer, std::uint64_t connection_id = 0);

/// "127.0.0.1:5123", "[::1]:5123", "unix socket" or "unknown peer": the remote end of `socket`.
std::string peer_name(const Socket& socket);

}  // namespace spoa::tls
