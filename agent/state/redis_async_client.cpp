// RedisAsyncClient (see redis_async_client.hpp): connect, set up, pipeline, time out, fail together.
#include "agent/state/redis_async_client.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cctype>
#include <deque>
#include <utility>
#include <vector>

#include "agent/state/redis_commands.hpp"

namespace spoa {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string system_text(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

struct RedisAsyncClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, Settings s)
      : loop(io), settings(std::move(s)), socket(io), resolver(io), timer(io) {}

  enum class Phase : std::uint8_t { idle, connecting, setting_up, ready };
  struct Waiting {
    Callback done;
    Clock::time_point deadline;
  };

  asio::io_context& loop;
  Settings settings;
  asio::generic::stream_protocol::socket socket;
  asio::ip::tcp::resolver resolver;
  asio::steady_timer timer;
  std::vector<asio::generic::stream_protocol::endpoint> addresses;  // of a host name, in the resolver's order
  Phase phase = Phase::idle;
  std::uint64_t generation = 0;  // of the connection: handlers of an older one do nothing
  bool gone = false;             // the client was destroyed
  std::size_t connect_count = 0;

  std::deque<Waiting> queued;  // before the connection is made; their bytes are in `backlog`
  std::string backlog;
  std::deque<Waiting> sent;    // written (or in `out`), answered in this order
  std::string out;             // to write next
  std::string writing;         // being written now
  bool write_busy = false;
  std::size_t setup_left = 0;  // handshake replies still to come, before the requests' replies
  std::vector<resp::Reply> setup_replies;
  resp::Reader reader;
  std::array<char, 16384> input{};
  bool timer_armed = false;
  Clock::time_point timer_due{};

  void request(std::string command, Callback done) {
    const auto deadline = Clock::now() + settings.timeout;
    // Once the set-up is written, requests follow it on the connection: their replies come after the
    // set-up's. (Held back until `ready`, they would wait for a write that nothing triggers.)
    if (phase == Phase::ready || phase == Phase::setting_up) {
      out += command;
      sent.push_back({std::move(done), deadline});
      flush();
    } else {
      backlog += command;
      queued.push_back({std::move(done), deadline});
      if (phase == Phase::idle) connect();
    }
    arm_timer();
  }

  void connect() {
    phase = Phase::connecting;
    ++connect_count;
    const std::uint64_t g = ++generation;
    auto self = shared_from_this();
    const RedisEndpoint& server = settings.server;
    if (server.is_unix()) {
      socket.async_connect(asio::local::stream_protocol::endpoint(server.unix_path),
                           [self, g](const boost::system::error_code& ec) { self->connected(g, ec); });
      return;
    }
    boost::system::error_code bad;
    const auto address = asio::ip::make_address(server.host, bad);
    if (!bad) {
      socket.async_connect(asio::ip::tcp::endpoint(address, server.port),
                           [self, g](const boost::system::error_code& ec) { self->connected(g, ec); });
      return;
    }
    resolver.async_resolve(server.host, std::to_string(server.port),
                           [self, g](const boost::system::error_code& ec, const asio::ip::tcp::resolver::results_type& found) {
                             if (self->gone || g != self->generation) return;
                             if (ec) {
                               return self->fail_all({RedisFailure::Kind::io, "cannot resolve " + self->settings.server.host +
                                                                                  ": " + system_text(ec)});
                             }
                             self->addresses.clear();
                             for (const auto& entry : found) self->addresses.emplace_back(entry.endpoint());
                             self->try_address(g, 0);
                           });
  }

  /// Connects to the resolved address `i`, or the next ones in turn.
  void try_address(std::uint64_t g, std::size_t i) {
    auto self = shared_from_this();
    boost::system::error_code ignored;
    socket.close(ignored);
    socket.async_connect(addresses[i], [self, g, i](const boost::system::error_code& ec) {
      if (ec && !self->gone && g == self->generation && i + 1 < self->addresses.size()) return self->try_address(g, i + 1);
      self->connected(g, ec);
    });
  }

  void connected(std::uint64_t g, const boost::system::error_code& ec) {
    if (gone || g != generation) return;
    if (ec) return fail_all({RedisFailure::Kind::io, "cannot connect: " + system_text(ec)});
    boost::system::error_code ignored;
    if (!settings.server.is_unix()) socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    phase = Phase::setting_up;
    std::string setup;
    setup_left = redis::append_handshake(setup, settings.credentials, settings.db, false);
    setup_replies.clear();
    out = std::move(setup) + backlog;
    backlog.clear();
    for (auto& w : queued) sent.push_back(std::move(w));
    queued.clear();
    flush();
    read();
  }

  void flush() {
    if (write_busy || out.empty() || phase == Phase::idle || phase == Phase::connecting) return;
    writing.swap(out);
    out.clear();
    write_busy = true;
    auto self = shared_from_this();
    const std::uint64_t g = generation;
    asio::async_write(socket, asio::buffer(writing), [self, g](const boost::system::error_code& ec, std::size_t) {
      if (self->gone || g != self->generation) return;
      self->write_busy = false;
      if (ec) return self->fail_all({RedisFailure::Kind::io, "connection lost: " + system_text(ec)});
      self->writing.clear();
      self->flush();
    });
  }

  void read() {
    auto self = shared_from_this();
    const std::uint64_t g = generation;
    socket.async_read_some(asio::buffer(input), [self, g](const boost::system::error_code& ec, std::size_t n) {
      if (self->gone || g != self->generation) return;
      if (ec) {
        const std::string why = ec == asio::error::eof ? "server closed the connection" : system_text(ec);
        return self->fail_all({RedisFailure::Kind::io, "connection lost: " + why});
      }
      self->reader.feed(std::string_view(self->input.data(), n));
      if (self->take_replies(g)) self->read();
    });
  }

  /// Hands out every whole reply; false if the connection was dropped meanwhile.
  bool take_replies(std::uint64_t g) {
    for (;;) {
      resp::Reply reply;
      const resp::ParseStatus s = reader.next(reply);
      if (s == resp::ParseStatus::need_more) return true;
      if (s == resp::ParseStatus::malformed) {
        fail_all({RedisFailure::Kind::io, "malformed reply (" + reader.error() + "): is this a Redis server?"});
        return false;
      }
      if (setup_left > 0) {
        setup_replies.push_back(std::move(reply));
        if (--setup_left > 0) continue;
        if (auto problem = redis::handshake_problem(setup_replies, settings.credentials, settings.db, false)) {
          fail_all({problem->refused ? RedisFailure::Kind::refused : RedisFailure::Kind::io, problem->text});
          return false;
        }
        phase = Phase::ready;
        continue;
      }
      if (sent.empty()) {
        fail_all({RedisFailure::Kind::io, "unexpected extra bytes after the answer (connection dropped)"});
        return false;
      }
      Callback done = std::move(sent.front().done);
      sent.pop_front();
      done(RedisAsyncResult{std::move(reply), std::nullopt});  // may call request() or reset()
      if (gone || g != generation) return false;
    }
  }

  void arm_timer() {
    Clock::time_point due = Clock::time_point::max();
    if (!sent.empty()) due = sent.front().deadline;
    if (!queued.empty()) due = std::min(due, queued.front().deadline);
    if (due == Clock::time_point::max() || (timer_armed && timer_due <= due)) return;
    timer_armed = true;
    timer_due = due;
    timer.expires_at(due);
    auto self = shared_from_this();
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (self->gone || ec) return;
      self->timer_armed = false;
      self->on_timer();
    });
  }

  void on_timer() {
    const auto now = Clock::now();
    const bool late = (!sent.empty() && sent.front().deadline <= now) || (!queued.empty() && queued.front().deadline <= now);
    if (late) {
      const std::string what = phase == Phase::ready ? "no answer" : "no connection";
      return fail_all({RedisFailure::Kind::timeout, what + " within " + std::to_string(settings.timeout.count()) +
                                                        " ms (connection dropped)"});
    }
    arm_timer();
  }

  /// Drops the connection and fails every request waiting, with `failure`.
  void fail_all(const RedisFailure& failure) {
    drop();
    std::deque<Waiting> failing;
    failing.swap(sent);
    for (auto& w : queued) failing.push_back(std::move(w));
    queued.clear();
    for (auto& w : failing) {
      if (gone) return;
      w.done(RedisAsyncResult{std::nullopt, failure});  // may call request(): a new connection then
    }
  }

  void drop() {
    ++generation;
    phase = Phase::idle;
    boost::system::error_code ignored;
    socket.close(ignored);
    resolver.cancel();
    reader = resp::Reader{};
    out.clear();
    backlog.clear();
    writing.clear();
    write_busy = false;
    setup_left = 0;
    if (timer_armed) {
      timer_armed = false;
      timer.cancel();
    }
  }
};

RedisAsyncClient::RedisAsyncClient(boost::asio::io_context& loop, Settings settings)
    : impl_(std::make_shared<Impl>(loop, std::move(settings))) {}

RedisAsyncClient::~RedisAsyncClient() {
  impl_->gone = true;
  impl_->drop();
}

void RedisAsyncClient::request(std::string command, Callback done) {
  impl_->request(std::move(command), std::move(done));
}

void RedisAsyncClient::reset(const std::string& why) {
  impl_->fail_all({RedisFailure::Kind::io, why});
}

std::size_t RedisAsyncClient::in_flight() const noexcept { return impl_->queued.size() + impl_->sent.size(); }

bool RedisAsyncClient::connected() const noexcept { return impl_->phase == Impl::Phase::ready; }

std::size_t RedisAsyncClient::connects() const noexcept { return impl_->connect_count; }

}  // namespace spoa
