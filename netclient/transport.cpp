#include "netclient/transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>

#include "tls/errors.hpp"

namespace spop::netclient {

namespace {

// Maps a TLS step that moved no byte onto recv(2)/send(2)'s conventions.
ssize_t as_posix(TlsStep step, const TlsSession& tls, std::string& error) {
  switch (step) {
    case TlsStep::done:
      return 0;
    case TlsStep::want_read:
    case TlsStep::want_write:
      errno = EAGAIN;
      return -1;
    case TlsStep::closed:
      return 0;
    case TlsStep::failed:
      error = tls.error();
      errno = EPROTO;
      return -1;
  }
  return -1;
}

}  // namespace

ssize_t send_some(int fd, TlsSession* tls, const void* data, std::size_t size, std::string& error) {
  if (tls == nullptr) return ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  std::size_t n = 0;
  const std::size_t offer = std::max(size, tls->retry_size());
  const TlsStep step = tls->write(std::span(static_cast<const std::byte*>(data), offer), n);
  if (step == TlsStep::done) return static_cast<ssize_t>(n);
  if (step == TlsStep::closed) {
    errno = EPIPE;
    return -1;
  }
  return as_posix(step, *tls, error);
}

ssize_t recv_some(int fd, TlsSession* tls, void* data, std::size_t size, std::string& error) {
  if (tls == nullptr) return ::recv(fd, data, size, MSG_DONTWAIT);
  std::size_t n = 0;
  const TlsStep step = tls->read(std::span(static_cast<std::byte*>(data), size), n);
  if (step == TlsStep::done) return static_cast<ssize_t>(n);
  return as_posix(step, *tls, error);
}

short poll_events_for(const TlsSession* tls, short wanted, TlsStep last) noexcept {
  if (tls == nullptr) return wanted;
  if (last == TlsStep::want_write) wanted = static_cast<short>(wanted | POLLOUT);
  if (last == TlsStep::want_read) wanted = static_cast<short>(wanted | POLLIN);
  return wanted;
}

Transport::Transport(Transport&& other) noexcept
    : fd_(other.fd_), tls_(std::move(other.tls_)), error_(std::move(other.error_)) {
  other.fd_ = -1;
}

Transport& Transport::operator=(Transport&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    tls_ = std::move(other.tls_);
    error_ = std::move(other.error_);
    other.fd_ = -1;
  }
  return *this;
}

ssize_t Transport::send(const void* data, std::size_t size) { return send_some(fd_, tls_.get(), data, size, error_); }

ssize_t Transport::recv(void* data, std::size_t size) { return recv_some(fd_, tls_.get(), data, size, error_); }

void Transport::close() noexcept {
  if (fd_ < 0) return;
  if (tls_) tls_->close_notify();
  tls_.reset();
  ::close(fd_);
  fd_ = -1;
}

void Transport::reset() noexcept {
  if (fd_ < 0) return;
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  tls_.reset();
  ::close(fd_);
  fd_ = -1;
}

void Transport::shutdown_write() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

TransportResult connect_transport(const Endpoint& endpoint, const ClientContext* tls,
                                  std::chrono::steady_clock::time_point deadline) {
  TransportResult r;
  Connected c = connect_endpoint(endpoint, deadline);
  if (c.fd < 0) {
    r.error = c.error;
    r.message = std::move(c.message);
    return r;
  }
  if (tls == nullptr) {
    r.transport = Transport(c.fd, nullptr);
    return r;
  }
  std::unique_ptr<TlsSession> session;
  auto fail = [&](ConnectError error, std::string message) {
    ::close(c.fd);
    r.error = error;
    r.message = std::move(message);
    return std::move(r);
  };
  try {
    session = std::make_unique<TlsSession>(*tls, c.fd, endpoint.host);
  } catch (const tls::Error& e) {
    return fail(ConnectError::tls, e.what());
  }
  for (;;) {
    const TlsStep step = session->handshake();
    if (step == TlsStep::done) break;
    if (step == TlsStep::failed || step == TlsStep::closed) {
      return fail(ConnectError::tls, "TLS with " + endpoint.to_string() + ": " + session->error());
    }
    const int rc = wait_fd(c.fd, step == TlsStep::want_write ? POLLOUT : POLLIN, deadline);
    if (rc == 0) return fail(ConnectError::timeout, "TLS handshake with " + endpoint.to_string() + " timed out");
    if (rc < 0) return fail(ConnectError::tls, std::string("poll(): ") + std::strerror(errno));
  }
  r.transport = Transport(c.fd, std::move(session));
  return r;
}

}  // namespace spop::netclient
