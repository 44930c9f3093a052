// Handlers that wait (issue 22): every handler runs as a coroutine; spoa.sleep suspends it on the event
// loop while other calls run; waits pass through the handler's own coroutines; a wait where Lua cannot
// suspend is a clear error; the budget covers the waits; a cancelled call ends at once.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/engines/lua/lua_engine_impl.hpp"
#include "tests/lua/lua_test_support.hpp"
#include "tests/lua/waiting_calls.hpp"

namespace spoa::lua::test {
namespace {

using Kind = CallResult::Kind;
using Vars = std::vector<std::string>;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

LuaEngine& lua_of(Engine& engine) { return dynamic_cast<LuaEngine&>(engine); }

spop::Argument text_argument(std::string_view text) { return {"", spop::Value::string(text)}; }

TEST_F(LuaEngineTest, SleepSuspendsTheHandlerAndResumesItOnTheLoop) {
  auto engine = load_script(R"(
spoa.register_message('m', function(args)
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  spoa.sleep(0.01)
  spoa.set_var_int32('after', spoa.scope.txn, 2)
end)
)");
  WaitingCalls calls(*engine);
  const auto c = calls.start("m");
  EXPECT_TRUE(calls.waiting(c)) << "the handler waits: call() returned pending";
  ASSERT_TRUE(calls.run());
  EXPECT_TRUE(calls.ack(c).result.ok()) << calls.ack(c).result.detail;
  EXPECT_EQ(calls.vars(c), (Vars{"before=1", "after=2"}));
  EXPECT_EQ(lua_of(*engine).tasks_in_progress(), 0u);
  EXPECT_EQ(stack_top(*engine), 0);
  EXPECT_EQ(lua_of(*engine).pooled_stack_tops(), 0);
}

TEST_F(LuaEngineTest, AHandlerThatDoesNotWaitFinishesWithinItsCall) {
  auto engine = load_script("spoa.register_message('m', function(args) spoa.set_var_int32('x', spoa.scope.txn, 1) end)\n");
  WaitingCalls calls(*engine);
  for (int i = 0; i < 10; ++i) {
    const auto c = calls.start("m");
    ASSERT_TRUE(calls.finished(c));
    EXPECT_EQ(calls.vars(c), (Vars{"x=1"}));
  }
  EXPECT_EQ(calls.suspended_count(), 0u);
  EXPECT_EQ(lua_of(*engine).tasks_pooled(), 1u) << "one coroutine, reused by every call";
}

TEST_F(LuaEngineTest, OtherCallsRunWhileOneSleepsAndEachKeepsItsOwnArguments) {
  auto engine = load_script(R"(
spoa.register_message('m', function(args)
  local before = args[1].value
  spoa.sleep(tonumber(args[2].value))
  -- after the wait, args still holds this call's arguments (other calls ran meanwhile)
  spoa.set_var_str('seen', spoa.scope.txn, before .. '/' .. args[1].value)
end)
)");
  WaitingCalls calls(*engine);
  std::vector<std::size_t> started;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "call" + std::to_string(i);
    const std::string delay = i % 2 == 0 ? "0.03" : "0.001";
    const std::vector<spop::Argument> args{text_argument(id), text_argument(delay)};
    started.push_back(calls.start("m", args, static_cast<std::uint64_t>(i)));
  }
  EXPECT_EQ(calls.suspended_count(), 50u);
  ASSERT_TRUE(calls.run());
  for (int i = 0; i < 50; ++i) {
    const std::string id = "call" + std::to_string(i);
    EXPECT_EQ(calls.vars(started[static_cast<std::size_t>(i)]), (Vars{"seen=" + id + "/" + id}));
  }
  EXPECT_EQ(lua_of(*engine).tasks_in_progress(), 0u);
  EXPECT_EQ(lua_of(*engine).tasks_pooled(), 50u) << "a coroutine per call in progress, kept for the next ones";
}

TEST_F(LuaEngineTest, AQuickCallFinishesWhileASlowOneWaits) {
  auto engine = load_script(R"(
spoa.register_message('slow', function(args) spoa.sleep(0.2) spoa.set_var_int32('slow', spoa.scope.txn, 1) end)
spoa.register_message('fast', function(args) spoa.set_var_int32('fast', spoa.scope.txn, 1) end)
)");
  WaitingCalls calls(*engine);
  const auto slow = calls.start("slow");
  const auto fast = calls.start("fast");
  EXPECT_TRUE(calls.finished(fast));
  EXPECT_FALSE(calls.finished(slow));
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.vars(slow), (Vars{"slow=1"}));
}

TEST_F(LuaEngineTest, WaitsPassThroughTheHandlersOwnCoroutines) {
  auto engine = load_script(R"(
spoa.register_message('m', function(args)
  -- resume: ordinary yields reach the script, waits suspend the whole handler
  local co = coroutine.create(function(a)
    local b = coroutine.yield(a + 1)
    spoa.sleep(0.005)
    local inner = coroutine.wrap(function() spoa.sleep(0.005); coroutine.yield('in'); spoa.sleep(0.001); return 'out' end)
    local x, y = inner(), inner()
    return b * 10, x .. y
  end)
  local ok1, v1 = coroutine.resume(co, 1)
  local ok2, v2, v3 = coroutine.resume(co, 4)
  spoa.set_var_str('r', spoa.scope.txn, tostring(ok1) .. v1 .. tostring(ok2) .. v2 .. v3 .. coroutine.status(co))
  -- wrap: errors keep Lua's form
  local failing = coroutine.wrap(function() spoa.sleep(0.001); error('bad') end)
  local ok, err = pcall(failing)
  spoa.set_var_str('e', spoa.scope.txn, tostring(ok) .. ' ' .. err)
  spoa.set_var_boolean('yieldable', spoa.scope.txn, coroutine.isyieldable())
end)
)");
  WaitingCalls calls(*engine);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.run());
  ASSERT_TRUE(calls.ack(c).result.ok()) << calls.ack(c).result.detail;
  const Vars vars = calls.vars(c);
  ASSERT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars[0], "r=true2true40inoutdead");
  EXPECT_TRUE(contains(vars[1], "e=false ")) << vars[1];
  EXPECT_TRUE(contains(vars[1], "main.lua:15: bad")) << vars[1];
  EXPECT_EQ(vars[2], "yieldable=true");
}

TEST_F(LuaEngineTest, AWaitWhereLuaCannotSuspendIsAClearErrorNamingTheFunctionInTheWay) {
  auto engine = load_script(R"(
spoa.register_message('gsub', function(args)
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  string.gsub('abc', '%w', function(c) spoa.sleep(0.001) end)
end)
spoa.register_message('sort', function(args)
  local t = {3, 1, 2}
  table.sort(t, function(a, b) spoa.sleep(0.001) return a < b end)
end)
spoa.register_message('tostring', function(args)
  local o = setmetatable({}, {__tostring = function() spoa.sleep(0.001) return 'o' end})
  return tostring(o)
end)
spoa.register_message('in-coroutine', function(args)
  -- the coroutine itself could wait, but its resumer is inside gsub
  string.gsub('a', 'a', function() coroutine.wrap(function() spoa.sleep(0.001) end)() end)
end)
spoa.register_message('index', function(args)
  -- a metamethod the VM calls can wait
  local o = setmetatable({}, {__index = function(t, k) spoa.sleep(0.001) return k .. '!' end})
  spoa.set_var_str('v', spoa.scope.txn, o.key)
end)
)");
  WaitingCalls calls(*engine);
  const auto gsub = calls.start("gsub");
  const auto sort = calls.start("sort");
  const auto tostr = calls.start("tostring");
  const auto nested = calls.start("in-coroutine");
  const auto index = calls.start("index");
  ASSERT_TRUE(calls.run());
  const struct {
    std::size_t call;
    const char* where;
  } refused[] = {{gsub, "'gsub'"}, {sort, "'sort'"}, {tostr, "'tostring'"}, {nested, "'gsub'"}};
  for (const auto& r : refused) {
    const Ack& ack = calls.ack(r.call);
    EXPECT_EQ(ack.result.kind, Kind::script_error) << ack.result.detail;
    EXPECT_TRUE(contains(ack.result.detail, std::string("spoa.sleep: cannot wait inside ") + r.where)) << ack.result.detail;
    EXPECT_TRUE(contains(ack.result.detail, "Lua cannot suspend a handler across a C function")) << ack.result.detail;
  }
  EXPECT_EQ(calls.vars(gsub), (Vars{"before=1"})) << "what was set before the error stays";
  EXPECT_TRUE(calls.ack(index).result.ok()) << calls.ack(index).result.detail;
  EXPECT_EQ(calls.vars(index), (Vars{"v=key!"}));
}

TEST_F(LuaEngineTest, YieldingFromTheHandlerItselfIsAnError) {
  auto engine = load_script(R"(
spoa.register_message('m', function(args)
  spoa.set_var_int32('x', spoa.scope.txn, 1)
  coroutine.yield(1)
end)
spoa.register_message('ok', function(args) spoa.set_var_int32('ok', spoa.scope.txn, 1) end)
)");
  WaitingCalls calls(*engine);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.finished(c));
  EXPECT_EQ(calls.ack(c).result.kind, Kind::script_error);
  EXPECT_TRUE(contains(calls.ack(c).result.detail, "m: attempt to yield from outside a coroutine")) << calls.ack(c).result.detail;
  EXPECT_EQ(calls.vars(c), (Vars{"x=1"}));
  const auto next = calls.start("ok");
  EXPECT_EQ(calls.vars(next), (Vars{"ok=1"}));
}

TEST_F(LuaEngineTest, SleepIsRefusedWhereNothingCanResumeIt) {
  // At load time.
  auto engine = new_engine();
  const auto path = write_file("load.lua", "spoa.sleep(0.01)\n");
  try {
    engine->load(path);
    FAIL() << "sleeping at load time must fail";
  } catch (const LoadError& e) {
    EXPECT_TRUE(contains(e.what(), "spoa.sleep: can only wait inside a message handler")) << e.what();
  }
  // In a call made without an event loop (Engine::call).
  auto sleeper = load_script("spoa.register_message('m', function(args) spoa.sleep(0.01) end)\n");
  const Ack ack = call(*sleeper, "m");
  EXPECT_EQ(ack.result.kind, Kind::script_error);
  EXPECT_TRUE(contains(ack.result.detail, "spoa.sleep: cannot wait: this call runs without an event loop")) << ack.result.detail;
}

TEST_F(LuaEngineTest, SleepChecksItsArgument) {
  auto engine = load_script(R"(
spoa.register_message('m', function(args)
  local value = args[1].value
  if value == 'text' then spoa.sleep('soon') elseif value == 'none' then spoa.sleep()
  elseif value == 'nan' then spoa.sleep(0/0) else spoa.sleep(tonumber(value)) end
end)
)");
  WaitingCalls calls(*engine);
  const struct {
    const char* argument;
    const char* error;
  } cases[] = {
      {"text", "spoa.sleep: bad argument #1 (number of seconds expected, got string)"},
      {"none", "spoa.sleep: bad argument #1 (number of seconds expected, got no value)"},
      {"-1", "spoa.sleep: bad argument #1 (-1 seconds; expected 0 to 2147483)"},
      {"1e9", "spoa.sleep: bad argument #1 (1000000000.0 seconds; expected 0 to 2147483)"},
      {"nan", "nan seconds; expected 0 to 2147483)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.argument);
    const std::vector<spop::Argument> args{text_argument(c.argument)};
    const auto i = calls.start("m", args);
    ASSERT_TRUE(calls.finished(i));
    EXPECT_EQ(calls.ack(i).result.kind, Kind::script_error);
    EXPECT_TRUE(contains(calls.ack(i).result.detail, c.error)) << calls.ack(i).result.detail;
  }
  const std::vector<spop::Argument> zero{text_argument("0")};
  const auto i = calls.start("m", zero);
  EXPECT_TRUE(calls.waiting(i)) << "spoa.sleep(0) yields to the loop once";
  ASSERT_TRUE(calls.run());
  EXPECT_TRUE(calls.ack(i).result.ok());
}

TEST_F(LuaEngineTest, TheBudgetCoversTheWaitsAndTheCallKeepsWhatItSet) {
  EngineOptions options;
  options.call_budget = milliseconds(100);
  auto engine = load_script(R"(
spoa.register_message('sleeps', function(args)
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  spoa.sleep(30)
  spoa.set_var_int32('after', spoa.scope.txn, 2)
end)
spoa.register_message('sleeps-then-spins', function(args)
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  spoa.sleep(0.05)
  while true do end
end)
spoa.register_message('fine', function(args) spoa.set_var_int32('fine', spoa.scope.txn, 1) end)
)",
                            options);
  WaitingCalls calls(*engine, milliseconds(100));
  const auto started = steady_clock::now();
  const auto sleeps = calls.start("sleeps");
  const auto spins = calls.start("sleeps-then-spins");
  ASSERT_TRUE(calls.run());
  EXPECT_LT(steady_clock::now() - started, milliseconds(5000)) << "hang guard only";
  EXPECT_EQ(calls.ack(sleeps).result.kind, Kind::timeout);
  EXPECT_TRUE(contains(calls.ack(sleeps).result.detail,
                       "sleeps: handler stopped: time budget of 100 ms exceeded while waiting in spoa.sleep"))
      << calls.ack(sleeps).result.detail;
  EXPECT_EQ(calls.vars(sleeps), (Vars{"before=1"}));
  EXPECT_EQ(calls.ack(spins).result.kind, Kind::timeout) << calls.ack(spins).result.detail;
  EXPECT_TRUE(contains(calls.ack(spins).result.detail, "time budget of 100 ms exceeded")) << calls.ack(spins).result.detail;
  EXPECT_EQ(calls.vars(spins), (Vars{"before=1"}));
  const auto fine = calls.start("fine");
  EXPECT_EQ(calls.vars(fine), (Vars{"fine=1"}));
  EXPECT_EQ(lua_of(*engine).tasks_in_progress(), 0u);
}

TEST_F(LuaEngineTest, ACancelledCallEndsAtOnceAndClosesItsVariables) {
  auto engine = load_script(R"(
closed = 0
spoa.register_message('m', function(args)
  local guard <close> = setmetatable({}, {__close = function() closed = closed + 1 end})
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  spoa.sleep(30)
  spoa.set_var_int32('after', spoa.scope.txn, 2)
end)
spoa.register_message('count', function(args) spoa.set_var_int32('closed', spoa.scope.txn, closed) end)
)");
  WaitingCalls calls(*engine);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.waiting(c));
  calls.cancel(c);
  ASSERT_TRUE(calls.finished(c)) << "cancel() ends the call before it returns";
  EXPECT_EQ(calls.ack(c).result.kind, Kind::cancelled);
  EXPECT_TRUE(contains(calls.ack(c).result.detail, "m: cancelled while waiting in spoa.sleep")) << calls.ack(c).result.detail;
  EXPECT_EQ(calls.vars(c), (Vars{"before=1"}));
  const auto count = calls.start("count");
  EXPECT_EQ(calls.vars(count), (Vars{"closed=1"})) << "the to-be-closed variable was closed";
  EXPECT_EQ(lua_of(*engine).tasks_in_progress(), 0u);
}

TEST_F(LuaEngineTest, AnotherCallCannotResumeACoroutineThatWaits) {
  auto engine = load_script(R"(
spoa.register_message('owner', function(args)
  shared = coroutine.create(function() spoa.sleep(0.05) return 'done' end)
  local ok, v = coroutine.resume(shared)
  spoa.set_var_str('owner', spoa.scope.txn, tostring(ok) .. ' ' .. tostring(v))
end)
spoa.register_message('intruder', function(args)
  local ok, err = coroutine.resume(shared)
  spoa.set_var_str('intruder', spoa.scope.txn, tostring(ok) .. ' ' .. tostring(err))
end)
)");
  WaitingCalls calls(*engine);
  const auto owner = calls.start("owner");
  const auto intruder = calls.start("intruder");
  ASSERT_TRUE(calls.run());
  const Vars seen = calls.vars(intruder);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(contains(seen[0], "intruder=false ")) << seen[0];
  EXPECT_TRUE(contains(seen[0], "spoa.sleep: this coroutine was resumed while it waits")) << seen[0];
  EXPECT_TRUE(calls.ack(owner).result.ok()) << calls.ack(owner).result.detail;
  EXPECT_EQ(calls.vars(owner), (Vars{"owner=false cannot resume dead coroutine"}));
}

TEST_F(LuaEngineTest, AnErrorAfterAWaitHasItsTracebackAndKeepsEarlierActions) {
  auto engine = load_script(R"(
spoa.register_message('m', function(args)
  spoa.set_var_int32('before', spoa.scope.txn, 1)
  spoa.sleep(0.001)
  error('boom')
end)
)");
  WaitingCalls calls(*engine);
  const auto c = calls.start("m");
  ASSERT_TRUE(calls.run());
  EXPECT_EQ(calls.ack(c).result.kind, Kind::script_error);
  EXPECT_TRUE(contains(calls.ack(c).result.detail, "main.lua:5: boom\nstack traceback:")) << calls.ack(c).result.detail;
  EXPECT_EQ(calls.vars(c), (Vars{"before=1"}));
}

}  // namespace
}  // namespace spoa::lua::test
