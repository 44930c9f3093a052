#include "tests/tls/tls_client_support.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "tests/support/test_certs.hpp"

namespace spoa::tls::test {

using Clock = std::chrono::steady_clock;

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
