// TLS clients for the TLS tests, through the tools' netclient library (plaintext, garbage and stalled
// peers use the agent tests' TestClient).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netclient/transport.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::tls::test {

/// TLS client options trusting the test CA; with the test client certificate when `with_cert`.
spop::netclient::TlsClientOptions client_options(bool with_cert);

/// Connects with TLS to 127.0.0.1:`port` (or `host`:`port`) and runs the handshake (bounded).
spop::netclient::TransportResult tls_connect(std::uint16_t port, const spop::netclient::TlsClientOptions& options,
                                             const std::string& host = "127.0.0.1");

/// HAProxy's side of an SPOP connection over TLS, blocking with bounded waits: the TLS twin of the
/// agent tests' TestClient, for the real agent serving TLS.
class TlsSpopClient {
 public:
  /// Connects with TLS and runs the handshake; check connected(), else error().
  TlsSpopClient(std::uint16_t port, const spop::netclient::TlsClientOptions& options);

  bool connected() const noexcept { return transport_.is_open(); }
  const std::string& error() const noexcept { return error_; }
  spop::netclient::Transport& transport() noexcept { return transport_; }

  /// Sends all bytes. False on error (error() says why).
  bool send(std::span<const std::byte> bytes);
  /// Reads the next whole frame; nullopt when the connection ended or `timeout` passed (error()).
  std::optional<spoa::test::ReceivedFrame> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Sends the test client's HAPROXY-HELLO and reads the answer.
  std::optional<spoa::test::ReceivedFrame> hello();

 private:
  spop::netclient::Transport transport_;
  std::string error_;
  std::vector<std::byte> in_;
};

/// Sends `text` and reads back as many bytes (echo mode), bounded. "" on any failure, then `error` says why.
std::string echo_round_trip(spop::netclient::Transport& t, const std::string& text, std::string& error);

}  // namespace spoa::tls::test
