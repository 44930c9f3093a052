#include "tests/tls/tls_client_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/test_certs.hpp"

namespace spoa::tls::test {

using Clock = std::chrono::steady_clock;

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawClient::send(const std::string& bytes) {
  if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    throw std::runtime_error(std::string("send: ") + std::strerror(errno));
  }
}

bool RawClient::closed_by_server(std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

spop::netclient::TlsClientOptions client_options(bool with_cert) {
  spop::netclient::TlsClientOptions o;
  o.enabled = true;
  o.ca = spop::test::test_certs().ca();
  if (with_cert) {
    o.cert = spop::test::test_certs().client_cert();
    o.key = spop::test::test_certs().client_key();
  }
  return o;
}

spop::netclient::TransportResult tls_connect(std::uint16_t port, const spop::netclient::TlsClientOptions& options,
                                             const std::string& host) {
  spop::netclient::Endpoint e;
  e.host = host;
  e.port = port;
  const spop::netclient::ClientContext context(options);
  return spop::netclient::connect_transport(e, &context, Clock::now() + std::chrono::seconds(10));
}

std::string echo_round_trip(spop::netclient::Transport& t, const std::string& text, std::string& error) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  std::size_t sent = 0;
  std::string back;
  while (back.size() < text.size()) {
    if (Clock::now() > until) {
      error = "timed out";
      return {};
    }
    if (sent < text.size()) {
      const ssize_t n = t.send(text.data() + sent, text.size() - sent);
      if (n > 0) sent += static_cast<std::size_t>(n);
      else if (errno != EAGAIN) {
        error = "send: " + (errno == EPROTO ? t.error() : std::string(std::strerror(errno)));
        return {};
      }
    }
    char buf[4096];
    const ssize_t n = t.recv(buf, sizeof buf);
    if (n > 0) {
      back.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      error = "closed by the server";
      return {};
    }
    if (errno != EAGAIN) {
      error = "recv: " + (errno == EPROTO ? t.error() : std::string(std::strerror(errno)));
      return {};
    }
    spop::netclient::wait_fd(t.fd(), POLLIN, Clock::now() + std::chrono::milliseconds(100));
  }
  return back;
}

}  // namespace spoa::tls::test
