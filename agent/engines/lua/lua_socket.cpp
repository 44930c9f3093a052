// spoa.tcp() sockets (see lua_socket.hpp): their operations as waits on the call's event loop.
#include "agent/engines/lua/lua_socket.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_errors.hpp"
#include "agent/engines/lua/lua_task.hpp"
#include "agent/engines/lua/socket_link.hpp"

// Lua errors and yields are longjmps: in the functions Lua calls, no object with a destructor is alive
// where one may happen. The C++ work is done in noexcept helpers that leave their outcome in plain
// variables (or in the wait, whose strings outlive the call).

namespace spoa::lua {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using generic_stream = asio::generic::stream_protocol;

constexpr const char* type_name = "spoa.tcp";
constexpr double default_timeout_seconds = 60.0;
constexpr double default_keepalive_seconds = 60.0;
constexpr lua_Integer default_pool_size = 30;
constexpr double max_seconds = 2147483.0;  // as spoa.sleep
/// The most a receive() returns or buffers (a line, n bytes, everything until the close).
constexpr std::size_t max_receive = std::size_t{16} << 20;
constexpr std::size_t read_chunk = 16384;

/// "connection refused", "closed": LuaSocket's words, else the system's message in lower case.
std::string error_text(const boost::system::error_code& ec) {
  if (ec == asio::error::eof) return "closed";
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::timed_out) return "timeout";
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

Clock::duration seconds_to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

/// The object behind a spoa.tcp() userdata (which holds a shared_ptr to it).
struct Cosocket final : Closeable {
  std::shared_ptr<SocketLink> link;  ///< null: not connected
  Clock::duration timeout = seconds_to_duration(default_timeout_seconds);
  bool busy = false;    ///< an operation waits (another one would interleave on the stream)
  Task* owner = nullptr;  ///< the call whose end closes it

  void close() noexcept {
    if (!link) return;
    link->close();
    link.reset();
  }
  void close_at_end() noexcept override {
    close();
    owner = nullptr;
  }
};

using Holder = std::shared_ptr<Cosocket>;

/// The end of an operation: its own time limit or the call's deadline, whichever is first.
Clock::time_point until(const Cosocket& sock, const Task& task) {
  const Clock::time_point now = Clock::now();
  const Clock::duration room = task.deadline - std::min(now, task.deadline);
  return now + std::min(sock.timeout, room);
}

// --- the waits ------------------------------------------------------------------------------------

/// A socket operation with its time limit. Results are read by the continuation (take_result).
class SocketWait : public Wait {
 public:
  SocketWait(const char* what, Holder sock, asio::io_context& loop) : Wait(what), sock_(std::move(sock)), timer_(loop) {}

  void abandon() noexcept override {
    abandoned_ = true;
    stop_timer();
    on_timeout();    // cancels whatever runs
    sock_->close();  // a cancelled call's socket is closed, never pooled
  }

  std::string error;  ///< empty: success

 protected:
  /// The time limit passed: interrupt the operation (its handler then reports "timeout").
  virtual void on_timeout() noexcept = 0;

  void arm(Clock::time_point end) {
    timer_.expires_at(end);
    timer_.async_wait([self = shared_from_this(), this](const boost::system::error_code& ec) {
      if (ec || over_) return;
      timed_out_ = true;
      on_timeout();
    });
  }

  void finish(std::string why) noexcept {
    over_ = true;
    stop_timer();
    error = std::move(why);
    sock_->busy = false;
    complete();
  }

  Holder sock_;
  bool timed_out_ = false;
  bool abandoned_ = false;

 private:
  void stop_timer() noexcept {
    try {
      timer_.cancel();
    } catch (...) {
    }
  }

  asio::steady_timer timer_;
  bool over_ = false;
};

class ConnectWait final : public SocketWait {
 public:
  ConnectWait(Holder sock, asio::io_context& loop, std::string key)
      : SocketWait("sock:connect", std::move(sock), loop), loop_(loop), link_(std::make_shared<SocketLink>(loop)) {
    link_->key = std::move(key);
  }

  void start_unix(const std::string& path, Clock::time_point end) {
    arm(end);
    endpoints_.emplace_back(asio::local::stream_protocol::endpoint(path));
    next();
  }

  void start_tcp(const std::string& host, std::uint16_t port, Clock::time_point end) {
    arm(end);
    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints_.emplace_back(asio::ip::tcp::endpoint(address, port));
      next();
      return;
    }
    host_ = host;
    resolver_.emplace(loop_);
    resolver_->async_resolve(host, std::to_string(port),
                             [self = shared_from_this(), this](const boost::system::error_code& e,
                                                               const asio::ip::tcp::resolver::results_type& found) {
                               if (abandoned_) return finish("cancelled");
                               if (timed_out_) return finish("timeout");
                               if (e || found.empty()) {
                                 return finish(host_ + " could not be resolved (" +
                                               (e ? error_text(e) : std::string("no address")) + ")");
                               }
                               try {
                                 for (const auto& entry : found) endpoints_.emplace_back(entry.endpoint());
                               } catch (...) {
                                 return finish("not enough memory");
                               }
                               next();
                             });
  }

 private:
  void on_timeout() noexcept override {
    if (resolver_) resolver_->cancel();
    link_->close();  // the connect in progress ends with operation_aborted
  }

  /// Tries the next address (in the resolver's order).
  void next() {
    if (tried_ == endpoints_.size()) return finish(last_error_.empty() ? "no address" : last_error_);
    const generic_stream::endpoint& to = endpoints_[tried_++];
    link_->close();
    link_->clear();
    link_->socket.async_connect(to, [self = shared_from_this(), this](const boost::system::error_code& ec) {
      if (abandoned_) return finish("cancelled");
      if (timed_out_) return finish("timeout");
      if (ec) {
        last_error_ = error_text(ec);
        return next();
      }
      boost::system::error_code ignored;
      link_->socket.non_blocking(true, ignored);  // send() writes at once when the socket takes it
      if (link_->socket.local_endpoint(ignored).protocol().family() != AF_UNIX) {
        link_->socket.set_option(asio::ip::tcp::no_delay(true), ignored);  // request/response traffic
      }
      sock_->link = link_;
      finish({});
    });
  }

  asio::io_context& loop_;
  std::shared_ptr<SocketLink> link_;
  std::optional<asio::ip::tcp::resolver> resolver_;
  std::string host_;
  std::vector<generic_stream::endpoint> endpoints_;
  std::size_t tried_ = 0;
  std::string last_error_;
};

class SendWait final : public SocketWait {
 public:
  SendWait(Holder sock, asio::io_context& loop, std::string rest, std::size_t sent_before)
      : SocketWait("sock:send", std::move(sock), loop), link_(sock_->link), rest_(std::move(rest)), sent(sent_before) {}

  void start(Clock::time_point end) {
    arm(end);
    asio::async_write(link_->socket, asio::buffer(rest_),
                      [self = shared_from_this(), this](const boost::system::error_code& ec, std::size_t n) {
                        sent += n;
                        if (abandoned_) return finish("cancelled");
                        if (timed_out_ || ec) {
                          sock_->close();  // what the peer got is unknown: the stream is unusable
                          return finish(timed_out_ ? "timeout" : error_text(ec));
                        }
                        finish({});
                      });
  }

 private:
  void on_timeout() noexcept override {
    boost::system::error_code ignored;
    link_->socket.cancel(ignored);
  }

  std::shared_ptr<SocketLink> link_;
  std::string rest_;

 public:
  std::size_t sent;  ///< bytes sent, by the first attempt and the wait
};

enum class Pattern : std::uint8_t { line, count, all };

/// Takes what `pattern` asks for from the buffered bytes into `out`; false if they are not all there.
/// A line is everything before the next LF, with every CR dropped (LuaSocket's "*l").
bool take_buffered(SocketLink& link, Pattern pattern, std::size_t count, std::string& out) {
  const std::string_view unread = link.unread();
  if (pattern == Pattern::count) {
    if (unread.size() < count) return false;
    out.assign(unread.substr(0, count));
    link.consume(count);
    return true;
  }
  if (pattern == Pattern::line) {
    const std::size_t end = unread.find('\n');
    if (end == std::string_view::npos) return false;
    out.clear();
    for (char c : unread.substr(0, end)) {
      if (c != '\r') out += c;
    }
    link.consume(end + 1);
    return true;
  }
  return false;  // all: only at the close
}

std::string take_all(SocketLink& link) {
  std::string out(link.unread());
  link.consume(out.size());
  return out;
}

class ReceiveWait final : public SocketWait {
 public:
  ReceiveWait(Holder sock, asio::io_context& loop, Pattern pattern, std::size_t count)
      : SocketWait("sock:receive", std::move(sock), loop), link_(sock_->link), pattern_(pattern), count_(count) {}

  void start(Clock::time_point end) {
    arm(end);
    read_more();
  }

  std::string data;     ///< what was asked for (success)
  std::string partial;  ///< what had arrived when it failed

 private:
  void on_timeout() noexcept override {
    boost::system::error_code ignored;
    link_->socket.cancel(ignored);  // the read ends; the connection stays usable
  }

  void read_more() {
    char* at = link_->prepare(read_chunk);
    link_->socket.async_read_some(
        asio::buffer(at, read_chunk), [self = shared_from_this(), this](const boost::system::error_code& ec, std::size_t n) {
          if (abandoned_) return finish("cancelled");
          try {
            link_->commit(n);
            if (!ec && take_buffered(*link_, pattern_, count_, data)) return finish({});
            if (!ec) {
              if (link_->buffered() > max_receive) return fail(pattern_ == Pattern::line ? "line too long" : "too long");
              return read_more();
            }
            if (ec == asio::error::eof && pattern_ == Pattern::all) {
              data = take_all(*link_);
              sock_->close();  // the peer closed: nothing more will come
              return finish({});
            }
            partial = take_all(*link_);
            if (timed_out_) return finish("timeout");
            return fail(error_text(ec));
          } catch (...) {
            return fail("not enough memory");
          }
        });
  }

  void fail(std::string why) {
    sock_->close();
    finish(std::move(why));
  }

  std::shared_ptr<SocketLink> link_;
  Pattern pattern_;
  std::size_t count_;
};

// --- noexcept helpers: the C++ side of each Lua function --------------------------------------------

enum class Outcome : std::uint8_t { done, waiting, failed };

thread_local std::string t_error;  // the text of a failed Outcome (its buffer is reused)

Outcome fail_with(const char* text) noexcept {
  try {
    t_error = text;
  } catch (...) {
    t_error.clear();
  }
  return Outcome::failed;
}

/// Makes `task` the owner of the socket (its end closes it).
bool own(Task& task, const Holder& holder) noexcept {
  if (holder->owner == &task) return true;
  try {
    task.open.push_back(holder);
  } catch (...) {
    return false;
  }
  holder->owner = &task;
  return true;
}

Outcome start_connect(Task& task, lua_State* L, const Holder& holder, std::string_view target, lua_Integer port) noexcept {
  Cosocket& sock = *holder;
  try {
    sock.close();  // a socket connects anew (OpenResty's behaviour)
    const bool unix_path = target.substr(0, 5) == "unix:";
    const std::string key = unix_path ? std::string(target) : std::string(target) + ":" + std::to_string(port);
    asio::io_context& loop = *task.loop;
    if (!own(task, holder)) return fail_with("not enough memory");
    if (auto pooled = KeepalivePool::of(loop).take(key)) {
      sock.link = std::move(pooled);
      return Outcome::done;
    }
    auto wait = std::make_shared<ConnectWait>(holder, loop, key);
    if (unix_path) {
      wait->start_unix(std::string(target.substr(5)), until(sock, task));
    } else {
      wait->start_tcp(std::string(target), static_cast<std::uint16_t>(port), until(sock, task));
    }
    sock.busy = true;
    begin_wait(task, std::move(wait), L);
    return Outcome::waiting;
  } catch (const std::exception& e) {
    return fail_with(e.what());
  }
}

Outcome start_send(Task& task, lua_State* L, const Holder& holder, std::string_view data, std::size_t& sent) noexcept {
  Cosocket& sock = *holder;
  sent = 0;
  try {
    boost::system::error_code ec;
    while (sent < data.size()) {
      const std::size_t n = sock.link->socket.write_some(asio::buffer(data.substr(sent)), ec);
      if (ec) break;
      sent += n;
    }
    if (sent == data.size()) return Outcome::done;
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      sock.close();
      t_error = error_text(ec);
      return Outcome::failed;
    }
    auto wait = std::make_shared<SendWait>(holder, *task.loop, std::string(data.substr(sent)), sent);
    wait->start(until(sock, task));
    sock.busy = true;
    begin_wait(task, std::move(wait), L);
    return Outcome::waiting;
  } catch (const std::exception& e) {
    return fail_with(e.what());
  }
}

Outcome start_receive(Task& task, lua_State* L, const Holder& holder, Pattern pattern, std::size_t count) noexcept {
  try {
    auto wait = std::make_shared<ReceiveWait>(holder, *task.loop, pattern, count);
    wait->start(until(*holder, task));
    holder->busy = true;
    begin_wait(task, std::move(wait), L);
    return Outcome::waiting;
  } catch (const std::exception& e) {
    return fail_with(e.what());
  }
}

/// Line from the buffer without a wait: the line's bytes with CRs dropped, into `out`.
bool take_line_now(SocketLink& link, std::string& out) noexcept {
  try {
    return take_buffered(link, Pattern::line, 0, out);
  } catch (...) {
    return false;
  }
}

bool keep_alive(const Holder& holder, double idle_seconds, lua_Integer size) noexcept {
  Cosocket& sock = *holder;
  try {
    auto& loop = static_cast<asio::io_context&>(sock.link->socket.get_executor().context());
    KeepalivePool::of(loop).put(std::move(sock.link), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                          std::chrono::duration<double>(idle_seconds)),
                                static_cast<std::size_t>(size));
    sock.link.reset();
    return true;
  } catch (...) {
    sock.close();
    return false;
  }
}

// --- the Lua functions ----------------------------------------------------------------------------

Holder& check_holder(lua_State* L) {
  auto* holder = static_cast<Holder*>(luaL_checkudata(L, 1, type_name));
  if (!*holder) luaL_error(L, "%s: socket already collected", type_name);
  return *holder;
}

int push_failure(lua_State* L, const char* text) {
  lua_pushnil(L);
  lua_pushstring(L, text);
  return 2;
}

int push_error(lua_State* L) {
  lua_pushnil(L);
  lua_pushlstring(L, t_error.data(), t_error.size());
  return 2;
}

double check_seconds(lua_State* L, int arg, const char* fn, double fallback) {
  if (lua_isnoneornil(L, arg)) return fallback;
  int is_number = 0;
  const lua_Number seconds = lua_tonumberx(L, arg, &is_number);
  if (is_number == 0) raise_type_error(L, fn, arg, "number of seconds");
  if (!(seconds >= 0.0) || seconds > max_seconds) {
    luaL_error(L, "%s: bad argument #%d (%s seconds; expected 0 to %d)", fn, arg, luaL_tolstring(L, arg, nullptr),
               static_cast<int>(max_seconds));
  }
  return static_cast<double>(seconds);
}

// spoa.tcp()
int new_socket(lua_State* L) {
  void* memory = lua_newuserdatauv(L, sizeof(Holder), 0);
  bool made = false;
  try {
    new (memory) Holder(std::make_shared<Cosocket>());
    made = true;
  } catch (...) {
  }
  if (!made) return luaL_error(L, "spoa.tcp: not enough memory");
  luaL_setmetatable(L, type_name);  // from now on __gc destroys the holder
  return 1;
}

int connect_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  auto& wait = take_result<ConnectWait>(L, "sock:connect");
  if (!wait.error.empty()) return push_failure(L, wait.error.c_str());
  lua_pushinteger(L, 1);
  return 1;
}

// sock:connect(host, port) or sock:connect("unix:/path")
int connect(lua_State* L) {
  constexpr const char* fn = "sock:connect";
  Holder& holder = check_holder(L);
  if (lua_type(L, 2) != LUA_TSTRING) raise_type_error(L, fn, 2, "host name, address or \"unix:/path\"");
  std::size_t length = 0;
  const char* target = lua_tolstring(L, 2, &length);
  const bool unix_path = length > 5 && std::string_view(target, 5) == "unix:";
  lua_Integer port = 0;
  if (!unix_path) {
    int is_integer = 0;
    port = lua_tointegerx(L, 3, &is_integer);
    if (is_integer == 0) raise_type_error(L, fn, 3, "port number");
    if (port < 1 || port > 65535) luaL_error(L, "%s: bad port %I (expected 1 to 65535)", fn, static_cast<LUAI_UACINT>(port));
  }
  if (holder->busy) return push_failure(L, "socket busy");
  Task& task = check_can_wait(L, fn);
  switch (start_connect(task, L, holder, {target, length}, port)) {
    case Outcome::done:
      lua_pushinteger(L, 1);
      return 1;
    case Outcome::failed:
      return push_error(L);
    case Outcome::waiting:
      break;
  }
  lua_settop(L, 0);
  return yield_to_loop(L, connect_done);
}

int send_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  auto& wait = take_result<SendWait>(L, "sock:send");
  if (!wait.error.empty()) {
    push_failure(L, wait.error.c_str());
    lua_pushinteger(L, static_cast<lua_Integer>(wait.sent));
    return 3;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(wait.sent));
  return 1;
}

/// The bytes of sock:send's argument 2: a string, a number, or an array of them (concatenated).
std::string_view check_data(lua_State* L, const char* fn) {
  const int type = lua_type(L, 2);
  if (type == LUA_TTABLE) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const lua_Integer n = luaL_len(L, 2);
    for (lua_Integer i = 1; i <= n; ++i) {
      const int piece = lua_rawgeti(L, 2, i);
      if (piece != LUA_TSTRING && piece != LUA_TNUMBER) {
        luaL_error(L, "%s: bad argument #1 (element %I is a %s, not a string)", fn, static_cast<LUAI_UACINT>(i),
                   lua_typename(L, piece));
      }
      luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    lua_replace(L, 2);
  } else if (type != LUA_TSTRING && type != LUA_TNUMBER) {
    raise_type_error(L, fn, 2, "string or array of strings");
  }
  std::size_t length = 0;
  const char* bytes = lua_tolstring(L, 2, &length);
  return {bytes, length};
}

// sock:send(data)
int send(lua_State* L) {
  constexpr const char* fn = "sock:send";
  Holder& holder = check_holder(L);
  const std::string_view data = check_data(L, fn);
  if (holder->busy) return push_failure(L, "socket busy");
  if (!holder->link) return push_failure(L, "closed");
  Task& task = check_can_wait(L, fn);
  std::size_t sent = 0;
  switch (start_send(task, L, holder, data, sent)) {
    case Outcome::done:
      lua_pushinteger(L, static_cast<lua_Integer>(sent));
      return 1;
    case Outcome::failed:
      push_error(L);
      lua_pushinteger(L, static_cast<lua_Integer>(sent));
      return 3;
    case Outcome::waiting:
      break;
  }
  lua_settop(L, 0);
  return yield_to_loop(L, send_done);
}

int receive_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  auto& wait = take_result<ReceiveWait>(L, "sock:receive");
  if (!wait.error.empty()) {
    push_failure(L, wait.error.c_str());
    lua_pushlstring(L, wait.partial.data(), wait.partial.size());
    return 3;
  }
  lua_pushlstring(L, wait.data.data(), wait.data.size());
  return 1;
}

// sock:receive([pattern]): "*l" (default), "*a", or a byte count
int receive(lua_State* L) {
  constexpr const char* fn = "sock:receive";
  Holder& holder = check_holder(L);
  Pattern pattern = Pattern::line;
  lua_Integer count = 0;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    int is_integer = 0;
    count = lua_tointegerx(L, 2, &is_integer);
    if (is_integer == 0 || count < 0 || static_cast<std::size_t>(count) > max_receive) {
      luaL_error(L, "%s: bad byte count %s (expected 0 to %d)", fn, luaL_tolstring(L, 2, nullptr),
                 static_cast<int>(max_receive));
    }
    pattern = Pattern::count;
  } else if (!lua_isnoneornil(L, 2)) {
    const char* given = luaL_optstring(L, 2, "*l");
    const std::string_view p(given);
    if (p == "*a" || p == "a") {
      pattern = Pattern::all;
    } else if (p != "*l" && p != "l") {
      luaL_error(L, "%s: bad pattern '%s' (expected \"*l\", \"*a\" or a number of bytes)", fn, given);
    }
  }
  if (holder->busy) return push_failure(L, "socket busy");
  if (!holder->link) return push_failure(L, "closed");
  SocketLink* link = holder->link.get();
  if (pattern == Pattern::count && link->buffered() >= static_cast<std::size_t>(count)) {
    lua_pushlstring(L, link->unread().data(), static_cast<std::size_t>(count));
    link->consume(static_cast<std::size_t>(count));
    return 1;
  }
  if (pattern == Pattern::line && take_line_now(*link, t_error)) {
    lua_pushlstring(L, t_error.data(), t_error.size());
    return 1;
  }
  Task& task = check_can_wait(L, fn);
  if (start_receive(task, L, holder, pattern, static_cast<std::size_t>(count)) == Outcome::failed) return push_error(L);
  lua_settop(L, 0);
  return yield_to_loop(L, receive_done);
}

// sock:settimeout(seconds)
int settimeout(lua_State* L) {
  Holder& holder = check_holder(L);
  const double seconds = check_seconds(L, 2, "sock:settimeout", default_timeout_seconds);
  holder->timeout = seconds_to_duration(seconds);
  lua_pushinteger(L, 1);
  return 1;
}

// sock:setkeepalive([idle_seconds [, pool_size]])
int setkeepalive(lua_State* L) {
  constexpr const char* fn = "sock:setkeepalive";
  Holder& holder = check_holder(L);
  const double idle = check_seconds(L, 2, fn, default_keepalive_seconds);
  lua_Integer size = default_pool_size;
  if (!lua_isnoneornil(L, 3)) {
    int is_integer = 0;
    size = lua_tointegerx(L, 3, &is_integer);
    if (is_integer == 0 || size < 1 || size > 65535) {
      luaL_error(L, "%s: bad pool size %s (expected 1 to 65535)", fn, luaL_tolstring(L, 3, nullptr));
    }
  }
  if (holder->busy) return push_failure(L, "socket busy");
  if (!holder->link) return push_failure(L, "closed");
  if (holder->link->buffered() > 0) return push_failure(L, "unread data in buffer");
  if (!keep_alive(holder, idle, size)) return push_failure(L, "not enough memory");
  lua_pushinteger(L, 1);
  return 1;
}

// sock:getreusedtimes()
int getreusedtimes(lua_State* L) {
  Holder& holder = check_holder(L);
  if (holder->busy) return push_failure(L, "socket busy");
  if (!holder->link) return push_failure(L, "closed");
  lua_pushinteger(L, static_cast<lua_Integer>(holder->link->reused));
  return 1;
}

// sock:close()
int close(lua_State* L) {
  Holder& holder = check_holder(L);
  if (holder->busy) return push_failure(L, "socket busy");
  if (!holder->link) return push_failure(L, "closed");
  holder->close();
  lua_pushinteger(L, 1);
  return 1;
}

// __gc: the userdata goes; the socket itself lives on while its call holds it (and is closed then).
int collect(lua_State* L) {
  static_cast<Holder*>(lua_touserdata(L, 1))->reset();
  return 0;
}

// __close: `local sock <close> = spoa.tcp()`
int close_variable(lua_State* L) {
  auto* holder = static_cast<Holder*>(luaL_checkudata(L, 1, type_name));
  if (*holder && !(*holder)->busy) (*holder)->close();
  return 0;
}

int to_string(lua_State* L) {
  auto* holder = static_cast<Holder*>(luaL_checkudata(L, 1, type_name));
  if (!*holder || !(*holder)->link) {
    lua_pushliteral(L, "spoa.tcp (closed)");
  } else {
    lua_pushfstring(L, "spoa.tcp (%s)", (*holder)->link->key.c_str());
  }
  return 1;
}

constexpr luaL_Reg methods[] = {
    {"connect", connect},
    {"send", send},
    {"receive", receive},
    {"settimeout", settimeout},
    {"setkeepalive", setkeepalive},
    {"getreusedtimes", getreusedtimes},
    {"close", close},
    {nullptr, nullptr},
};

constexpr luaL_Reg metamethods[] = {
    {"__gc", collect},
    {"__close", close_variable},
    {"__tostring", to_string},
    {nullptr, nullptr},
};

constexpr luaL_Reg functions[] = {
    {"tcp", new_socket},
    {nullptr, nullptr},
};

}  // namespace

const luaL_Reg* socket_functions() noexcept { return functions; }

void register_socket_type(lua_State* L) {
  luaL_newmetatable(L, type_name);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

}  // namespace spoa::lua
