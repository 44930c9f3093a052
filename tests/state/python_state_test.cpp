// spoa.state_get/set/incr/del in Python: every function, the value mapping, TTL, and every error path.
#include <memory>
#include <string>

#include "agent/state/embedded_store.hpp"
#include "agent/state/redis_store.hpp"
#include "tests/python/python_test_support.hpp"
#include "tests/state/failing_store.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa::test {
namespace {

class PythonState : public PythonEngineTest {
 protected:
  void use_embedded() {
    auto now = now_;
    store_ = std::make_shared<EmbeddedStore>(256 * 1024, [now] { return *now; });
    options().state = store_;
  }
  void expect_ok(std::string_view message) {
    const auto out = call(message);
    EXPECT_TRUE(out.result.ok()) << out.result.detail;
  }
  std::shared_ptr<std::int64_t> now_ = std::make_shared<std::int64_t>(1000);
  std::shared_ptr<EmbeddedStore> store_;
};

TEST_F(PythonState, EveryFunctionRoundTripsItsValues) {
  use_embedded();
  load_script(std::string(prelude) + R"PY(
spoa.state_set('at-load', 1)   # the store also works while the script loads

def handler(args):
    assert spoa.state_get('k') is None
    spoa.state_set('k', 'text')
    assert spoa.state_get('k') == 'text'
    spoa.state_set(b'bin', b'\x00\xff')
    v = spoa.state_get('bin')
    assert v == b'\x00\xff' and type(v) is bytes, repr(v)
    spoa.state_set('ba', bytearray(b'ab'))
    assert spoa.state_get('ba') == b'ab'
    spoa.state_set('n', -5)
    v = spoa.state_get('n')
    assert v == -5 and type(v) is int, repr(v)
    assert spoa.state_incr('n') == -4
    assert spoa.state_incr('n', 10) == 6
    assert spoa.state_incr('n', -6, None) == 0
    assert spoa.state_incr('fresh', 2, 1.5) == 2
    spoa.state_set('short', 'x', 1)
    spoa.state_set('big', 2**63 - 1)
    assert spoa.state_get('big') == 2**63 - 1
    spoa.state_set('odd', 'x\udcff')      # surrogateescape: the bytes go through unchanged
    assert spoa.state_get('odd') == 'x\udcff'
    assert spoa.state_del('n') is True
    assert spoa.state_del('n') is False
    assert spoa.state_get('at-load') == 1

def later(args):
    assert spoa.state_get('fresh') is None, 'fresh should have expired'
    assert spoa.state_get('short') is None
    assert spoa.state_get('k') == 'text'

spoa.register_message('m', handler)
spoa.register_message('later', later)
)PY");
  expect_ok("m");
  // What Python stored, seen from C++: str is text, bytes are bytes.
  EXPECT_EQ(store_->get("k"), StateValue::of_text("text"));
  EXPECT_EQ(store_->get("bin"), StateValue::of_bytes(std::string("\0\xff", 2)));
  EXPECT_EQ(store_->get("odd"), StateValue::of_text("x\xff"));
  EXPECT_EQ(store_->get("fresh"), StateValue::of_integer(2));
  *now_ += 1500;
  expect_ok("later");
}

TEST_F(PythonState, WrongArgumentsRaiseTheRightExceptions) {
  use_embedded();
  load_script(std::string(prelude) + R"PY(
def handler(args):
    cases = [
        (TypeError, spoa.state_get, (), "state_get() takes exactly 1 argument (0 given)"),
        (TypeError, spoa.state_get, (1,), "state_get(): key must be str or bytes, not int"),
        (TypeError, spoa.state_set, ('k',), "state_set() takes from 2 to 3 arguments (1 given)"),
        (TypeError, spoa.state_set, ('k', None), "state_set(): value must be int, str or bytes, not NoneType"),
        (TypeError, spoa.state_set, ('k', True), "state_set(): value must be int, str or bytes, not bool"),
        (TypeError, spoa.state_set, ('k', 1.5), "state_set(): value must be int, str or bytes, not float"),
        (OverflowError, spoa.state_set, ('k', 2**63), "state_set(): value 9223372036854775808 is out of range for int64"),
        (ValueError, spoa.state_set, ('k', 'v', -1), "state_set(): ttl must be 0..2147483 seconds (0 or None = no expiry), not -1"),
        (TypeError, spoa.state_set, ('k', 'v', '10'), "state_set(): ttl must be a number of seconds (int or float) or None, not str"),
        (TypeError, spoa.state_incr, ('k', 'x'), "state_incr(): delta must be an int, not str"),
        (TypeError, spoa.state_incr, ('k', 1, 2, 3), "state_incr() takes from 1 to 3 arguments (4 given)"),
        (TypeError, spoa.state_del, (None,), "state_del(): key must be str or bytes, not NoneType"),
        (spoa.state_error, spoa.state_set, ('k' * 251, 1), "state_set(): embedded store: key too long (251 bytes, limit 250)"),
        (spoa.state_error, spoa.state_set, ('k', b'v' * 1001), "state_set(): embedded store: value too long (1001 bytes, limit 1000)"),
        (spoa.state_error, spoa.state_get, ('',), "state_get(): embedded store: empty key"),
    ]
    for exc, fn, fargs, text in cases:
        got = raises(exc, fn, *fargs)
        assert got == text, '%r != %r' % (got, text)
    spoa.state_set('s', 'abc')
    got = raises(spoa.state_error, spoa.state_incr, 's')
    assert got == "state_incr(): embedded store: value of key 's' is not an integer", got
    spoa.state_set('max', 2**63 - 1)
    got = raises(spoa.state_error, spoa.state_incr, 'max')
    assert got == "state_incr(): embedded store: incrementing key 'max' by 1 would overflow int64", got
    assert issubclass(spoa.state_error, spoa.error)
    assert spoa.state_get('k') is None   # nothing was stored by the failed calls
spoa.register_message('m', handler)
)PY");
  expect_ok("m");
}

TEST_F(PythonState, AnUnavailableStoreIsAStateErrorNamingIt) {
  options().state = std::make_shared<UnreachableStore>();
  load_script(std::string(prelude) + R"PY(
def caught(args):
    got = raises(spoa.state_error, spoa.state_incr, 'hits')
    assert got == 'state_incr(): redis 127.0.0.1:1: connection lost: Connection reset by peer', got
    spoa.set_var_int32('fallback', spoa.scope_txn, 1)

def uncaught(args):
    spoa.state_get('hits')

spoa.register_message('caught', caught)
spoa.register_message('uncaught', uncaught)
)PY");
  const auto ok = call("caught");
  EXPECT_TRUE(ok.result.ok()) << ok.result.detail;
  EXPECT_EQ(ok.actions, 1u);
  const auto failed = call("uncaught");
  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  EXPECT_NE(failed.result.detail.find("spoa.state_error: state_get(): redis 127.0.0.1:1: connection lost"),
            std::string::npos)
      << failed.result.detail;
}

// --state-prefix: the script names "k", the store holds "<prefix>k"; the same in both stores.
constexpr const char* prefixed_py = R"PY(
def handler(args):
    spoa.state_set('k', 'v')
    assert spoa.state_incr('n', 2, 60) == 2
    assert spoa.state_get('k') == 'v'
    got = raises(spoa.state_error, spoa.state_incr, 'k')
    assert got.endswith(": value of key 'k' is not an integer"), got   # the script's name for it
    assert spoa.state_del('k') is True
    spoa.state_set(b'kept', 7)
spoa.register_message('m', handler)
)PY";

TEST_F(PythonState, TheKeyPrefixAppliesInTheEmbeddedStore) {
  use_embedded();
  store_->set_key_prefix("py:");
  load_script(std::string(prelude) + prefixed_py);
  expect_ok("m");
  store_->set_key_prefix("");
  EXPECT_EQ(store_->get("py:n"), StateValue::of_integer(2));
  EXPECT_EQ(store_->get("py:kept"), StateValue::of_integer(7));
  EXPECT_FALSE(store_->get("n"));
}

TEST_F(PythonState, TheKeyPrefixAppliesInTheRedisStore) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer server;
  ASSERT_TRUE(server.running());
  options().state = std::make_shared<RedisStore>(redis_store_options(server.port()), nullptr);
  options().state->set_key_prefix("py:");
  load_script(std::string(prelude) + prefixed_py);
  expect_ok("m");
  EXPECT_EQ(server.command({"GET", "py:n"})->text, "2");
  EXPECT_EQ(server.command({"GET", "py:kept"})->text, "7");
  EXPECT_EQ(server.command({"EXISTS", "n"})->integer, 0);
}

// A store call releases the GIL: while it waits for a stopped Redis, another thread of the script runs,
// and that thread is what lets the server answer (it sends SIGCONT once the store's request lies unread in
// the server's socket, which only happens during the call). A call holding the GIL would keep that thread
// from running and end at the store's timeout, with a state_error.
TEST_F(PythonState, AnotherThreadRunsWhileAStoreCallWaits) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer server;
  ASSERT_TRUE(server.running());
  RedisStoreOptions store_options = redis_store_options(server.port());
  store_options.timeout = std::chrono::seconds{10};  // a hang guard: the call waits for the other thread
  options().state = std::make_shared<RedisStore>(store_options, nullptr);
  load_script(std::string(prelude) + "PORT, PID = " + std::to_string(server.port()) + ", " +
              std::to_string(server.pid()) + "\n" + R"PY(
import os, signal, threading, time

def request_unread():
    # An established connection to the server's port with bytes the (stopped) server has not read.
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as f:
            for row in f.read().splitlines()[1:]:
                fields = row.split()
                port = int(fields[1].rsplit(':', 1)[1], 16)
                unread = int(fields[4].split(':')[1], 16)
                if fields[3] == '01' and port == PORT and unread > 0:
                    return True
    return False

def wake_server(done):
    while not done.is_set():
        if request_unread():
            os.kill(PID, signal.SIGCONT)
            return
        time.sleep(0.001)

def warm(args):
    spoa.state_set('n', 41)   # the store's connection is open before the server stops

def handler(args):
    done = threading.Event()
    waker = threading.Thread(target=wake_server, args=(done,), daemon=True)
    waker.start()
    try:
        assert spoa.state_incr('n') == 42
    finally:
        done.set()
        waker.join()

spoa.register_message('warm', warm)
spoa.register_message('m', handler)
)PY");
  expect_ok("warm");
  server.pause();
  expect_ok("m");
  server.resume();
  EXPECT_EQ(server.command({"GET", "n"})->text, "42");
}

TEST_F(PythonState, WithoutAStoreTheFunctionsSaySo) {
  load_script(std::string(prelude) + R"PY(
def handler(args):
    for fn, fargs in ((spoa.state_get, ('k',)), (spoa.state_set, ('k', 1)), (spoa.state_incr, ('k',)),
                      (spoa.state_del, ('k',))):
        got = raises(spoa.state_error, fn, *fargs)
        assert got.endswith('(): no shared store is configured'), got
spoa.register_message('m', handler)
)PY");
  const auto out = call("m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
}

// The awaitable forms in `async def` handlers: the same results and errors as the blocking forms.
constexpr const char* async_py = R"PY(
import asyncio
async def handler(args):
    assert await spoa.state_get_async('ak') is None
    await spoa.state_set_async('ak', 'text')
    assert await spoa.state_get_async('ak') == 'text'
    await spoa.state_set_async(b'abin', b'\x00\xff', 60)
    assert await spoa.state_get_async('abin') == b'\x00\xff'
    counts = await asyncio.gather(*(spoa.state_incr_async('an') for _ in range(20)))
    assert sorted(counts) == list(range(1, 21)), counts
    assert await spoa.state_incr_async('an', -20, None) == 0
    assert await spoa.state_del_async('ak') is True
    assert await spoa.state_del_async('ak') is False
    try:
        await spoa.state_incr_async('abin')
    except spoa.state_error as e:
        assert str(e).startswith('state_incr_async(): ') and str(e).endswith("value of key 'abin' is not an integer"), str(e)
    else:
        raise AssertionError('no state_error')
    got = raises(TypeError, spoa.state_set_async, 'k', 1.5)   # bad arguments raise at once
    assert got == 'state_set_async(): value must be int, str or bytes, not float', got
    spoa.set_var_int32('done', spoa.scope_txn, 1)
def plain(args):
    got = raises(spoa.error, spoa.state_get_async, 'k')
    assert got == 'state_get_async() must be awaited in a coroutine on the agent\'s event loop', got
spoa.register_message('m', handler)
spoa.register_message('plain', plain)
)PY";

TEST_F(PythonState, AwaitableFormsWorkWithTheEmbeddedStore) {
  use_embedded();
  load_script(std::string(prelude) + async_py);
  const auto out = call("m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.actions, 1u);
  expect_ok("plain");
  EXPECT_EQ(store_->get("abin"), StateValue::of_bytes(std::string("\0\xff", 2)));
}

TEST_F(PythonState, AwaitableFormsWorkWithTheRedisStore) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer server;
  ASSERT_TRUE(server.running());
  options().state = std::make_shared<RedisStore>(redis_store_options(server.port()), nullptr);
  load_script(std::string(prelude) + async_py);
  const auto out = call("m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.actions, 1u);
  EXPECT_EQ(server.command({"GET", "an"})->text, "0");
}

TEST_F(PythonState, AwaitingTheRedisStoreDoesNotBlockTheLoop) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer server;
  ASSERT_TRUE(server.running());
  options().state = std::make_shared<RedisStore>(redis_store_options(server.port()), nullptr);
  load_script(std::string(prelude) + R"PY(
import asyncio
pending = {}
async def warm(args):
    await spoa.state_set_async('slow', 41)
async def start(args):
    pending['f'] = asyncio.ensure_future(spoa.state_incr_async('slow'))
    await asyncio.sleep(0.05)              # the loop runs on while Redis does not answer
    assert not pending['f'].done()
async def finish(args):
    spoa.set_var_int32('value', spoa.scope_txn, await pending['f'])
spoa.register_message('warm', warm)
spoa.register_message('start', start)
spoa.register_message('finish', finish)
)PY");
  ASSERT_TRUE(call("warm").result.ok());  // connects, sets 41
  server.pause();
  const auto started = call("start");
  server.resume();
  EXPECT_TRUE(started.result.ok()) << "the loop went on while Redis did not answer: " << started.result.detail;
  const auto out = call("finish");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 76616c7565 02 2a"));  // value = 42, once Redis answered
}

TEST_F(PythonState, AnUnavailableStoreFailsTheAwaitableFormsWithAStateError) {
  options().state = std::make_shared<UnreachableStore>();
  load_script(std::string(prelude) + R"PY(
async def uncaught(args):
    spoa.set_var_int32('before', spoa.scope_txn, 1)
    await spoa.state_get_async('hits')
spoa.register_message('uncaught', uncaught)
)PY");
  const auto failed = call("uncaught");
  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  EXPECT_NE(failed.result.detail.find("spoa.state_error: state_get_async(): redis 127.0.0.1:1: connection lost"),
            std::string::npos)
      << failed.result.detail;
  EXPECT_EQ(failed.actions, 1u);
}

TEST_F(PythonState, ABlockingStateCallOnTheLoopIsWarnedAboutOnce) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer server;
  ASSERT_TRUE(server.running());
  options().state = std::make_shared<RedisStore>(redis_store_options(server.port()), nullptr);
  load_script(std::string(prelude) + R"PY(
async def handler(args):
    spoa.state_set('k', 1)
    spoa.state_get('k')
spoa.register_message('m', handler)
)PY");
  expect_ok("m");
  expect_ok("m");
  std::size_t warnings = 0;
  for (const auto& [level, text] : logs()) {
    if (level == LogLevel::warning && contains(text, "blocks the event loop") && contains(text, "state_set_async()")) {
      ++warnings;
    }
  }
  EXPECT_EQ(warnings, 1u);
}

}  // namespace
}  // namespace spoa::test
