// TLS clients for the TLS tests, through the tools' netclient library (plaintext, garbage and stalled
// peers use the agent tests' TestClient).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "netclient/transport.hpp"

namespace spoa::tls::test {

/// TLS client options trusting the test CA; with the test client certificate when `with_cert`.
spop::netclient::TlsClientOptions client_options(bool with_cert);

/// Connects with TLS to 127.0.0.1:`port` (or `host`:`port`) and runs the handshake (bounded).
spop::netclient::TransportResult tls_connect(std::uint16_t port, const spop::netclient::TlsClientOptions& options,
                                             const std::string& host = "127.0.0.1");

/// Sends `text` and reads back as many bytes (echo mode), bounded. "" on any failure, then `error` says why.
std::string echo_round_trip(spop::netclient::Transport& t, const std::string& text, std::string& error);

}  // namespace spoa::tls::test
