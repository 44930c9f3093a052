// The blocking test client: plain sockets and poll(), frames split with spop::split_frame.
#include "tests/agent/test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "spop/notify_builder.hpp"

namespace spoa::test {

namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

TestClient::TestClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TestClient::TestClient(const std::string& unix_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, unix_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TestClient::TestClient(TestClient&& other) noexcept : fd_(other.fd_), in_(std::move(other.in_)) { other.fd_ = -1; }

TestClient::~TestClient() { close(); }

void TestClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TestClient::reset() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

bool TestClient::send(std::span<const std::byte> bytes, std::size_t chunk) {
  std::size_t step = chunk == 0 ? bytes.size() : chunk;
  std::size_t off = 0;
  while (off < bytes.size()) {
    std::size_t n = std::min(step, bytes.size() - off);
    ssize_t w = ::send(fd_, bytes.data() + off, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(w);
  }
  return true;
}

std::optional<ReceivedFrame> TestClient::read_frame(std::chrono::milliseconds timeout, ReadEnd* end) {
  auto deadline = SteadyClock::now() + timeout;
  auto set_end = [end](ReadEnd e) {
    if (end != nullptr) *end = e;
  };
  for (;;) {
    spop::Frame frame;
    std::size_t consumed = 0;
    // The agent's frames are at most 16 MiB here; size checks are the agent's business, not ours.
    auto err = spop::split_frame(in_, 0xFFFFFF, frame, consumed);
    if (err == spop::Errc::ok) {
      ReceivedFrame out{frame.header, {frame.payload.begin(), frame.payload.end()}};
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(consumed));
      set_end(ReadEnd::frame);
      return out;
    }
    if (err != spop::Errc::need_more || fd_ < 0) {
      set_end(ReadEnd::closed);
      return std::nullopt;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) {
      set_end(ReadEnd::timeout);
      return std::nullopt;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r == 0) continue;
    if (r < 0 && errno == EINTR) continue;
    std::byte buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) {
      set_end(ReadEnd::closed);
      return std::nullopt;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      set_end(errno == ECONNRESET ? ReadEnd::reset : ReadEnd::closed);
      return std::nullopt;
    }
    in_.insert(in_.end(), buf, buf + n);
  }
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    ReadEnd end{};
    auto f = read_frame(left, &end);
    if (f) continue;
    return end == ReadEnd::closed || end == ReadEnd::reset;
  }
}

spop::HaproxyHelloParams TestClient::default_hello() {
  spop::HaproxyHelloParams p;
  p.engine_id = "0b6c4a1e-3f4d-4b0e-9a55-2c7d1e9f8a10";
  return p;
}

std::optional<ReceivedFrame> TestClient::hello(const spop::HaproxyHelloParams& params) {
  std::vector<std::byte> out;
  if (spop::write_haproxy_hello(out, params) != spop::Errc::ok) return std::nullopt;
  if (!send(out)) return std::nullopt;
  return read_frame();
}

std::vector<std::byte> notify_frame(std::uint64_t sid, std::uint64_t fid, std::string_view name,
                                    std::span<const spop::Argument> args) {
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, sid, fid, spop::default_max_frame_size);
  b.add_message(name, args);
  b.finish();
  return out;
}

bool TestClient::notify(std::uint64_t sid, std::uint64_t fid, std::string_view name,
                        std::span<const spop::Argument> args) {
  return send(notify_frame(sid, fid, name, args));
}

spop::DisconnectInfo disconnect_info(const ReceivedFrame& frame) {
  spop::DisconnectInfo info;
  spop::parse_disconnect(frame.payload, info);
  return info;
}

}  // namespace spoa::test
