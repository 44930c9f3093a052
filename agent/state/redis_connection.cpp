// Blocking Redis connections with time limits (see redis_connection.hpp): non-blocking sockets and poll().
#include "agent/state/redis_connection.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace spoa {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  // Round a fraction of a millisecond up, so that poll() does not spin at the end.
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left + 1, 1 << 30));
}

std::string errno_text(int err) { return std::strerror(err); }

// Closes `fd` unless released: every failure path of open() closes what it opened.
class FdGuard {
 public:
  explicit FdGuard(int fd) noexcept : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Starts a non-blocking connect and waits for it. Returns 0 or the errno of the failure (ETIMEDOUT when
// the deadline passed).
int connect_within(int fd, const sockaddr* address, socklen_t length, Clock::time_point deadline) {
  if (::connect(fd, address, length) == 0) return 0;
  if (errno != EINPROGRESS && errno != EAGAIN) return errno;
  pollfd p{fd, POLLOUT, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, remaining_ms(deadline));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return ETIMEDOUT;
  if (n < 0) return errno;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::string timeout_text(std::string_view what, std::chrono::milliseconds timeout) {
  return std::string(what) + " within " + std::to_string(timeout.count()) + " ms";
}

}  // namespace

RedisConnection RedisConnection::open(const RedisEndpoint& server, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (server.is_unix()) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (server.unix_path.size() >= sizeof a.sun_path) {
      throw RedisFailure(RedisFailure::Kind::io, "cannot connect: socket path too long");
    }
    std::memcpy(a.sun_path, server.unix_path.c_str(), server.unix_path.size() + 1);
    FdGuard fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw RedisFailure(RedisFailure::Kind::io, "cannot create a socket: " + errno_text(errno));
    const int err = connect_within(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a, deadline);
    if (err == ETIMEDOUT) throw RedisFailure(RedisFailure::Kind::timeout, timeout_text("no connection", timeout));
    if (err != 0) throw RedisFailure(RedisFailure::Kind::io, "cannot connect: " + errno_text(err));
    return RedisConnection(fd.release());
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(server.port);
  const int rc = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw RedisFailure(RedisFailure::Kind::io, "cannot resolve " + server.host + ": " + ::gai_strerror(rc));
  }
  std::string last = "no address";
  bool timed_out = false;
  for (const addrinfo* ai = found; ai != nullptr && !timed_out; ai = ai->ai_next) {
    FdGuard fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last = errno_text(errno);
      continue;
    }
    const int err = connect_within(fd.get(), ai->ai_addr, ai->ai_addrlen, deadline);
    if (err == 0) {
      const int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // requests are small and awaited
      ::freeaddrinfo(found);
      return RedisConnection(fd.release());
    }
    timed_out = err == ETIMEDOUT;
    last = errno_text(err);
  }
  ::freeaddrinfo(found);
  if (timed_out) throw RedisFailure(RedisFailure::Kind::timeout, timeout_text("no connection", timeout));
  throw RedisFailure(RedisFailure::Kind::io, "cannot connect: " + last);
}

RedisConnection::RedisConnection(RedisConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), reader_(std::move(other.reader_)) {}

RedisConnection& RedisConnection::operator=(RedisConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    reader_ = std::move(other.reader_);
  }
  return *this;
}

RedisConnection::~RedisConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RedisConnection::wait(short events, Deadline deadline) const {
  pollfd p{fd_, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next read or write report the error
  }
}

std::vector<resp::Reply> RedisConnection::exchange(std::string_view request, std::size_t count,
                                                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto lost = [](const std::string& why) { return RedisFailure(RedisFailure::Kind::io, "connection lost: " + why); };
  auto late = [&] { return RedisFailure(RedisFailure::Kind::timeout, timeout_text("no answer", timeout) + " (connection dropped)"); };

  while (!request.empty()) {
    const ssize_t n = ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    if (n > 0) {
      request.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait(POLLOUT, deadline)) throw late();
      continue;
    }
    throw lost(errno_text(errno));
  }

  std::vector<resp::Reply> replies;
  replies.reserve(count);
  char buffer[4096];
  while (replies.size() < count) {
    resp::Reply reply;
    const resp::ParseStatus s = reader_.next(reply);
    if (s == resp::ParseStatus::complete) {
      replies.push_back(std::move(reply));
      continue;
    }
    if (s == resp::ParseStatus::malformed) {
      throw RedisFailure(RedisFailure::Kind::io, "malformed reply (" + reader_.error() + "): is this a Redis server?");
    }
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) throw lost("server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait(POLLIN, deadline)) throw late();
      continue;
    }
    throw lost(errno_text(errno));
  }
  if (reader_.buffered() != 0) {  // bytes nobody asked for: the next answer could not be trusted
    throw RedisFailure(RedisFailure::Kind::io, "unexpected extra bytes after the answer (connection dropped)");
  }
  return replies;
}

}  // namespace spoa
