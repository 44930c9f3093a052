// A blocking datagram receiver with poll() deadlines.
#include "tests/agent/datagram_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace spoa::test {

DatagramSocket::DatagramSocket(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.native().size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path_.c_str(), path_.native().size());
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
  // Journal entries and tracebacks can be large: make room so none is truncated or dropped.
  int size = 1 << 20;
  if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

DatagramSocket::~DatagramSocket() {
  if (fd_ < 0) return;
  ::close(fd_);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

std::optional<std::string> DatagramSocket::receive(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  std::vector<char> buf(1 << 20);
  ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n < 0) return std::nullopt;
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::optional<std::string> DatagramSocket::receive_until(const std::function<bool(const std::string&)>& match,
                                                         std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto d = receive(left);
    if (!d) return std::nullopt;
    if (match(*d)) return d;
  }
}

}  // namespace spoa::test
