#include "tests/tls/tls_test_agent.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <variant>

#include "agent/asio_tuple.hpp"
#include "spop/agent_connection.hpp"

namespace spoa::tls::test {

namespace asio = boost::asio;

struct TlsTestAgent::Impl {
  TlsTestAgent& owner;
  Settings settings;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  ContextHolder holder;
  std::uint64_t next_id = 1;

  Impl(TlsTestAgent& o, Settings s) : owner(o), settings(std::move(s)), holder(settings.tls) {
    asio::ip::tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(at.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, tcp] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;  // the acceptor was closed
      tcp.set_option(asio::ip::tcp::no_delay(true));
      const int family = tcp.local_endpoint().protocol().family();
      Socket socket(io, asio::generic::stream_protocol(family, IPPROTO_TCP), tcp.release());
      asio::co_spawn(io, serve(std::make_unique<AgentStream>(std::move(socket), holder.current())), asio::detached);
    }
  }

  asio::awaitable<void> serve(std::unique_ptr<AgentStream> stream) {
    Handshake h;
    h.peer = peer_name(stream->socket());
    h.result = co_await server_handshake(*stream, settings.handshake_timeout, h.peer, next_id++);
    if (const char* sni = SSL_get_servername(stream->ssl(), TLSEXT_NAMETYPE_host_name)) h.server_name = sni;
    const bool ok = h.result.ok();
    {
      std::lock_guard lock(owner.mutex_);
      owner.handshakes_.push_back(std::move(h));
    }
    owner.changed_.notify_all();
    if (!ok) co_return;
    if (settings.mode == Mode::echo) co_await echo(*stream);
    else co_await answer_spop(*stream);
  }

  static asio::awaitable<void> echo(AgentStream& stream) {
    std::vector<std::byte> buf(65536);
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(buf), use_tuple);
      if (ec) co_return;
      std::size_t done = 0;
      while (done < n) {
        auto [wec, w] = co_await stream.async_write_some(asio::buffer(buf.data() + done, n - done), use_tuple);
        if (wec) co_return;
        done += w;
      }
    }
  }

  // Reads a batch (what the first read brings, then all that can be read without waiting), feeds it,
  // answers every NOTIFY with an empty ACK and writes everything in one go: the agent's pattern.
  asio::awaitable<void> answer_spop(AgentStream& stream) {
    spop::AgentConnection conn;
    std::vector<std::byte> buf(1 << 16);
    std::size_t head = 0, tail = 0;
    while (conn.wants_read() || conn.wants_write()) {
      while (conn.wants_write()) {
        auto out = conn.pending_output();
        auto [ec, n] = co_await stream.async_write_some(asio::buffer(out.data(), out.size()), use_tuple);
        if (ec) co_return;
        conn.consume_output(n);
      }
      if (!conn.wants_read()) break;
      if (head == tail) head = tail = 0;
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(buf.data() + tail, buf.size() - tail), use_tuple);
      if (ec) co_return;
      tail += n;
      boost::system::error_code more;
      while (tail < buf.size()) {
        const std::size_t m = stream.read_now(asio::buffer(buf.data() + tail, buf.size() - tail), more);
        if (more) break;
        tail += m;
      }
      head += conn.feed(std::span<const std::byte>(buf.data() + head, tail - head));
      while (auto ev = conn.next_event()) {
        if (const auto* notify = std::get_if<spop::NotifyEvent>(&*ev)) {
          conn.start_ack(notify->stream_id, notify->frame_id);
          conn.commit_ack();
          ++owner.notifies_;
        }
      }
      if (head < tail && head > 0) {
        std::memmove(buf.data(), buf.data() + head, tail - head);
        tail -= head;
        head = 0;
      }
    }
  }
};

TlsTestAgent::TlsTestAgent(Settings settings) : impl_(std::make_unique<Impl>(*this, std::move(settings))) {
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  thread_ = std::thread([this] { impl_->io.run(); });
}

TlsTestAgent::~TlsTestAgent() {
  impl_->io.stop();
  thread_.join();
}

std::vector<TlsTestAgent::Handshake> TlsTestAgent::handshakes() const {
  std::lock_guard lock(mutex_);
  return handshakes_;
}

bool TlsTestAgent::wait_handshakes(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return handshakes_.size() >= n; });
}

ContextHolder::ReloadResult TlsTestAgent::reload() {
  auto done = asio::post(impl_->io, asio::use_future([this] { return impl_->holder.reload(); }));
  return done.get();
}

}  // namespace spoa::tls::test
