// AgentStream batches: after one read, read_now() takes every TLS record already received without
// waiting, and one write of many small frames leaves as one TLS record, so that the ACKs of a batch
// of pipelined NOTIFYs share a record instead of paying one each.
#include "agent/tls/agent_stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <future>
#include <thread>

#include "agent/asio_tuple.hpp"
#include "agent/tls/handshake.hpp"
#include "agent/tls/server_context.hpp"
#include "tests/support/test_certs.hpp"
#include "tests/tls/tls_client_support.hpp"

namespace spoa::tls {
namespace {

namespace asio = boost::asio;
using spop::test::test_certs;
using Clock = std::chrono::steady_clock;

constexpr std::size_t record_size = 1000;
constexpr std::size_t records = 3;
constexpr std::size_t acks = 200;
constexpr std::size_t ack_size = 20;

struct Observed {
  bool handshake_ok = false;
  std::size_t first_read = 0;  // what the waiting read returned
  std::size_t batch = 0;       // with what read_now() added without waiting
  std::size_t held_after_first = 0;  // buffered() after the waiting read
  std::size_t written = 0;     // what one async_write_some took of the ACKs
};

// Accepts one client, handshakes, waits until the client has sent its records, reads them as the
// agent would (one waiting read, then read_now()), answers with one write of many ACK-sized frames.
asio::awaitable<void> serve_once(asio::ip::tcp::acceptor& acceptor, std::shared_ptr<Context> context,
                                 std::future<void> records_sent, std::promise<Observed>& observed) {
  Observed o;
  auto [ec, tcp] = co_await acceptor.async_accept(use_tuple);
  if (ec) co_return;
  Socket socket(acceptor.get_executor(), asio::generic::stream_protocol(AF_INET, IPPROTO_TCP), tcp.release());
  AgentStream stream(std::move(socket), context);
  o.handshake_ok = (co_await server_handshake(stream, std::chrono::seconds(10), "test client")).ok();
  // Blocking this thread is fine here: it serves nothing else, and the client does not need it.
  records_sent.wait();
  std::vector<std::byte> buf(1 << 16);
  auto [rec, n] = co_await stream.async_read_some(asio::buffer(buf), use_tuple);
  o.first_read = rec ? 0 : n;
  o.batch = o.first_read;
  o.held_after_first = stream.buffered();
  // As the agent's connection does: only what the TLS layer holds already.
  for (boost::system::error_code more; !more && o.batch < buf.size() && stream.buffered() > 0;) {
    o.batch += stream.read_now(asio::buffer(buf.data() + o.batch, buf.size() - o.batch), more);
  }
  const std::vector<std::byte> out(acks * ack_size, std::byte{0x42});
  auto [wec, w] = co_await stream.async_write_some(asio::buffer(out), use_tuple);
  o.written = wec ? 0 : w;
  observed.set_value(o);
}

TEST(AgentStream, OneReadTakesEveryRecordReceivedAndOneWriteIsOneRecord) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Options options;
  options.cert = test_certs().server_cert();
  options.key = test_certs().server_key();
  auto context = make_server_context(options).context;
  std::promise<void> records_sent;
  std::promise<Observed> observed;

  asio::co_spawn(io, serve_once(acceptor, context, records_sent.get_future(), observed), asio::detached);
  std::thread server([&] { io.run(); });

  auto c = test::tls_connect(acceptor.local_endpoint().port(), test::client_options(false));
  ASSERT_TRUE(c.transport.is_open()) << c.message;
  const std::string record(record_size, 'n');
  for (std::size_t i = 0; i < records; ++i) {
    // One send, one SSL_write, one TLS record (all sent before the server reads).
    ASSERT_EQ(c.transport.send(record.data(), record.size()), static_cast<ssize_t>(record_size));
  }
  records_sent.set_value();
  auto seen = observed.get_future();
  ASSERT_EQ(seen.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const Observed o = seen.get();
  EXPECT_TRUE(o.handshake_ok);
  EXPECT_GE(o.first_read, 1u);
  EXPECT_EQ(o.batch, records * record_size) << "read_now() gathers the records already received";
  if (o.first_read < records * record_size) {
    EXPECT_GT(o.held_after_first, 0u) << "buffered() shows the records received but not yet read";
  }
  EXPECT_EQ(o.written, acks * ack_size) << "one write took every ACK";

  // SSL_read returns one record at most: all ACKs in one read means they shared one record.
  std::vector<char> in(1 << 16);
  ssize_t n = -1;
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (n < 0 && Clock::now() < until) {
    n = c.transport.recv(in.data(), in.size());
    if (n < 0) spop::netclient::wait_fd(c.transport.fd(), POLLIN, Clock::now() + std::chrono::milliseconds(200));
  }
  EXPECT_EQ(n, static_cast<ssize_t>(acks * ack_size));
  io.stop();
  server.join();
}

// Without a context the stream is the plaintext socket, with the same calls.
TEST(AgentStream, NullContextIsPlaintext) {
  asio::io_context io;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Socket socket(io, asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
  AgentStream stream(std::move(socket), nullptr);
  EXPECT_FALSE(stream.is_tls());
  EXPECT_EQ(stream.ssl(), nullptr);
  char buf[16];
  boost::system::error_code ec;
  EXPECT_EQ(stream.read_now(asio::buffer(buf), ec), 0u);
  EXPECT_EQ(ec, asio::error::would_block) << "the socket is non-blocking: read_now() never waits";
  ASSERT_EQ(::write(fds[1], "ab", 2), 2);
  ASSERT_EQ(::write(fds[1], "cd", 2), 2);
  ec.clear();
  EXPECT_EQ(stream.read_now(asio::buffer(buf), ec), 4u) << ec.message();
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(stream.buffered(), 0u);
  ::close(fds[1]);
}

}  // namespace
}  // namespace spoa::tls
