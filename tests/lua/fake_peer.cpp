#include "tests/lua/fake_peer.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <functional>
#include <system_error>

namespace spoa::lua::test {

namespace asio = boost::asio;

struct FakePeer::Connection : std::enable_shared_from_this<Connection> {
  explicit Connection(asio::io_context& loop) : socket(loop) {}
  asio::generic::stream_protocol::socket socket;
  asio::streambuf input;
  bool counted_close = false;
};

FakePeer::FakePeer(asio::io_context& loop) : loop_(loop), acceptor_(loop) {
  const asio::ip::tcp::endpoint any(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(asio::generic::stream_protocol(AF_INET, IPPROTO_TCP));
  acceptor_.bind(any);
  acceptor_.listen();
  port_ = ntohs(reinterpret_cast<const sockaddr_in*>(acceptor_.local_endpoint().data())->sin_port);
  accept();
}

FakePeer::FakePeer(asio::io_context& loop, const std::filesystem::path& path)
    : loop_(loop), acceptor_(loop), unix_path_(path) {
  std::filesystem::remove(path);
  acceptor_.open(asio::generic::stream_protocol(AF_UNIX, 0));
  acceptor_.bind(asio::local::stream_protocol::endpoint(path.string()));
  acceptor_.listen();
  accept();
}

FakePeer::~FakePeer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  close_all();
  std::error_code ec;
  if (!unix_path_.empty()) std::filesystem::remove(unix_path_, ec);
}

void FakePeer::close_all() {
  for (auto& c : connections_) {
    boost::system::error_code ignored;
    if (!c->socket.is_open()) continue;
    c->counted_close = true;  // our close, not the client's
    c->socket.close(ignored);
  }
}

void FakePeer::accept() {
  auto c = std::make_shared<Connection>(loop_);
  acceptor_.async_accept(c->socket, [this, c](const boost::system::error_code& ec) {
    if (ec) return;
    ++accepted_;
    connections_.push_back(c);
    if (reading) read(c);
    accept();
  });
}

void FakePeer::read(const std::shared_ptr<Connection>& c) {
  asio::async_read_until(c->socket, c->input, '\n', [this, c](const boost::system::error_code& ec, std::size_t n) {
    if (ec) {
      if (!c->counted_close) {
        c->counted_close = true;
        ++closed_by_client_;
      }
      return;
    }
    std::string line(asio::buffers_begin(c->input.data()), asio::buffers_begin(c->input.data()) + static_cast<std::ptrdiff_t>(n));
    c->input.consume(n);
    line.pop_back();
    commands_.push_back(line);
    act(c, line);
  });
}

void FakePeer::act(const std::shared_ptr<Connection>& c, const std::string& line) {
  auto write = [c](std::string text) {
    auto data = std::make_shared<std::string>(std::move(text));
    asio::async_write(c->socket, asio::buffer(*data), [data](const boost::system::error_code&, std::size_t) {});
  };
  auto later = [this](int ms, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(loop_, std::chrono::milliseconds(ms));
    timer->async_wait([timer, fn](const boost::system::error_code&) { fn(); });
  };
  if (line.rfind("echo ", 0) == 0) {
    write(line.substr(5) + "\n");
  } else if (line == "split") {
    write("hel");
    later(5, [write] { write("lo\r\nwor"); });
    later(10, [write] { write("ld\n"); });
    later(15, [write] { write("12345"); });
  } else if (line == "half" || line == "bye") {
    write(line == "half" ? "abc" : "all the rest");
    later(5, [c] {
      c->counted_close = true;
      boost::system::error_code ignored;
      c->socket.shutdown(asio::socket_base::shutdown_both, ignored);
      c->socket.close(ignored);
    });
    return;
  }
  read(c);
}

std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace spoa::lua::test
