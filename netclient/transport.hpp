// A connection of the tools to an agent, plaintext or TLS, with the calls of a non-blocking socket:
// send() and recv() behave like send(2)/recv(2) (bytes, 0 at the end, or -1 with errno; EAGAIN means
// "poll, then call again"), so that spop-cli's client and spop-sim's loops drive both kinds alike.
// TLS errors come back as -1 with errno EPROTO and a message in error().
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "netclient/endpoint.hpp"
#include "netclient/tls_client.hpp"

namespace spop::netclient {

/// send(2) on `fd`, or through `tls` when it is set; -1 with errno, `error` set for EPROTO.
ssize_t send_some(int fd, TlsSession* tls, const void* data, std::size_t size, std::string& error);
/// recv(2) likewise; 0 at the end of the stream.
ssize_t recv_some(int fd, TlsSession* tls, void* data, std::size_t size, std::string& error);
/// The poll events to wait for on `fd` before calling send_some/recv_some again: `wanted` plus what the
/// TLS session's last step asked for (TLS may need to write to read, and the reverse).
short poll_events_for(const TlsSession* tls, short wanted, TlsStep last) noexcept;

class Transport {
 public:
  Transport() = default;
  /// Takes ownership of the connected, non-blocking `fd`; `tls` (handshake done) or null.
  Transport(int fd, std::unique_ptr<TlsSession> tls) noexcept : fd_(fd), tls_(std::move(tls)) {}
  Transport(Transport&& other) noexcept;
  Transport& operator=(Transport&& other) noexcept;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport() { close(); }

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  bool is_tls() const noexcept { return tls_ != nullptr; }
  TlsSession* tls() const noexcept { return tls_.get(); }

  ssize_t send(const void* data, std::size_t size);
  ssize_t recv(void* data, std::size_t size);
  /// Decrypted bytes ready: recv() returns them without waiting, though poll() shows nothing.
  bool has_buffered_input() const noexcept { return tls_ && tls_->buffered() > 0; }
  /// After EPROTO: what went wrong.
  const std::string& error() const noexcept { return error_; }

  /// Ends politely (TLS close_notify, then close).
  void close() noexcept;
  /// Ends with an RST (SO_LINGER 0), as HAProxy ends a health check.
  void reset() noexcept;
  /// No more bytes from us (TCP half-close; TLS sends no close_notify, as a cut connection would).
  void shutdown_write() noexcept;

 private:
  int fd_ = -1;
  std::unique_ptr<TlsSession> tls_;
  std::string error_;
};

/// The outcome of connect_transport(): an open transport, or the error and a one-line message.
struct TransportResult {
  Transport transport;
  ConnectError error = ConnectError::none;
  std::string message;
};

/// Connects to `endpoint` and, when `tls` is given, runs the TLS handshake, all before `deadline`.
TransportResult connect_transport(const Endpoint& endpoint, const ClientContext* tls,
                                  std::chrono::steady_clock::time_point deadline);

}  // namespace spop::netclient
