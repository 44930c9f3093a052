#include "tests/spop-cli/fake_agent.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "spop/ack_builder.hpp"
#include "spop/frame.hpp"
#include "spop/hello.hpp"
#include "spop/notify.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli::test {

namespace {

// Polls in short steps so that a stopping FakeAgent never waits for a script's long timeout.
bool wait_readable(int fd, std::chrono::milliseconds timeout, const std::atomic<bool>& stopping) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stopping.load()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
  return false;
}

}  // namespace

AgentSide::AgentSide(int fd, FakeAgent& owner) : fd_(fd), owner_(owner) {}

AgentSide::~AgentSide() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::vector<std::byte>> AgentSide::read_frame(std::chrono::milliseconds timeout) {
  while (true) {
    std::uint32_t len = 0;
    if (spop::peek_frame_length(buffer_, len) == spop::Errc::ok && buffer_.size() >= 4 + std::size_t{len}) {
      std::vector<std::byte> frame(buffer_.begin(), buffer_.begin() + 4 + len);
      buffer_.erase(buffer_.begin(), buffer_.begin() + 4 + len);
      owner_.record(frame);
      return frame;
    }
    if (!wait_readable(fd_, timeout, owner_.stopping_)) return std::nullopt;
    std::byte buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      end_ = n == 0 ? PeerEnd::fin : errno == ECONNRESET ? PeerEnd::reset : PeerEnd::error;
      return std::nullopt;
    }
    buffer_.insert(buffer_.end(), buf, buf + n);
  }
}

void AgentSide::send(std::span<const std::byte> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client went away: the test checks what it saw
    done += static_cast<std::size_t>(n);
  }
}

void AgentSide::send_hex(std::string_view hex) { send(spop::test::hex(hex)); }

void AgentSide::reset() {
  // Closing with a zero linger time sends an RST instead of a FIN.
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

void AgentSide::wait_close(std::chrono::milliseconds timeout) {
  std::byte buf[4096];
  while (wait_readable(fd_, timeout, owner_.stopping_)) {
    if (::recv(fd_, buf, sizeof buf, 0) <= 0) return;
  }
}

FakeAgent::FakeAgent(Script script, std::string unix_path)
    : script_(std::move(script)), unix_path_(std::move(unix_path)) {
  if (!unix_path_.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    unix_path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    ::unlink(unix_path_.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("FakeAgent: cannot listen on " + unix_path_);
    }
    thread_ = std::thread([this] { serve(); });
    return;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("FakeAgent: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeAgent::~FakeAgent() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void FakeAgent::serve() {
  while (!stopping_) {
    if (!wait_readable(listen_fd_, std::chrono::hours(1), stopping_)) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    AgentSide side(fd, *this);
    script_(side);
  }
}

void FakeAgent::record(const std::vector<std::byte>& frame) {
  std::lock_guard lock(mutex_);
  frames_.push_back(frame);
}

std::vector<std::vector<std::byte>> FakeAgent::frames() const {
  std::lock_guard lock(mutex_);
  return frames_;
}

// ---- canned replies --------------------------------------------------------------------------

std::vector<std::byte> agent_hello(std::string_view capabilities, std::uint32_t frame_size, std::string_view version) {
  std::vector<std::byte> out;
  spop::write_agent_hello(out, version, frame_size, capabilities);
  return out;
}

std::vector<std::byte> agent_disconnect(std::uint32_t status, std::string_view message) {
  std::vector<std::byte> out;
  spop::write_disconnect(out, spop::FrameType::agent_disconnect, status, message);
  return out;
}

std::vector<std::byte> echo_ack(std::span<const std::byte> notify_frame) {
  spop::Frame frame;
  std::size_t used = 0;
  std::vector<std::byte> out;
  if (spop::split_frame(notify_frame, UINT32_MAX, frame, used) != spop::Errc::ok) return out;
  spop::NotifyView view;
  if (spop::NotifyView::parse(frame.payload, view) != spop::Errc::ok) return out;
  spop::AckBuilder ack(out, frame.header.stream_id, frame.header.frame_id, 16380);
  std::vector<spop::Argument> args;
  std::size_t unnamed = 0;
  for (const spop::MessageView& m : view) {
    m.arguments(args);
    for (const spop::Argument& a : args) {
      const std::string name = a.name.empty() ? "arg" + std::to_string(++unnamed) : std::string(a.name);
      ack.set_var(spop::Scope::txn, name, a.value);
    }
  }
  ack.finish();
  return out;
}

FakeAgent::Script echo_script(std::string capabilities) {
  return [capabilities](AgentSide& side) {
    if (!side.read_frame()) return;
    side.send(agent_hello(capabilities));
    while (auto frame = side.read_frame()) {
      const auto type = static_cast<spop::FrameType>(frame_type(*frame));
      if (type == spop::FrameType::notify) side.send(echo_ack(*frame));
      if (type == spop::FrameType::haproxy_disconnect) {
        side.send(agent_disconnect(0, "normal"));
        return;
      }
    }
  };
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::uint8_t frame_type(const std::vector<std::byte>& frame) {
  return frame.size() > 4 ? std::to_integer<std::uint8_t>(frame[4]) : 0;
}

}  // namespace spop_cli::test
