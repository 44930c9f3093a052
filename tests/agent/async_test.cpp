// Python `async def` handlers with the real binary: coroutines interleaved on one connection answer in
// completion order with their own variables; HAPROXY-DISCONNECT or a closed connection cancels a
// connection's coroutines (their `finally:` runs); a coroutine blocking the event loop is stopped at the
// budget and logged with its traceback while the loop goes on serving; an exception is one log record;
// SIGTERM lets coroutines finish, then cancels them at --drain-timeout; SIGHUP lets running coroutines
// finish on the old scripts. Coroutines wait until the test creates a file (they poll for it with
// asyncio.sleep) and say they started by creating one: no timing assertions (timeouts are hang guards).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "spop/frame.hpp"
#include "spop/hello.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace async_test {

using namespace std::chrono_literals;

#define REQUIRE_PYTHON() \
  if (!engine_available(".py")) GTEST_SKIP() << "spoa was built without the Python engine"

class Async : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// waits(id): sets before=id, creates started_<id>, waits (asyncio.sleep polling) for release_<id>,
  /// sets after=id and version; its `finally:` creates finally_<id>. The script's `extra` follows.
  std::string script(int version = 1, const std::string& extra = "") {
    return put_script(dir_, "handlers.py",
                      "import asyncio, os, time, spoa\nDIR = '" + dir_.string() + "'\nVERSION = " +
                          std::to_string(version) + "\n" + R"PY(
def path(name):
    return os.path.join(DIR, name)
async def waits(args):
    i = args[0]['value']
    spoa.set_var_int32('before', spoa.scope_txn, i)
    open(path('started_%d' % i), 'w').close()
    try:
        while not os.path.exists(path('release_%d' % i)):
            await asyncio.sleep(0.005)
        spoa.set_var_int32('after', spoa.scope_txn, i)
        spoa.set_var_int32('version', spoa.scope_txn, VERSION)
    finally:
        open(path('finally_%d' % i), 'w').close()
async def blocks(args):
    spoa.set_var_int32('before', spoa.scope_txn, 1)
    await asyncio.sleep(0)
    time.sleep(60)
async def fails(args):
    spoa.set_var_int32('before', spoa.scope_txn, 1)
    await asyncio.sleep(0)
    raise KeyError('missing')
async def quick(args):
    await asyncio.sleep(0.001)
    spoa.set_var_int32('quick', spoa.scope_txn, 7)
def version(args):
    spoa.set_var_int32('version', spoa.scope_txn, VERSION)
for name in ('waits', 'blocks', 'fails', 'quick', 'version'):
    spoa.register_message(name, globals()[name])
)PY" + extra)
        .string();
  }

  bool exists(const std::string& name) const { return std::filesystem::exists(dir_ / name); }
  bool wait_for(const std::string& name) const {
    return poll_until([&] { return exists(name); }, 20s);
  }
  void release(int id) const { std::ofstream(dir_ / ("release_" + std::to_string(id))) << "go\n"; }
  static bool waits(TestClient& c, std::uint64_t sid, int id) {
    const spop::Argument arg{"", spop::Value::int32(id)};
    return c.notify(sid, 1, "waits", std::span<const spop::Argument>(&arg, 1));
  }
  static std::optional<ReceivedFrame> ack_of(TestClient& c) {
    auto f = c.read_frame(20s);
    if (f && f->header.type != spop::FrameType::ack) return std::nullopt;
    return f;
  }

  std::filesystem::path dir_;
};

TEST_F(Async, InterleavedCoroutinesOnOneConnectionAnswerInCompletionOrder) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(waits(c, 1, 1));
  ASSERT_TRUE(waits(c, 2, 2));
  ASSERT_TRUE(wait_for("started_1") && wait_for("started_2")) << agent.log();
  release(2);
  auto second = ack_of(c);
  ASSERT_TRUE(second) << agent.log();
  EXPECT_EQ(second->header.stream_id, 2u) << "answered while the first still waits";
  EXPECT_EQ(ack_int(*second, "before"), 2);
  EXPECT_EQ(ack_int(*second, "after"), 2);
  release(1);
  auto first = ack_of(c);
  ASSERT_TRUE(first) << agent.log();
  EXPECT_EQ(first->header.stream_id, 1u);
  EXPECT_EQ(ack_int(*first, "before"), 1);
  EXPECT_EQ(ack_int(*first, "after"), 1);
}

TEST_F(Async, HaproxyDisconnectCancelsTheConnectionsCoroutines) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(waits(c, 1, 3));
  ASSERT_TRUE(wait_for("started_3")) << agent.log();
  std::vector<std::byte> bye;
  ASSERT_EQ(spop::write_disconnect(bye, spop::FrameType::haproxy_disconnect, 0, "normal"), spop::Errc::ok);
  ASSERT_TRUE(c.send(bye));
  auto answer = c.read_frame(20s);
  ASSERT_TRUE(answer) << agent.log();
  EXPECT_EQ(answer->header.type, spop::FrameType::agent_disconnect) << "no ACK: the coroutine was cancelled";
  EXPECT_TRUE(wait_for("finally_3")) << "its finally: block ran\n" << agent.log();
  EXPECT_FALSE(exists("release_3"));
}

TEST_F(Async, AClosedConnectionCancelsItsCoroutinesAndOthersGoOn) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient other(agent.port());
  ASSERT_TRUE(other.hello());
  ASSERT_TRUE(waits(other, 1, 5));
  {
    TestClient c(agent.port());
    ASSERT_TRUE(c.hello());
    ASSERT_TRUE(waits(c, 1, 4));
    ASSERT_TRUE(wait_for("started_4") && wait_for("started_5")) << agent.log();
    c.reset();
  }
  EXPECT_TRUE(wait_for("finally_4")) << agent.log();
  EXPECT_FALSE(exists("finally_5")) << "the other connection's coroutine still waits";
  release(5);
  auto ack = ack_of(other);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "after"), 5);
}

TEST_F(Async, ACoroutineBlockingTheLoopIsStoppedAtTheBudgetAndLogged) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "--call-budget", "300", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(1, 1, "blocks"));
  auto ack = ack_of(c);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "before"), 1);
  ASSERT_TRUE(agent.wait_log("blocked the event loop")) << agent.log();
  EXPECT_TRUE(agent.wait_log("time.sleep(60)")) << "the record carries the traceback\n" << agent.log();
  // The loop serves again at once (time.sleep(60) was interrupted, not waited out).
  for (std::uint64_t sid = 2; sid < 6; ++sid) {
    ASSERT_TRUE(c.notify(sid, 1, "quick"));
    auto q = ack_of(c);
    ASSERT_TRUE(q) << agent.log();
    EXPECT_EQ(ack_int(*q, "quick"), 7);
  }
  EXPECT_EQ(count_of(agent.log(), "blocked the event loop"), 1u) << agent.log();
}

TEST_F(Async, AnExceptionIsOneLogRecordWithTheTracebackAndKeepsEarlierVariables) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(1, 1, "fails"));
  auto ack = ack_of(c);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "before"), 1);
  ASSERT_TRUE(c.notify(2, 1, "quick"));
  auto q = ack_of(c);
  ASSERT_TRUE(q) << agent.log();
  EXPECT_EQ(ack_int(*q, "quick"), 7);
  ASSERT_TRUE(agent.wait_log("KeyError: 'missing'")) << agent.log();
  const std::string log = agent.log();
  EXPECT_EQ(count_of(log, "KeyError: 'missing'"), 2u) << "the summary and the traceback's last line, once each\n" << log;
  EXPECT_EQ(count_of(log, "Traceback (most recent call last)"), 1u) << log;
  EXPECT_NE(log.find("message 'fails' (stream 1, frame 1)"), std::string::npos) << log;
}

TEST_F(Async, SigtermLetsWaitingCoroutinesFinish) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(waits(c, 1, 6));
  ASSERT_TRUE(wait_for("started_6")) << agent.log();
  agent.signal(SIGTERM);
  ASSERT_TRUE(agent.wait_log("draining")) << agent.log();
  release(6);
  auto ack = ack_of(c);
  ASSERT_TRUE(ack) << "the waiting coroutine was answered during the drain\n" << agent.log();
  EXPECT_EQ(ack_int(*ack, "after"), 6);
  auto bye = c.read_frame(20s);
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(agent.wait_exit(20s), 0) << agent.log();
}

TEST_F(Async, TheDrainTimeoutCancelsCoroutinesStillWaiting) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "--drain-timeout", "300ms", "-f", script()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(waits(c, 1, 7));
  ASSERT_TRUE(wait_for("started_7")) << agent.log();
  agent.signal(SIGTERM);
  auto bye = c.read_frame(20s);
  ASSERT_TRUE(bye) << agent.log();
  EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect) << "no ACK: the coroutine did not finish";
  EXPECT_TRUE(wait_for("finally_7")) << "cancelled, its finally: block ran\n" << agent.log();
  EXPECT_TRUE(agent.wait_exit(20s).has_value()) << agent.log();
}

TEST_F(Async, SighupLetsRunningCoroutinesFinishOnTheOldScripts) {
  REQUIRE_PYTHON();
  AgentProcess agent({"-n", "1", "-f", script(1)});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(waits(c, 1, 8));
  ASSERT_TRUE(wait_for("started_8")) << agent.log();
  script(2);
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("reload complete")) << agent.log();
  TestClient fresh(agent.port());
  ASSERT_TRUE(fresh.hello());
  ASSERT_TRUE(fresh.notify(1, 1, "version"));
  auto v = ack_of(fresh);
  ASSERT_TRUE(v) << agent.log();
  EXPECT_EQ(ack_int(*v, "version"), 2) << "new calls run the new scripts";
  release(8);
  auto ack = ack_of(c);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "after"), 8);
  EXPECT_EQ(ack_int(*ack, "version"), 1) << "the running coroutine finished on the old scripts";
}

TEST_F(Async, AFailingStartUpHookStopsTheStartWithItsTraceback) {
  REQUIRE_PYTHON();
  const auto result = run_spoa({"-n", "1", "-p", "0", "--address", "127.0.0.1", "-f",
                                script(1, "async def connect():\n    raise OSError('no route to the database')\n"
                                          "spoa.register_startup(connect)\n")});
  EXPECT_NE(result.exit_status, 0);
  EXPECT_NE(result.err.find("start-up hook connect"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("OSError: no route to the database"), std::string::npos) << result.err;
}

// --asyncio-loop: which loop the coroutines run on, and what happens when uvloop cannot be imported (a
// module of that name on PYTHONPATH that raises ImportError stands for a machine without python3-uvloop).
const std::string loop_kind_handler = R"PY(
async def loopkind(args):
    module = type(asyncio.get_running_loop()).__module__
    spoa.set_var_int32('uvloop', spoa.scope_txn, int(module.startswith('uvloop')))
spoa.register_message('loopkind', loopkind)
)PY";

std::optional<std::int64_t> runs_on_uvloop(const std::vector<std::string>& args, std::string& log) {
  AgentProcess agent(args);
  log = agent.log();
  if (!agent.ready()) return std::nullopt;
  TestClient c(agent.port());
  if (!c.hello() || !c.notify(1, 1, "loopkind", std::span<const spop::Argument>())) return std::nullopt;
  auto f = c.read_frame(20s);
  log = agent.log();
  if (!f || f->header.type != spop::FrameType::ack) return std::nullopt;
  return ack_int(*f, "uvloop");
}

TEST_F(Async, TheAsyncioLoopOptionChoosesTheLoopCoroutinesRunOn) {
  REQUIRE_PYTHON();
  const std::string file = script(1, loop_kind_handler);
  std::string log;
  EXPECT_EQ(runs_on_uvloop({"-n", "1", "--asyncio-loop", "asyncio", "-f", file}, log), 0) << log;
  EXPECT_NE(log.find("async def handlers run on asyncio's own event loop (--asyncio-loop asyncio)"), std::string::npos) << log;
  const auto uv = runs_on_uvloop({"-n", "1", "--asyncio-loop", "uvloop", "-f", file}, log);
  if (!uv) GTEST_SKIP() << "python3-uvloop is not installed (scripts/install-deps.sh installs it): " << log;
  EXPECT_EQ(uv, 1) << log;
  EXPECT_NE(log.find("async def handlers run on uvloop "), std::string::npos) << log;
  EXPECT_EQ(runs_on_uvloop({"-n", "1", "-f", file}, log), 1) << "auto takes uvloop when it is there\n" << log;
}

TEST_F(Async, WithoutUvloopAutoFallsBackToAsyncioAndUvloopIsAClearError) {
  REQUIRE_PYTHON();
  const std::string file = script(1, loop_kind_handler);
  const auto fake = dir_ / "fake-site";
  std::filesystem::create_directories(fake);
  std::ofstream(fake / "uvloop.py") << "raise ImportError('no uvloop on this machine')\n";
  ::setenv("PYTHONPATH", fake.c_str(), 1);
  std::string log;
  EXPECT_EQ(runs_on_uvloop({"-n", "1", "--asyncio-loop", "auto", "-f", file}, log), 0) << log;
  EXPECT_NE(log.find("asyncio's own event loop (--asyncio-loop auto) (uvloop cannot be imported: ImportError: "
                     "no uvloop on this machine)"),
            std::string::npos)
      << log;
  const auto refused = run_spoa({"--check", "--asyncio-loop", "uvloop", "-f", file});
  ::unsetenv("PYTHONPATH");
  EXPECT_EQ(refused.exit_status, 1) << refused.err;
  EXPECT_NE(refused.err.find("cannot start the asyncio event loop: import uvloop (install python3-uvloop, or use "
                             "--asyncio-loop asyncio): ImportError: no uvloop on this machine"),
            std::string::npos)
      << refused.err;
}

}  // namespace async_test
}  // namespace spoa::test
