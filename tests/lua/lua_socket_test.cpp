// spoa.tcp() (issue 22): connect, send, receive by line, count and until close, errors as values
// (refused, timeouts of each operation, a peer closing mid-line), the keepalive pool (reuse, limits, idle
// timeout, a peer closing an idle connection), sockets closed at the end of their handler and when the
// call is cancelled (budget, DISCONNECT), unix sockets, names, and argument errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/engines/lua/lua_engine_impl.hpp"
#include "agent/engines/lua/socket_link.hpp"
#include "tests/lua/fake_peer.hpp"
#include "tests/lua/lua_test_support.hpp"
#include "tests/lua/waiting_calls.hpp"

namespace spoa::lua::test {
namespace {

using Kind = CallResult::Kind;
using Vars = std::vector<std::string>;
using std::chrono::milliseconds;

/// `script` with every "PORT" replaced by `port`.
std::string with_port(std::string script, std::uint16_t port) {
  for (std::size_t at = script.find("PORT"); at != std::string::npos; at = script.find("PORT", at)) {
    script.replace(at, 4, std::to_string(port));
  }
  return script;
}

std::string pool_key(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// Handlers report each step's results as txn variables r1, r2, ... (numbered per call): `report(...)`
// renders all its arguments (nil too) joined by '|'.
constexpr std::string_view report_helper = R"(
local function render(...)
  local out = {}
  for i = 1, select('#', ...) do out[#out + 1] = tostring((select(i, ...))) end
  return table.concat(out, '|')
end
local counts = setmetatable({}, {__mode = 'k'})  -- per handler coroutine: calls interleave
function report(...)
  local co = coroutine.running()
  counts[co] = (counts[co] or 0) + 1
  spoa.set_var_str('r' .. counts[co], spoa.scope.txn, render(...))
end
local register = spoa.register_message
spoa.register_message = function(name, fn)
  register(name, function(args) counts[coroutine.running()] = 0 return fn(args) end)
end
)";

class LuaSocketTest : public LuaEngineTest {
 protected:
  std::unique_ptr<Engine> load(std::string_view body, std::uint16_t port, const EngineOptions& options = {}) {
    return load_script(std::string(report_helper) + with_port(std::string(body), port), options);
  }
  KeepalivePool& pool() { return KeepalivePool::of(loop); }

  boost::asio::io_context loop;  // first: outlives the peers, the engines (their sockets) and the calls
};

TEST_F(LuaSocketTest, ConnectsSendsReceivesALineAndCloses) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  report(tostring(sock))
  report(sock:connect('127.0.0.1', PORT))
  report(tostring(sock))
  report(sock:send('echo hello\n'))
  report(sock:receive())
  report(sock:close())
  report(sock:close())
  report(sock:send('x'))
  report(sock:receive())
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.run());
  ASSERT_TRUE(calls.ack(c).result.ok()) << calls.ack(c).result.detail;
  EXPECT_EQ(calls.vars(c), (Vars{"r1=spoa.tcp (closed)", "r2=1", "r3=spoa.tcp (" + pool_key(peer.port()) + ")",
                                 "r4=11", "r5=hello", "r6=1", "r7=nil|closed", "r8=nil|closed", "r9=nil|closed"}));
  ASSERT_TRUE(calls.run_until([&] { return peer.closed_by_client() == 1; }));
  EXPECT_EQ(peer.commands(), (std::vector<std::string>{"echo hello"}));
}

TEST_F(LuaSocketTest, PartialReadsMakeWholeLinesAndCounts) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send({'spl', 'it', '\n'})  -- an array of pieces is sent as one string
  report(sock:receive('*l'))       -- "hel" + "lo\r\n": the CR is dropped
  report(sock:receive('l'))        -- "wor" + "ld\n"
  report(sock:receive(3))          -- "123" of "12345"
  report(sock:receive(2))          -- "45", already buffered
  report(sock:receive(0))
  sock:send('echo a\necho b\n')
  report(sock:receive(), sock:receive())
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.run());
  ASSERT_TRUE(calls.ack(c).result.ok()) << calls.ack(c).result.detail;
  EXPECT_EQ(calls.vars(c), (Vars{"r1=hello", "r2=world", "r3=123", "r4=45", "r5=", "r6=a|b"}));
}

TEST_F(LuaSocketTest, APeerClosingMidLineGivesClosedAndThePartialLine) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('half', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('half\n')
  report(sock:receive('*l'))
  report(sock:receive('*l'))
end)
spoa.register_message('all', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('bye\n')
  report(sock:receive('*a'))
  report(sock:receive('*a'))
end)
spoa.register_message('count', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('half\n')
  report(sock:receive(10))
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const auto half = calls.start("half");
  const auto all = calls.start("all");
  const auto count = calls.start("count");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(half), (Vars{"r1=nil|closed|abc", "r2=nil|closed"}));
  EXPECT_EQ(calls.vars(all), (Vars{"r1=all the rest", "r2=nil|closed"}));
  EXPECT_EQ(calls.vars(count), (Vars{"r1=nil|closed|abc"}));
}

TEST_F(LuaSocketTest, ARefusedConnectionIsAnErrorValue) {
  const std::uint16_t port = closed_port();
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  report(sock:connect('127.0.0.1', PORT))
  report(sock:send('x'))
end)
)",
                     port);
  WaitingCalls calls(*engine, loop);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(c), (Vars{"r1=nil|connection refused", "r2=nil|closed"}));
}

/// A listening socket whose accept queue is full, so that one more connect hangs (Linux drops its SYN).
class FullListener {
 public:
  FullListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    for (int i = 0; i < 4; ++i) {  // fill the queue (never accepted)
      const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers_.push_back(c);
    }
  }
  ~FullListener() {
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> fillers_;
};

TEST_F(LuaSocketTest, EachOperationTimesOutAfterSettimeout) {
  FakePeer peer(loop);
  FullListener full;
  auto engine = load(R"(
spoa.register_message('connect', function(args)
  local sock = spoa.tcp()
  sock:settimeout(0.1)
  report(sock:connect('127.0.0.1', tonumber(args[1].value)))
end)
spoa.register_message('receive', function(args)
  local sock = spoa.tcp()
  sock:settimeout(0.05)
  sock:connect('127.0.0.1', PORT)
  sock:send('silent\n')
  report(sock:receive())
  -- a receive timeout leaves the connection usable
  report(sock:send('echo again\n'))
  report(sock:receive())
end)
spoa.register_message('send', function(args)
  local sock = spoa.tcp()
  sock:settimeout(0.1)
  sock:connect('127.0.0.1', PORT)
  -- the peer reads nothing: 1 MiB sends fill the socket buffers until one times out (no 64 MiB string,
  -- which takes longer than the call's budget to build on a slow machine under ASan)
  local chunk, ok, err, sent = string.rep('x', 1024 * 1024)
  repeat ok, err, sent = sock:send(chunk) until not ok
  report(ok, err, math.type(sent) == 'integer')
  report(sock:send('x'))  -- closed after a send timeout: what the peer got is unknown
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const std::string full_port_text = std::to_string(full.port());  // the argument's view points here
  const std::vector<spop::Argument> full_port{{"", spop::Value::string(full_port_text)}};
  const auto connect = calls.start("connect", full_port);
  const auto receive = calls.start("receive");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(connect), (Vars{"r1=nil|timeout"}));
  EXPECT_EQ(calls.vars(receive), (Vars{"r1=nil|timeout|", "r2=11", "r3=again"}));
  peer.reading = false;
  const auto send = calls.start("send");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(send), (Vars{"r1=nil|timeout|true", "r2=nil|closed"})) << calls.ack(send).result.detail;
}

TEST_F(LuaSocketTest, SetkeepaliveLetsTheNextConnectReuseTheConnection) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  report(sock:connect('127.0.0.1', PORT))
  report(sock:getreusedtimes())
  sock:send('echo ' .. args[1].value .. '\n')
  report(sock:receive())
  report(sock:setkeepalive(10, 5))
  report(sock:send('x'))  -- the object is closed; the connection is in the pool
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  std::vector<std::size_t> started;
  for (const char* word : {"one", "two", "three"}) {
    const std::vector<spop::Argument> args{{"", spop::Value::string(word)}};
    started.push_back(calls.start("m", args));
    ASSERT_TRUE(calls.run());
  }
  EXPECT_EQ(calls.vars(started[0]), (Vars{"r1=1", "r2=0", "r3=one", "r4=1", "r5=nil|closed"}));
  EXPECT_EQ(calls.vars(started[1]), (Vars{"r1=1", "r2=1", "r3=two", "r4=1", "r5=nil|closed"}));
  EXPECT_EQ(calls.vars(started[2]), (Vars{"r1=1", "r2=2", "r3=three", "r4=1", "r5=nil|closed"}));
  EXPECT_EQ(peer.accepted(), 1) << "one connection served all three calls";
  EXPECT_EQ(pool().idle(pool_key(peer.port())), 1u);
}

TEST_F(LuaSocketTest, ThePoolKeepsAtMostItsSizeAndClosesIdleConnections) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('echo x\n')
  sock:receive()
  report(sock:setkeepalive(tonumber(args[1].value), 2))
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const std::vector<spop::Argument> long_idle{{"", spop::Value::string("10")}};
  for (int i = 0; i < 3; ++i) calls.start("m", long_idle);  // three at once: three connections
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(peer.accepted(), 3);
  EXPECT_EQ(pool().idle(pool_key(peer.port())), 2u) << "pool size 2: the longest idle was closed";
  ASSERT_TRUE(calls.run_until([&] { return peer.closed_by_client() == 1; }));
  // The peer closes its side: the pool drops those connections (they cannot be reused).
  peer.close_all();
  ASSERT_TRUE(calls.run_until([&] { return pool().idle() == 0; }));
  // An idle timeout closes a pooled connection.
  const std::vector<spop::Argument> short_idle{{"", spop::Value::string("0.05")}};
  calls.start("m", short_idle);
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(pool().idle(), 1u);
  ASSERT_TRUE(calls.run_until([&] { return pool().idle() == 0 && peer.closed_by_client() == 2; }));
  EXPECT_EQ(peer.accepted(), 4);
}

TEST_F(LuaSocketTest, SocketsLeftOpenAreClosedWhenTheHandlerEnds) {
  FakePeer peer(loop);
  auto engine = load(R"(
kept = nil
spoa.register_message('leave-open', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('echo x\n')
  report(sock:receive())
  kept = sock
end)
spoa.register_message('fails', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  error('boom')
end)
spoa.register_message('later', function(args)
  report(kept:send('echo y\n'))  -- a socket kept in a global is closed with its handler
end)
spoa.register_message('unread', function(args)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('split\n')
  report(sock:receive())
  report(sock:setkeepalive())  -- "wor..." is still unread
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const auto open = calls.start("leave-open");
  const auto fails = calls.start("fails");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(open), (Vars{"r1=x"}));
  EXPECT_EQ(calls.ack(fails).result.kind, Kind::script_error);
  ASSERT_TRUE(calls.run_until([&] { return peer.closed_by_client() == 2; }));
  const auto later = calls.start("later");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(later), (Vars{"r1=nil|closed"}));
  const auto unread = calls.start("unread");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(unread), (Vars{"r1=hello", "r2=nil|unread data in buffer"}));
  EXPECT_EQ(pool().idle(), 0u);
}

TEST_F(LuaSocketTest, TheBudgetAndACancellationCloseTheSocketOfAWaitingCall) {
  FakePeer peer(loop);
  EngineOptions options;
  options.call_budget = milliseconds(100);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  local sock = spoa.tcp()
  sock:connect('127.0.0.1', PORT)
  sock:send('silent\n')
  sock:receive()  -- no answer: waits (the default timeout is 60 s)
  spoa.set_var_int32('after', spoa.scope.txn, 1)
end)
)",
                     peer.port(), options);
  WaitingCalls budgeted(*engine, loop, milliseconds(100));
  const auto timed_out = budgeted.start("m");
  ASSERT_TRUE(budgeted.run());
  EXPECT_EQ(budgeted.ack(timed_out).result.kind, Kind::timeout);
  EXPECT_TRUE(contains(budgeted.ack(timed_out).result.detail,
                       "m: handler stopped: time budget of 100 ms exceeded while waiting in sock:receive"))
      << budgeted.ack(timed_out).result.detail;
  EXPECT_EQ(budgeted.vars(timed_out), (Vars{"before=1"}));
  ASSERT_TRUE(budgeted.run_until([&] { return peer.closed_by_client() == 1; }));

  WaitingCalls unbudgeted(*engine, loop);
  const auto cancelled = unbudgeted.start("m");
  ASSERT_TRUE(unbudgeted.run_until([&] { return peer.commands().size() == 2; }));
  ASSERT_TRUE(unbudgeted.waiting(cancelled));
  unbudgeted.cancel(cancelled);
  EXPECT_EQ(unbudgeted.ack(cancelled).result.kind, Kind::cancelled);
  EXPECT_TRUE(contains(unbudgeted.ack(cancelled).result.detail, "cancelled while waiting in sock:receive"));
  EXPECT_EQ(unbudgeted.vars(cancelled), (Vars{"before=1"}));
  ASSERT_TRUE(unbudgeted.run_until([&] { return peer.closed_by_client() == 2; }));
  EXPECT_EQ(pool().idle(), 0u) << "never pooled";
}

TEST_F(LuaSocketTest, ConnectsToUnixSocketsAndResolvesNames) {
  FakePeer tcp(loop);
  const auto path = dir() / "peer.sock";
  FakePeer local(loop, path);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  report(sock:connect('unix:' .. args[1].value))
  sock:send('echo over unix\n')
  report(sock:receive())
  report(tostring(sock))
  sock:close()
  report(sock:connect('unix:' .. args[1].value .. '.missing'))
  -- localhost may name ::1 first, where nothing listens: the next address is tried
  report(sock:connect('localhost', PORT))
  sock:send('echo by name\n')
  report(sock:receive())
end)
)",
                     tcp.port());
  WaitingCalls calls(*engine, loop);
  const std::string path_text = path.string();  // the argument's view points here
  const std::vector<spop::Argument> args{{"", spop::Value::string(path_text)}};
  const auto c = calls.start("m", args);
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(c), (Vars{"r1=1", "r2=over unix", "r3=spoa.tcp (unix:" + path.string() + ")",
                                 "r4=nil|no such file or directory", "r5=1", "r6=by name"}));
}

TEST_F(LuaSocketTest, ASocketInUseByAnotherCallIsBusy) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('first', function(args)
  shared = spoa.tcp()
  shared:connect('127.0.0.1', PORT)
  shared:send('split\n')
  report(shared:receive(12))  -- waits for all four pieces
end)
spoa.register_message('second', function(args)
  report(shared:send('x'))
  report(shared:receive())
  report(shared:close())
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const auto first = calls.start("first");
  const auto second = calls.start("second");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(second), (Vars{"r1=nil|socket busy", "r2=nil|socket busy", "r3=nil|socket busy"}));
  EXPECT_EQ(calls.vars(first), (Vars{"r1=hello\r\nworld"}));
}

TEST_F(LuaSocketTest, BadArgumentsAreScriptErrors) {
  auto engine = load(R"(
spoa.register_message('m', function(args)
  local sock = spoa.tcp()
  local what = args[1].value
  if what == 'host' then sock:connect(12, 80)
  elseif what == 'port' then sock:connect('127.0.0.1', 70000)
  elseif what == 'no-port' then sock:connect('127.0.0.1')
  elseif what == 'pattern' then sock:receive('*x')
  elseif what == 'count' then sock:receive(-1)
  elseif what == 'timeout' then sock:settimeout(-1)
  elseif what == 'pool' then sock:setkeepalive(1, 0)
  elseif what == 'data' then sock:send({'a', {}})
  elseif what == 'self' then sock.send({}, 'x')
  end
end)
)",
                     1);
  WaitingCalls calls(*engine, loop);
  const struct {
    const char* what;
    const char* error;
  } cases[] = {
      {"host", "sock:connect: bad argument #2 (host name, address or \"unix:/path\" expected, got number)"},
      {"port", "sock:connect: bad port 70000 (expected 1 to 65535)"},
      {"no-port", "sock:connect: bad argument #3 (port number expected, got no value)"},
      {"pattern", "sock:receive: bad pattern '*x' (expected \"*l\", \"*a\" or a number of bytes)"},
      {"count", "sock:receive: bad byte count -1"},
      {"timeout", "sock:settimeout: bad argument #2 (-1 seconds; expected 0 to 2147483)"},
      {"pool", "sock:setkeepalive: bad pool size 0 (expected 1 to 65535)"},
      {"data", "sock:send: bad argument #1 (element 2 is a table, not a string)"},
      {"self", "bad argument #1 to 'send' (spoa.tcp expected, got table)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::vector<spop::Argument> args{{"", spop::Value::string(c.what)}};
    const auto i = calls.start("m", args);
    ASSERT_TRUE(calls.finished(i));
    EXPECT_EQ(calls.ack(i).result.kind, Kind::script_error);
    EXPECT_TRUE(contains(calls.ack(i).result.detail, c.error)) << calls.ack(i).result.detail;
  }
}

TEST_F(LuaSocketTest, AToBeClosedSocketClosesAtTheEndOfItsBlock) {
  FakePeer peer(loop);
  auto engine = load(R"(
spoa.register_message('m', function(args)
  do
    local sock <close> = spoa.tcp()
    sock:connect('127.0.0.1', PORT)
    sock:send('echo x\n')
    report(sock:receive())
  end
  spoa.sleep(0.2)  -- the handler still runs; its socket is already closed
end)
)",
                     peer.port());
  WaitingCalls calls(*engine, loop);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.run_until([&] { return peer.closed_by_client() == 1; }));
  EXPECT_FALSE(calls.finished(c));
  ASSERT_TRUE(calls.run());
}

}  // namespace
}  // namespace spoa::lua::test
