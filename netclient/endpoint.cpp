#include "netclient/endpoint.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace spop::netclient {

namespace {

using Clock = std::chrono::steady_clock;

Connected failed(ConnectError error, std::string message) {
  Connected c;
  c.error = error;
  c.message = std::move(message);
  return c;
}

ConnectError kind_of(int err) {
  return err == ECONNREFUSED || err == ENOENT ? ConnectError::refused : ConnectError::unreachable;
}

// A local connect does not wait for the network: it succeeds or fails at once.
Connected connect_unix(const Endpoint& endpoint) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (endpoint.unix_path.size() >= sizeof addr.sun_path) {
    return failed(ConnectError::unreachable, "unix socket path too long: " + endpoint.unix_path);
  }
  std::memcpy(addr.sun_path, endpoint.unix_path.c_str(), endpoint.unix_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return failed(ConnectError::unreachable, std::string("socket(): ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    return failed(kind_of(err), "cannot connect to " + endpoint.to_string() + ": " +
                                    (err == ENOENT         ? "no such socket file"
                                     : err == ECONNREFUSED ? "connection refused"
                                                           : std::strerror(err)));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  Connected c;
  c.fd = fd;
  return c;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

int wait_fd(int fd, short events, Clock::time_point deadline, short* revents) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) return 0;
    pollfd p{fd, events, 0};
    // Rounded up so that the wait never ends just before the deadline.
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 1'000'000)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0 && Clock::now() < deadline) continue;
    if (revents != nullptr) *revents = p.revents;
    return rc;
  }
}

Connected connect_endpoint(const Endpoint& endpoint, Clock::time_point deadline) {
  if (!endpoint.unix_path.empty()) return connect_unix(endpoint);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    return failed(ConnectError::resolve, "cannot resolve host '" + endpoint.host + "': " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(list, &::freeaddrinfo);
  Connected last = failed(ConnectError::unreachable, "no address for " + endpoint.host);
  // Every address of the name in turn, as a browser would, within the one deadline.
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = failed(ConnectError::unreachable, std::string("socket(): ") + std::strerror(errno));
      continue;
    }
    int err = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        const int rc = wait_fd(fd, POLLOUT, deadline);
        if (rc == 0) {
          ::close(fd);
          return failed(ConnectError::timeout, "connection to " + endpoint.to_string() + " timed out");
        }
        socklen_t len = sizeof err;
        err = rc < 0 ? errno : 0;
        if (rc > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      const int one = 1;
      // SPOP frames are small and latency matters; the conformance checks that split frames also rely on
      // each send() leaving as its own segment.
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Connected c;
      c.fd = fd;
      return c;
    }
    ::close(fd);
    last = failed(kind_of(err), "cannot connect to " + endpoint.to_string() + ": " +
                                    (err == ECONNREFUSED ? "connection refused" : std::strerror(err)));
  }
  return last;
}

}  // namespace spop::netclient
