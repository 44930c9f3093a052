// The fake agents of the conformance tests.
#include "tests/conform/fake_agent.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

#include "simulator/conform/echo.hpp"
#include "simulator/conform/session.hpp"
#include "spop/agent_connection.hpp"
#include "spop/hello.hpp"

namespace spop::sim::conform::test {

namespace {

using Bytes = std::vector<std::byte>;

void send_all(int fd, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// Rewrites the agent's whole frames in `out` as the fault wants them.
Bytes apply_fault(Fault fault, std::span<const std::byte> out) {
  Bytes result;
  std::size_t off = 0;
  while (off < out.size()) {
    Frame f;
    std::size_t used = 0;
    if (split_frame(out.subspan(off), 1u << 24, f, used) != Errc::ok) {
      result.insert(result.end(), out.begin() + static_cast<std::ptrdiff_t>(off), out.end());
      break;
    }
    const auto whole = out.subspan(off, used);
    off += used;
    const auto type = static_cast<std::uint8_t>(f.header.type);
    if (f.header.type == FrameType::ack && fault == Fault::wrong_ids) {
      const Bytes g = raw_frame(type, f.header.flags, f.header.stream_id, f.header.frame_id + 1, f.payload);
      result.insert(result.end(), g.begin(), g.end());
    } else if (f.header.type == FrameType::ack && fault == Fault::no_fin) {
      const Bytes g = raw_frame(type, 0, f.header.stream_id, f.header.frame_id, f.payload);
      result.insert(result.end(), g.begin(), g.end());
    } else if (f.header.type == FrameType::agent_hello && fault == Fault::wrong_version) {
      AgentHello h;
      parse_agent_hello(f.payload, h);
      Bytes g;
      write_agent_hello(g, "1.0", static_cast<std::uint32_t>(h.max_frame_size.value_or(16380)),
                        h.capabilities.value_or(""));
      result.insert(result.end(), g.begin(), g.end());
    } else {
      result.insert(result.end(), whole.begin(), whole.end());
    }
  }
  return result;
}

// The echo: one SET-VAR txn per argument, same name and value.
void echo_into(AckBuilder& ack, const NotifyView& messages) {
  std::vector<Argument> args;
  for (const MessageView& m : messages) {
    if (m.name() != echo_message) continue;
    m.arguments(args);
    for (const Argument& a : args) {
      if (ack.set_var(Scope::txn, a.name, a.value) != Errc::ok) return;
    }
  }
}

}  // namespace

FakeAgent::FakeAgent(Fault fault) : fault_(fault) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 128) != 0) {
    ::close(listener_);
    throw std::runtime_error("fake agent: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeAgent::~FakeAgent() {
  stop_ = true;
  acceptor_.join();
  std::lock_guard lock(mutex_);
  for (std::thread& t : connections_) t.join();
}

void FakeAgent::accept_loop() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (fault_ == Fault::blocking) {
      serve(fd);  // one at a time: the next connection waits in the backlog
      continue;
    }
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
  // Stopped (or crashed): nobody listens any more, so new connections are refused.
  ::close(listener_);
  listener_ = -1;
}

void FakeAgent::serve(int fd) {
  AgentOptions options;
  options.hello_timeout = std::chrono::milliseconds(0);
  auto conn = std::make_unique<AgentConnection>(options);
  Bytes in;
  Bytes extra;  // frames the fault adds
  bool first = true;
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) < 0) break;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      std::byte buf[16384];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (first && fault_ == Fault::crash_on_garbage && buf[0] != std::byte{0}) {
        // A crash: the whole agent goes away (listener included), not just this connection.
        stop_ = true;
        break;
      }
      first = false;
      in.insert(in.end(), buf, buf + n);
    }
    // Frames HAProxy sent that are not NOTIFYs, seen before the connection consumes them.
    std::vector<FrameHeader> others;
    if (fault_ == Fault::ack_non_notify && conn->state() == AgentState::running) {
      std::size_t off = 0;
      Frame f;
      std::size_t used = 0;
      while (split_frame(std::span<const std::byte>(in).subspan(off), 1u << 24, f, used) == Errc::ok) {
        if (f.header.type != FrameType::notify && f.header.type != FrameType::unset) others.push_back(f.header);
        off += used;
      }
    }
    const std::size_t used = conn->feed(in);
    for (const FrameHeader& h : others) {
      const Bytes ack = raw_frame(static_cast<std::uint8_t>(FrameType::ack), frame_flags::fin, h.stream_id,
                                  h.frame_id, {});
      extra.insert(extra.end(), ack.begin(), ack.end());
    }
    while (auto ev = conn->next_event()) {
      if (const auto* n = std::get_if<NotifyEvent>(&*ev)) {
        if (fault_ == Fault::oversize_ack) {
          // Answered outside the connection's size cap; the connection's own ACK is never sent.
          AckBuilder ack(extra, n->stream_id, n->frame_id, default_max_frame_size);
          echo_into(ack, n->messages);
          ack.finish();
          continue;
        }
        AckBuilder& ack = conn->start_ack(n->stream_id, n->frame_id);
        echo_into(ack, n->messages);
        conn->commit_ack();
      }
    }
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(used));
    conn->on_tick(Clock::now());
    const auto pending = conn->pending_output();
    // The fault's own frames go first: they answer frames that came before anything still queued.
    Bytes out = std::move(extra);
    extra.clear();
    const Bytes rewritten = apply_fault(fault_, pending);
    out.insert(out.end(), rewritten.begin(), rewritten.end());
    conn->consume_output(pending.size());
    if (!out.empty()) send_all(fd, out);
    if (!conn->wants_read() && !conn->wants_write()) break;
  }
  ::close(fd);
}

}  // namespace spop::sim::conform::test
