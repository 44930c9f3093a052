#include "tests/tls/tls_client_support.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "spop/frame.hpp"
#include "spop/hello.hpp"
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

TlsSpopClient::TlsSpopClient(std::uint16_t port, const spop::netclient::TlsClientOptions& options) {
  auto c = tls_connect(port, options);
  transport_ = std::move(c.transport);
  error_ = c.message;
}

bool TlsSpopClient::send(std::span<const std::byte> bytes) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = transport_.send(bytes.data() + sent, bytes.size() - sent);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno != EAGAIN || Clock::now() > until) {
      error_ = "send: " + (errno == EPROTO ? transport_.error() : std::string(std::strerror(errno)));
      return false;
    }
    spop::netclient::wait_fd(transport_.fd(), POLLIN | POLLOUT, Clock::now() + std::chrono::milliseconds(100));
  }
  return true;
}

std::optional<spoa::test::ReceivedFrame> TlsSpopClient::read_frame(std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    spop::Frame frame;
    std::size_t consumed = 0;
    if (spop::split_frame(in_, 0xFFFFFF, frame, consumed) == spop::Errc::ok) {
      spoa::test::ReceivedFrame out{frame.header, {frame.payload.begin(), frame.payload.end()}};
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(consumed));
      return out;
    }
    std::byte buf[16384];
    const ssize_t n = transport_.recv(buf, sizeof buf);
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      continue;
    }
    if (n == 0) {
      error_ = "closed by the agent";
      return std::nullopt;
    }
    if (errno != EAGAIN) {
      error_ = "recv: " + (errno == EPROTO ? transport_.error() : std::string(std::strerror(errno)));
      return std::nullopt;
    }
    if (Clock::now() > until) {
      error_ = "timed out";
      return std::nullopt;
    }
    spop::netclient::wait_fd(transport_.fd(), POLLIN, Clock::now() + std::chrono::milliseconds(100));
  }
}

std::optional<spoa::test::ReceivedFrame> TlsSpopClient::hello() {
  std::vector<std::byte> out;
  if (spop::write_haproxy_hello(out, spoa::test::TestClient::default_hello()) != spop::Errc::ok) return std::nullopt;
  if (!send(out)) return std::nullopt;
  return read_frame();
}

}  // namespace spoa::tls::test
