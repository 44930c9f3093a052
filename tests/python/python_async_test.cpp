// `async def` handlers through the engine alone: Engine::call() without a PendingCall waits for the
// coroutine, which runs on the worker's asyncio loop. Covers detection at registration, setters before
// and after awaits and in sub-tasks, errors, budgets (cancellation at the await, `finally:` running, a
// coroutine blocking the loop), start-up hooks, and a setter after the call has ended. Interleaved calls
// through the worker's scheduler are in tests/executor/loop_lane_test.cpp.
#include <chrono>
#include <string>
#include <thread>

#include "spop/ack_builder.hpp"
#include "tests/python/python_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace async_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using spoa::test::ack_with;

// "A small multiple of the budget", with room for a loaded 2-core CI machine and sanitizers.
constexpr auto stop_limit = 3000ms;

const char* const async_script = R"PY(
import asyncio, functools, time

log = []

async def two_awaits(args):
    spoa.set_var_int32('a', spoa.scope_txn, 1)
    await asyncio.sleep(0)
    spoa.set_var_int32('b', spoa.scope_txn, 2)
    await asyncio.sleep(0.01)
    spoa.set_var_int32('c', spoa.scope_txn, args[0]['value'] if args else 3)

async def raises(args):
    spoa.set_var_int32('a', spoa.scope_txn, 1)
    await asyncio.sleep(0)
    raise ValueError('bad luck')

async def sleeps_long(args):
    spoa.set_var_int32('a', spoa.scope_txn, 1)
    try:
        await asyncio.sleep(60)
    finally:
        log.append('finally ran')

async def blocks_in_sleep(args):
    spoa.set_var_int32('a', spoa.scope_txn, 1)
    await asyncio.sleep(0)
    time.sleep(60)

async def spins(args):
    await asyncio.sleep(0)
    while True:
        pass

async def gathers(args):
    async def one(name, value):
        await asyncio.sleep(0)
        spoa.set_var_int32(name, spoa.scope_txn, value)
    await asyncio.gather(one('x', 1), one('y', 2))

async def leaves_a_task(args):
    async def later():
        await asyncio.sleep(0.05)
        try:
            spoa.set_var_int32('late', spoa.scope_txn, 1)
            log.append('late setter accepted')
        except spoa.error as e:
            log.append(str(e))
    asyncio.ensure_future(later())

def reads_log(args):
    spoa.set_var_str('log', spoa.scope_txn, ' | '.join(log))
    log.clear()

async def exits(args):
    raise SystemExit(3)

class Callable:
    async def __call__(self, args):
        spoa.set_var_int32('obj', spoa.scope_txn, 5)

async def with_extra(args, extra):
    spoa.set_var_int32('extra', spoa.scope_txn, extra)

def plain_returning_coroutine(args):
    return two_awaits(args)

for name in ('two_awaits', 'raises', 'sleeps_long', 'blocks_in_sleep', 'spins', 'gathers', 'leaves_a_task',
             'reads_log', 'exits', 'plain_returning_coroutine'):
    spoa.register_message(name, globals()[name])
spoa.register_message('object', Callable())
spoa.register_message('partial', functools.partial(with_extra, extra=9))
)PY";

class AsyncTest : public PythonEngineTest {
 protected:
  void SetUp() override {
    PythonEngineTest::SetUp();
    options().call_budget = 500ms;
  }
  void load() { load_script(std::string(prelude) + async_script); }

  /// The log the script keeps (message reads_log).
  std::string script_log() {
    const auto out = call("reads_log");
    EXPECT_TRUE(out.result.ok()) << out.result.detail;
    return out.ack;
  }
};

// An int32 SET-VAR in txn scope, as hex (one-byte names and values below 240).
std::string int_var(char name, int value) {
  static const char* digits = "0123456789abcdef";
  std::string hex = "01 03 02 01 ";
  hex += digits[static_cast<unsigned char>(name) >> 4];
  hex += digits[static_cast<unsigned char>(name) & 15];
  hex += " 02 ";
  hex += digits[value >> 4];
  hex += digits[value & 15];
  return hex;
}

/// Text as it appears inside an ACK in to_hex() format.
std::string hex_of(std::string_view text) { return spop::test::to_hex(spop::test::bytes(text)); }

TEST_F(AsyncTest, CoroutineFunctionsAreRegisteredToRunOnTheLoop) {
  load();
  for (const auto& r : engine().registrations()) {
    const bool plain = r.message == "reads_log" || r.message == "plain_returning_coroutine";
    EXPECT_EQ(r.on_loop, !plain) << r.message;
  }
  EXPECT_NE(engine().event_loop(), nullptr);
}

TEST_F(AsyncTest, SettersWorkBeforeAndAfterAwaits) {
  load();
  const spop::Argument arg{"", spop::Value::int32(7)};
  const auto out = call("two_awaits", {arg});
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with(int_var('a', 1) + " " + int_var('b', 2) + " " + int_var('c', 7)));
}

TEST_F(AsyncTest, SubTasksOfTheHandlerSetVariablesOfItsCall) {
  load();
  const auto out = call("gathers");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.actions, 2u);
  EXPECT_TRUE(contains(out.ack, int_var('x', 1))) << out.ack;
  EXPECT_TRUE(contains(out.ack, int_var('y', 2))) << out.ack;
}

TEST_F(AsyncTest, CallableObjectsAndPartialsOfCoroutinesWork) {
  load();
  auto out = call("object");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 03 6f626a 02 05"));
  out = call("partial");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 6578747261 02 09"));
}

TEST_F(AsyncTest, AnExceptionIsOneResultWithTheTracebackAndKeepsEarlierVariables) {
  load();
  const auto out = call("raises");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "message 'raises' (stream 1, frame 1): ValueError: bad luck"))
      << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "Traceback (most recent call last)")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "in raises")) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with(int_var('a', 1)));
  EXPECT_TRUE(call("two_awaits").result.ok()) << "the next call works";
}

TEST_F(AsyncTest, SystemExitIsAnErrorOfItsCallAndTheLoopGoesOn) {
  load();
  const auto out = call("exits");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "SystemExit: 3")) << out.result.detail;
  EXPECT_TRUE(call("two_awaits").result.ok());
}

TEST_F(AsyncTest, TheBudgetCancelsTheCoroutineAtItsAwaitAndFinallyRuns) {
  load();
  const auto start = Clock::now();
  const auto out = call("sleeps_long");
  const auto took = Clock::now() - start;
  EXPECT_EQ(out.result.kind, CallResult::Kind::timeout) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "cancelled after its time budget of 500 ms")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "CancelledError")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "in sleeps_long")) << "the traceback shows the await";
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, stop_limit);
  EXPECT_EQ(out.ack, ack_with(int_var('a', 1)));
  EXPECT_TRUE(contains(script_log(), hex_of("finally ran")));
}

TEST_F(AsyncTest, ASleepThatBlocksTheLoopIsStoppedAndNamedSo) {
  load();
  const auto start = Clock::now();
  const auto out = call("blocks_in_sleep");
  const auto took = Clock::now() - start;
  EXPECT_EQ(out.result.kind, CallResult::Kind::timeout) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "blocked the event loop")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "time.sleep(60)")) << "the traceback shows where: " << out.result.detail;
  EXPECT_LT(took, stop_limit);
  EXPECT_EQ(out.ack, ack_with(int_var('a', 1)));
  EXPECT_TRUE(call("two_awaits").result.ok()) << "the loop serves again";
}

TEST_F(AsyncTest, ABusyLoopInACoroutineIsStopped) {
  load();
  const auto start = Clock::now();
  const auto out = call("spins");
  EXPECT_EQ(out.result.kind, CallResult::Kind::timeout) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "blocked the event loop")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "in spins")) << out.result.detail;
  EXPECT_LT(Clock::now() - start, stop_limit);
  EXPECT_TRUE(call("two_awaits").result.ok());
}

TEST_F(AsyncTest, ASetterAfterTheCallEndedRaisesInsteadOfWritingSomewhere) {
  load();
  const auto out = call("leaves_a_task");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.actions, 0u);
  std::string log;
  for (int i = 0; i < 200 && log.find(hex_of("ended")) == std::string::npos; ++i) {
    log = script_log();
    if (log.find(hex_of("ended")) == std::string::npos) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(contains(log, hex_of("set_var_int32(): message 'leaves_a_task' (stream 1, frame 1) has ended")))
      << log;
}

TEST_F(AsyncTest, APlainHandlerReturningACoroutineIsToldToRegisterTheCoroutineFunction) {
  load();
  const auto out = call("plain_returning_coroutine");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "returned a coroutine, which nothing awaits")) << out.result.detail;
}

TEST_F(AsyncTest, StartUpHooksRunOnTheLoopBeforeTheFirstCall) {
  load_script(std::string(prelude) + R"PY(
import asyncio, threading
state = {}
async def connect():
    state['loop'] = asyncio.get_running_loop()
    state['thread'] = threading.current_thread().name
    await asyncio.sleep(0)
def sync_hook():
    state['sync'] = True
spoa.register_startup(connect)
spoa.register_startup(sync_hook)
async def check(args):
    same = asyncio.get_running_loop() is state['loop']
    spoa.set_var_boolean('same_loop', spoa.scope_txn, same and state.get('sync', False))
spoa.register_message('check', check)
)PY");
  ASSERT_NO_THROW(engine().prepare());
  const auto out = call("check");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 09 73616d655f6c6f6f70 11"));  // BOOL true: type 1, flag 0x10
}

TEST_F(AsyncTest, AFailingStartUpHookFailsTheLoadNamingIt) {
  load_script(std::string(prelude) + R"PY(
import asyncio
async def connect():
    await asyncio.sleep(0)
    raise ConnectionError('redis is down')
spoa.register_startup(connect)
)PY");
  try {
    engine().prepare();
    FAIL() << "prepare() did not throw";
  } catch (const LoadError& e) {
    const std::string text = e.what();
    EXPECT_TRUE(contains(text, "script.py: start-up hook connect")) << text;
    EXPECT_TRUE(contains(text, "ConnectionError: redis is down")) << text;
    EXPECT_TRUE(contains(text, "Traceback")) << text;
  }
}

TEST_F(AsyncTest, RegisterStartupRefusesWhatItCannotRun) {
  EXPECT_TRUE(contains(load_error(std::string(prelude) + "spoa.register_startup(42)\n"),
                       "TypeError: register_startup(): the hook must be callable, not int"));
}

}  // namespace async_test
}  // namespace spoa::test
