// CallScheduler with real engines: completion-order ACKs, a blocked call beside quick ones, budgets
// answered by the event loop, languages mixed in one NOTIFY, reloads with calls running, forgotten
// owners and the limit on calls in progress.
#include "agent/executor/call_scheduler.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/engines/engine.hpp"
#include "tests/executor/scheduler_harness.hpp"

namespace spoa::exec {
namespace scheduler_test {

using namespace std::chrono_literals;
using test::Answer;
using test::RecordingOwner;
using test::SchedulerHarness;
using Vars = std::vector<std::pair<std::string, std::int64_t>>;

bool have(std::string_view suffix) {
  for (const auto& s : known_script_suffixes()) {
    if (s == suffix) return true;
  }
  return false;
}

#define REQUIRE_LANGUAGE(suffix) \
  if (!have(suffix)) GTEST_SKIP() << "built without the " << (suffix) << " engine"

// A Lua handler that sets `before`, then blocks in C (opening and reading the FIFO `gate`), then sets `after`.
std::string gated_lua(const std::string& message, const std::string& gate) {
  return "spoa.register_message('" + message + "', function(args)\n"
         "  spoa.set_var_int32('before', spoa.scope.txn, 1)\n"
         "  local f = io.open('" + gate + "'); f:read('l'); f:close()\n"
         "  spoa.set_var_int32('after', spoa.scope.txn, 2)\n"
         "end)\n";
}

TEST(CallScheduler, AnswersInCompletionOrderWithEachCallsIds) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h;
  const auto gate = h.gate("slow");
  h.install({h.script("a.lua", gated_lua("slow", gate.string()) +
                                   "spoa.register_message('fast', function(args) spoa.set_var_int32('fast', spoa.scope.txn, 7) end)\n")});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"slow"}, owner));
  ASSERT_TRUE(h.submit(2, {"fast"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].stream, 2u) << "the quick call is answered while the first still runs";
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"fast", 7}}));
  h.release(gate);
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  EXPECT_EQ(owner.answers[1].stream, 1u);
  EXPECT_EQ(owner.answers[1].vars, (Vars{{"before", 1}, {"after", 2}}));
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
}

TEST(CallScheduler, QuickCallsKeepFlowingWhileOneThreadIsBlocked) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 4, .max_calls = 1024, .call_budget = 0ms});
  const auto gate = h.gate("slow");
  h.install({h.script("a.lua", gated_lua("slow", gate.string()) +
                                   "spoa.register_message('fast', function(args) spoa.set_var_int32('n', spoa.scope.txn, 1) end)\n")});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1000, {"slow"}, owner));
  for (std::uint64_t s = 1; s <= 100; ++s) ASSERT_TRUE(h.submit(s, {"fast"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 100; }));
  for (const Answer& a : owner.answers) EXPECT_NE(a.stream, 1000u);
  h.release(gate);
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 101; }));
  EXPECT_EQ(owner.answers.back().stream, 1000u);
}

TEST(CallScheduler, BudgetAnswersACallBlockedInCWithWhatItSetSoFar) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 2, .max_calls = 1024, .call_budget = 100ms});
  const auto gate = h.gate("stuck");
  h.install({h.script("a.lua", gated_lua("stuck", gate.string()) +
                                   "spoa.register_message('fast', function(args) spoa.set_var_int32('n', spoa.scope.txn, 1) end)\n")});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"stuck"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].stream, 1u);
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"before", 1}})) << "the ACK left at the budget, without `after`";
  EXPECT_EQ(h.scheduler().in_progress(), 1u) << "the handler still holds its thread";
  // Other calls are not affected by the stuck one.
  ASSERT_TRUE(h.submit(2, {"fast"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  EXPECT_EQ(owner.answers[1].vars, (Vars{{"n", 1}}));
  h.release(gate);
  ASSERT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
  EXPECT_EQ(owner.answers.size(), 2u) << "a call answered at its budget is never answered twice";
}

TEST(CallScheduler, RunsTheMessagesOfDifferentLanguagesInOrderIntoOneAck) {
  REQUIRE_LANGUAGE(".lua");
  REQUIRE_LANGUAGE(".py");
  SchedulerHarness h;
  h.install({h.script("a.lua", "spoa.register_message('la', function(args) spoa.set_var_int32('a', spoa.scope.txn, 1) end)\n"
                                "spoa.register_message('lc', function(args) spoa.set_var_int32('c', spoa.scope.txn, 3) end)\n"),
             h.script("b.py", "import spoa\n"
                              "def b(args):\n"
                              "    spoa.set_var_int32('b', spoa.scope_txn, 2)\n"
                              "spoa.register_message('pb', b)\n")});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(5, {"la", "unknown", "pb", "lc"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"a", 1}, {"b", 2}, {"c", 3}}));
}

TEST(CallScheduler, AReloadLeavesRunningCallsOnTheirScriptsAndFreesThemAfter) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h;
  const auto gate = h.gate("old");
  h.install({h.script("old.lua", "spoa.register_message('m', function(args)\n"
                                 "  local f = io.open('" + gate.string() + "'); f:read('l'); f:close()\n"
                                 "  spoa.set_var_int32('version', spoa.scope.txn, 1)\n"
                                 "end)\n")});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"m"}, owner));
  h.install({h.script("new.lua", "spoa.register_message('m', function(args) spoa.set_var_int32('version', spoa.scope.txn, 2) end)\n")});
  EXPECT_EQ(h.scheduler().retired_sets(), 1u) << "the old scripts stay while their call runs";
  ASSERT_TRUE(h.submit(2, {"m"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].stream, 2u);
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"version", 2}}));
  h.release(gate);
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  EXPECT_EQ(owner.answers[1].vars, (Vars{{"version", 1}})) << "the call that started on the old scripts ended there";
  EXPECT_EQ(h.scheduler().retired_sets(), 0u) << "freed with their last call";
}

TEST(CallScheduler, ACallWhoseOwnerIsGoneCompletesUnanswered) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h;
  const auto gate = h.gate("g");
  h.install({h.script("a.lua", gated_lua("m", gate.string()))});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"m"}, owner));
  h.scheduler().forget(owner);  // the connection closed
  h.release(gate);
  ASSERT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
  EXPECT_TRUE(owner.answers.empty());
}

TEST(CallScheduler, CountsCallsInProgressAgainstTheLimitAndSaysWhenThereIsRoom) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 2, .max_calls = 2, .call_budget = 0ms});
  const auto gate = h.gate("g");
  h.install({h.script("a.lua", gated_lua("m", gate.string()) +
                                   "spoa.register_message('q', function(args) end)\n")});
  int room = 0;
  h.scheduler().on_room([&] { ++room; });
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"m"}, owner));
  EXPECT_FALSE(h.scheduler().at_limit());
  ASSERT_TRUE(h.submit(2, {"q"}, owner));
  EXPECT_TRUE(h.scheduler().at_limit()) << "queued and running calls both count";
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_FALSE(h.scheduler().at_limit());
  EXPECT_GE(room, 1);
  h.release(gate);
  ASSERT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
}

TEST(CallScheduler, ANotifyWithoutHandledMessagesIsNotSubmitted) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h;
  h.install({h.script("a.lua", "spoa.register_message('m', function(args) end)\n")});
  RecordingOwner owner;
  EXPECT_FALSE(h.submit(1, {"other", "another"}, owner));
  EXPECT_FALSE(h.submit(2, {}, owner));
  EXPECT_EQ(h.scheduler().in_progress(), 0u);
}

TEST(CallScheduler, LuaGlobalsArePerExecutorThread) {
  REQUIRE_LANGUAGE(".lua");
  // Two calls held at once run on two threads, each with its own Lua state: each sees its own counter.
  SchedulerHarness h({.threads = 2, .max_calls = 1024, .call_budget = 0ms});
  const auto g1 = h.gate("g1");
  const auto g2 = h.gate("g2");
  const auto dir = g1.parent_path().string();
  h.install({h.script("a.lua", "count = 0\n"
                               "spoa.register_message('m', function(args)\n"
                               "  count = count + 1\n"
                               "  local gate = args[1] and 'g2' or 'g1'\n"
                               "  io.open('" + dir + "/started_' .. gate, 'w'):close()\n"
                               "  local f = io.open('" + dir + "/' .. gate); f:read('l'); f:close()\n"
                               "  spoa.set_var_int32('count', spoa.scope.txn, count)\n"
                               "end)\n")});
  RecordingOwner owner;
  ASSERT_TRUE(h.submit(1, {"m"}, owner));
  ASSERT_TRUE(h.submit(2, {"m"}, owner, {spop::Argument{"", spop::Value::int32(2)}}));
  // Both calls hold a thread before either is let go: neither thread can take the other call.
  ASSERT_TRUE(h.run_until([&] {
    return std::filesystem::exists(dir + "/started_g1") && std::filesystem::exists(dir + "/started_g2");
  }));
  h.release(g1);
  h.release(g2);
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"count", 1}}));
  EXPECT_EQ(owner.answers[1].vars, (Vars{{"count", 1}})) << "one global per thread, not one per worker";
}


// Lua handlers that wait (issue 22). "wait" (argument: the id) sets before=1, notes started_<id>, then
// waits on its thread's event loop (spoa.sleep) until the file go_<id> exists, and sets after=<id>;
// "fast" sets fast=7. No gate holds a thread here: a waiting call leaves its thread to others.
std::string waiting_lua(const std::string& dir) {
  return "local dir = '" + dir + "'\n" + R"(
local function exists(path) local f = io.open(path) if f then f:close() end return f ~= nil end
spoa.register_message('wait', function(args)
  local id = args[1].value
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  io.open(dir .. '/started_' .. id, 'w'):close()
  while not exists(dir .. '/go_' .. id) do spoa.sleep(0.002) end
  spoa.set_var_int32('after', spoa.scope.txn, id)
end)
spoa.register_message('fast', function(args) spoa.set_var_int32('fast', spoa.scope.txn, 7) end)
)";
}

void touch(const std::filesystem::path& path) { std::ofstream(path) << "go"; }

TEST(CallScheduler, AWaitingCallLeavesItsThreadToOtherCalls) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 1, .max_calls = 1024, .call_budget = 0ms});
  const auto dir = h.script("x", "").parent_path();
  h.install({h.script("a.lua", waiting_lua(dir.string()))});
  RecordingOwner owner;
  const std::vector<spop::Argument> id1{{"", spop::Value::int32(1)}};
  ASSERT_TRUE(h.submit(1, {"wait"}, owner, id1));
  ASSERT_TRUE(h.run_until([&] { return std::filesystem::exists(dir / "started_1"); }));
  for (std::uint64_t s = 2; s <= 21; ++s) ASSERT_TRUE(h.submit(s, {"fast"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 20; })) << "one thread, and the waiting call does not hold it";
  for (const Answer& a : owner.answers) EXPECT_NE(a.stream, 1u);
  touch(dir / "go_1");
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 21; }));
  EXPECT_EQ(owner.answers.back().stream, 1u);
  EXPECT_EQ(owner.answers.back().vars, (Vars{{"before", 1}, {"after", 1}}));
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
}

TEST(CallScheduler, AClosingOwnerCancelsItsWaitingCallsAndNoOther) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 2, .max_calls = 1024, .call_budget = 0ms});
  const auto dir = h.script("x", "").parent_path();
  h.install({h.script("a.lua", waiting_lua(dir.string()) + "spoa.register_message('next', function(args) "
                                                           "spoa.set_var_int32('next', spoa.scope.txn, 1) end)\n")});
  RecordingOwner gone, closing, staying;
  const std::vector<spop::Argument> id1{{"", spop::Value::int32(1)}};
  const std::vector<spop::Argument> id2{{"", spop::Value::int32(2)}};
  const std::vector<spop::Argument> id3{{"", spop::Value::int32(3)}};
  ASSERT_TRUE(h.submit(1, {"wait"}, gone, id1));
  ASSERT_TRUE(h.submit(2, {"wait", "next"}, closing, id2));
  ASSERT_TRUE(h.submit(3, {"wait"}, staying, id3));
  ASSERT_TRUE(h.run_until([&] {
    return std::filesystem::exists(dir / "started_1") && std::filesystem::exists(dir / "started_2") &&
           std::filesystem::exists(dir / "started_3");
  }));
  h.scheduler().forget(gone);             // the connection went away: unanswered, cancelled
  h.scheduler().cancel_calls_of(closing); // HAPROXY-DISCONNECT: cancelled, still answered
  ASSERT_TRUE(h.run_until([&] { return closing.answers.size() == 1 && h.scheduler().in_progress() == 1; }));
  EXPECT_EQ(closing.answers[0].vars, (Vars{{"before", 1}})) << "what it set before; the next message does not run";
  EXPECT_TRUE(gone.answers.empty());
  touch(dir / "go_1");
  touch(dir / "go_2");
  touch(dir / "go_3");
  ASSERT_TRUE(h.run_until([&] { return staying.answers.size() == 1; }));
  EXPECT_EQ(staying.answers[0].vars, (Vars{{"before", 1}, {"after", 3}}));
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
  EXPECT_TRUE(gone.answers.empty());
  EXPECT_EQ(closing.answers.size(), 1u);
}

TEST(CallScheduler, TheBudgetEndsAWaitingCallWithWhatItSet) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 1, .max_calls = 1024, .call_budget = 100ms});
  const auto dir = h.script("x", "").parent_path();
  h.install({h.script("a.lua", waiting_lua(dir.string()))});
  RecordingOwner owner;
  const std::vector<spop::Argument> id1{{"", spop::Value::int32(1)}};
  ASSERT_TRUE(h.submit(1, {"wait"}, owner, id1));  // never released
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].vars, (Vars{{"before", 1}}));
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
  ASSERT_TRUE(h.submit(2, {"fast"}, owner));
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 2; }));
  EXPECT_EQ(owner.answers[1].vars, (Vars{{"fast", 7}}));
}

TEST(CallScheduler, WaitingCallsCountAgainstTheLimitOfCallsInProgress) {
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 1, .max_calls = 3, .call_budget = 0ms});
  const auto dir = h.script("x", "").parent_path();
  h.install({h.script("a.lua", waiting_lua(dir.string()))});
  RecordingOwner owner;
  for (std::int32_t id = 1; id <= 3; ++id) {
    const std::vector<spop::Argument> args{{"", spop::Value::int32(id)}};
    ASSERT_TRUE(h.submit(static_cast<std::uint64_t>(id), {"wait"}, owner, args));
  }
  ASSERT_TRUE(h.run_until([&] {
    return std::filesystem::exists(dir / "started_1") && std::filesystem::exists(dir / "started_2") &&
           std::filesystem::exists(dir / "started_3");
  }));
  // Three handlers wait on one thread, holding none of it: they are still calls in progress, so the
  // worker stops reading (--max-calls bounds waiting calls too).
  EXPECT_EQ(h.scheduler().in_progress(), 3u);
  EXPECT_TRUE(h.scheduler().at_limit());
  touch(dir / "go_2");
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 1; }));
  EXPECT_EQ(owner.answers[0].stream, 2u);
  EXPECT_FALSE(h.scheduler().at_limit());
  touch(dir / "go_1");
  touch(dir / "go_3");
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == 3; }));
  EXPECT_TRUE(h.run_until([&] { return h.scheduler().in_progress() == 0; }));
}

TEST(CallScheduler, CallsResumedInOneTurnOfTheirThreadsLoopAreAnsweredInOneBatch) {
  // Handed over together, the calls all start in one drain of the queue (no more than the drain takes
  // before it lets the loop run), their zero-second sleeps have all ended when the loop next looks at
  // its timers, so they resume in one turn; the I/O thread is woken once, at the end of that turn, and
  // gets every ACK in one batch: one owner_flush(), rather than one per call a preempted thread would
  // see on a shared CPU.
  REQUIRE_LANGUAGE(".lua");
  SchedulerHarness h({.threads = 1, .max_calls = 1024, .call_budget = 0ms});
  h.install({h.script("a.lua", "spoa.register_message('nap', function(args)\n"
                               "  spoa.sleep(0)\n"
                               "  spoa.set_var_int32('woke', spoa.scope.txn, 1)\n"
                               "end)\n")});
  RecordingOwner owner;
  constexpr std::uint64_t calls = ExecutorLane::calls_between_polls;
  for (std::uint64_t s = 1; s <= calls; ++s) ASSERT_TRUE(h.submit(s, {"nap"}, owner, {}, false));
  h.scheduler().flush();
  ASSERT_TRUE(h.run_until([&] { return owner.answers.size() == calls; }));
  EXPECT_EQ(owner.flushes, 1);
  for (const Answer& a : owner.answers) EXPECT_EQ(a.vars, (Vars{{"woke", 1}}));
}

}  // namespace scheduler_test
}  // namespace spoa::exec
