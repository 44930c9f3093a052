// Clients for the TLS tests: a raw TCP connection to 127.0.0.1 (for plaintext, garbage and stalled
// peers) and TLS connections through the tools' netclient library.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "netclient/transport.hpp"

namespace spoa::tls::test {

/// A blocking TCP socket connected to 127.0.0.1:`port`; closed by the destructor.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& bytes);
  /// True when the server closed (EOF or reset) within `timeout`, reading and dropping what it sent.
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void close();

 private:
  int fd_ = -1;
};

/// TLS client options trusting the test CA; with the test client certificate when `with_cert`.
spop::netclient::TlsClientOptions client_options(bool with_cert);

/// Connects with TLS to 127.0.0.1:`port` (or `host`:`port`) and runs the handshake (bounded).
spop::netclient::TransportResult tls_connect(std::uint16_t port, const spop::netclient::TlsClientOptions& options,
                                             const std::string& host = "127.0.0.1");

/// Sends `text` and reads back as many bytes (echo mode), bounded. "" on any failure, then `error` says why.
std::string echo_round_trip(spop::netclient::Transport& t, const std::string& text, std::string& error);

}  // namespace spoa::tls::test
