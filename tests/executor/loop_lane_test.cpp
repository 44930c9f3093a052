// Python coroutine handlers through the CallScheduler and its LoopLane: calls interleaved on the one
// asyncio loop each write their own ACK, plain handlers never run on the loop's thread, a closed
// connection cancels its waiting coroutines (their `finally:` runs), budgets answer a waiting call,
// reloads let running coroutines finish on the old scripts, and a thousand calls wait at once.
// Coroutines wait on asyncio.Event objects that other messages set: no sleeps, no timing assertions.
#include "agent/executor/loop_lane.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agent/engines/engine.hpp"
#include "tests/executor/scheduler_harness.hpp"

namespace spoa::exec {
namespace loop_lane_test {

using namespace std::chrono_literals;
using test::Answer;
using test::RecordingOwner;
using test::SchedulerHarness;
using Vars = std::vector<std::pair<std::string, std::int64_t>>;

bool have_python() {
  for (const auto& s : known_script_suffixes()) {
    if (s == ".py") return true;
  }
  return false;
}

#define REQUIRE_PYTHON() \
  if (!have_python()) GTEST_SKIP() << "built without the Python engine"

spop::Argument int_arg(int v) { return {"", spop::Value::int32(v)}; }

/// gated(id): sets before=id, says it started (a file), waits for release(id), sets after=id and the
/// script's version (its `finally:` logs id). finished: how many gated calls ended. The events and the
/// log live in a helper module (`gates`), which every script generation shares (sys.modules); each test
/// names its own, since the interpreter (and sys.modules) lives as long as the test process.
std::string gated_script(const std::filesystem::path& dir, const std::string& gates, int version) {
  return "import asyncio, os, threading\nimport spoa\nfrom " + gates + " import events, log\nDIR = '" + dir.string() +
         "'\nVERSION = " + std::to_string(version) + R"PY(
def event(i):
    return events.setdefault(i, asyncio.Event())
async def gated(args):
    i = args[0]['value']
    spoa.set_var_int32('before', spoa.scope_txn, i)
    open(os.path.join(DIR, 'started_%d' % i), 'w').close()
    try:
        await event(i).wait()
    finally:
        log.append(i)
    spoa.set_var_int32('after', spoa.scope_txn, i)
    spoa.set_var_int32('version', spoa.scope_txn, VERSION)
async def release(args):
    event(args[0]['value']).set()
def finished(args):
    spoa.set_var_int32('finished', spoa.scope_txn, len(log))
def plain(args):
    spoa.set_var_int32('plain_on_loop', spoa.scope_txn, int(threading.current_thread() is threading.main_thread()))
async def coro(args):
    spoa.set_var_int32('coro_on_loop', spoa.scope_txn, int(threading.current_thread() is threading.main_thread()))
async def napping(args):
    await asyncio.sleep(0.01)
    spoa.set_var_int32('n', spoa.scope_txn, args[0]['value'])
for name in ('gated', 'release', 'finished', 'plain', 'coro', 'napping'):
    spoa.register_message(name, globals()[name])
)PY";
}

class LoopLaneTest : public ::testing::Test {
 protected:
  explicit LoopLaneTest(SchedulerSettings settings = {.threads = 2, .max_calls = 4096, .call_budget = 0ms})
      : h(settings) {}
  void SetUp() override {
    if (!have_python()) GTEST_SKIP() << "built without the Python engine";
    static int tests = 0;
    gates = "gates" + std::to_string(++tests);
    dir = h.script(gates + ".py", "events = {}\nlog = []\n").parent_path();
    h.install({h.script("gated.py", gated_script(dir, gates, 1))});
  }
  bool started(int id) const { return std::filesystem::exists(dir / ("started_" + std::to_string(id))); }
  bool submit(std::uint64_t stream, const std::string& message, RecordingOwner& owner, int arg) {
    return h.submit(stream, {message}, owner, {int_arg(arg)});
  }

  SchedulerHarness h;
  std::filesystem::path dir;
  std::string gates;
};

TEST_F(LoopLaneTest, InterleavedCoroutinesEachWriteTheirOwnAck) {
  RecordingOwner owner;
  ASSERT_TRUE(submit(1, "gated", owner, 1));
  ASSERT_TRUE(submit(2, "gated", owner, 2));
  ASSERT_TRUE(h.run_until([&] { return started(1) && started(2); }));
  ASSERT_NE(h.scheduler().loop_lane("python"), nullptr);
  EXPECT_EQ(h.scheduler().loop_lane("python")->pending(), 2u) << "both wait on the loop, holding no thread";
  ASSERT_TRUE(submit(3, "release", owner, 2));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  // The release call and call 2, in either order; call 1 still waits.
  for (const Answer& a : owner.answers) {
    if (a.stream == 2) {
      EXPECT_EQ(a.vars, (Vars{{"before", 2}, {"after", 2}, {"version", 1}}));
    }
    EXPECT_NE(a.stream, 1u);
  }
  ASSERT_TRUE(submit(4, "release", owner, 1));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 4; }));
  bool seen = false;
  for (const Answer& a : owner.answers) {
    if (a.stream != 1) continue;
    seen = true;
    EXPECT_EQ(a.vars, (Vars{{"before", 1}, {"after", 1}, {"version", 1}}));
  }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
}

TEST_F(LoopLaneTest, PlainHandlersRunOnExecutorThreadsAndCoroutinesOnTheLoopInOneNotify) {
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"coro", "plain", "coro"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"coro_on_loop", 1}, {"plain_on_loop", 0}, {"coro_on_loop", 1}}));
}

TEST_F(LoopLaneTest, AClosedConnectionCancelsItsWaitingCoroutinesAndTheirFinallyRuns) {
  RecordingOwner gone;
  ASSERT_TRUE(submit(1, "gated", gone, 5));
  ASSERT_TRUE(h.run_until([&] { return started(5); }));
  h.scheduler().forget(gone);  // the connection closed
  ASSERT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; })) << "the coroutine was cancelled";
  EXPECT_TRUE(gone.answers.empty());
  RecordingOwner other;
  ASSERT_TRUE(h.submit(2, {"finished"}, other));
  ASSERT_TRUE(h.run_until([&] { return other.answers.size() == 1; }));
  EXPECT_EQ(other.answers[0].vars, (Vars{{"finished", 1}})) << "its finally: block ran";
}

TEST_F(LoopLaneTest, ReloadLetsRunningCoroutinesFinishOnTheOldScripts) {
  RecordingOwner owner;
  ASSERT_TRUE(submit(1, "gated", owner, 7));
  ASSERT_TRUE(h.run_until([&] { return started(7); }));
  h.install({h.script("gated2.py", gated_script(dir, gates, 2))});
  EXPECT_EQ(h.scheduler().retired_sets(), 1u) << "the old scripts stay while their coroutine waits";
  ASSERT_TRUE(submit(2, "gated", owner, 8));
  ASSERT_TRUE(h.run_until([&] { return started(8); }));
  ASSERT_TRUE(submit(3, "release", owner, 8));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  ASSERT_TRUE(submit(4, "release", owner, 7));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 4; }));
  for (const Answer& a : owner.answers) {
    if (a.stream == 1) {
      EXPECT_EQ(a.vars, (Vars{{"before", 7}, {"after", 7}, {"version", 1}})) << "old scripts";
    } else if (a.stream == 2) {
      EXPECT_EQ(a.vars, (Vars{{"before", 8}, {"after", 8}, {"version", 2}})) << "new scripts";
    }
  }
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().retired_sets() == 0; })) << "freed with their last call";
}

TEST_F(LoopLaneTest, AThousandCoroutinesWaitAtOnce) {
  RecordingOwner owner;
  constexpr int calls = 1000;
  for (int i = 1; i <= calls; ++i) ASSERT_TRUE(submit(static_cast<std::uint64_t>(i), "napping", owner, i));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == calls; }));
  for (const Answer& a : owner.answers) EXPECT_EQ(a.vars, (Vars{{"n", static_cast<std::int64_t>(a.stream)}}));
}

class LoopLaneBudgetTest : public LoopLaneTest {
 protected:
  LoopLaneBudgetTest() : LoopLaneTest({.threads = 2, .max_calls = 4096, .call_budget = 200ms}) {}
};

TEST_F(LoopLaneBudgetTest, AWaitingCoroutineIsAnsweredAtItsBudgetWithWhatItSetAndCancelled) {
  RecordingOwner owner;
  ASSERT_TRUE(submit(1, "gated", owner, 6));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"before", 6}}));
  ASSERT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; })) << "its task was cancelled";
  ASSERT_TRUE(h.submit(2, {"finished"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  EXPECT_EQ(owner.answers[1].vars, (Vars{{"finished", 1}})) << "its finally: block ran";
}

}  // namespace loop_lane_test
}  // namespace spoa::exec
