// EngineOptions::call_budget: busy loops are stopped soon after the budget, a blocking sleep is reported
// as a timeout when it returns, and the engine keeps serving. Plain handlers run here on the test
// thread, which (like the worker's executor threads) is not the interpreter's own thread: blocking C
// calls are not interrupted there (python_async_budget_test.cpp covers the event loop's thread, where
// they are).
#include <chrono>
#include <string>

#include "spop/ack_builder.hpp"
#include "tests/python/python_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto budget = 200ms;
// "A small multiple of the budget", with room for a loaded 2-core CI machine and sanitizers.
constexpr auto stop_limit = 1500ms;

const char* const budget_script = R"PY(
import time
def spin(args):
    spoa.set_var_int32('before', spoa.scope_txn, 1)
    while True:
        pass
def sleep(args):
    spoa.set_var_int32('before', spoa.scope_txn, 2)
    time.sleep(0.5)
def swallow_exception(args):
    while True:
        try:
            while True:
                pass
        except Exception:      # TimeBudgetExceeded is a BaseException: not caught here
            pass
def swallow_once(args):
    try:
        while True:
            pass
    except BaseException:      # defeats the interruption once; the call still counts as a timeout
        pass
def quick(args):
    spoa.set_var_int32('quick', spoa.scope_txn, 7)
def brief(args):
    time.sleep(0.05)
    spoa.set_var_int32('brief', spoa.scope_txn, 1)
def short_sleep(args):
    time.sleep(0.3)
    spoa.set_var_int32('slept', spoa.scope_txn, 1)
for name, fn in list(globals().items()):
    if callable(fn) and getattr(fn, '__module__', None) == '__main__' and name != 'raises':
        spoa.register_message(name, fn)
)PY";

class BudgetTest : public PythonEngineTest {
 protected:
  void SetUp() override {
    PythonEngineTest::SetUp();
    options().call_budget = budget;
    load_script(std::string(prelude) + budget_script);
  }

  /// Calls `message` and checks that it was stopped as a timeout within stop_limit.
  Outcome expect_stopped(const char* message) {
    const auto start = Clock::now();
    Outcome out = call(message);
    const auto took = Clock::now() - start;
    EXPECT_EQ(out.result.kind, CallResult::Kind::timeout) << message << ": " << out.result.detail;
    EXPECT_GE(took, budget) << message << " stopped before its budget";
    EXPECT_LT(took, stop_limit) << message << " took "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    return out;
  }

  void expect_quick_call_works() {
    const auto out = call("quick");
    EXPECT_TRUE(out.result.ok()) << out.result.detail;
    EXPECT_EQ(out.ack, ack_with("01 03 02 05 717569636b 02 07"));
  }
};

TEST_F(BudgetTest, ABusyLoopIsStoppedAndKeepsEarlierVariables) {
  const auto out = expect_stopped("spin");
  EXPECT_NE(out.result.detail.find("message 'spin'"), std::string::npos) << out.result.detail;
  EXPECT_NE(out.result.detail.find("200 ms"), std::string::npos) << out.result.detail;
  EXPECT_NE(out.result.detail.find("in spin"), std::string::npos) << "the traceback shows where it was stopped";
  EXPECT_EQ(out.ack, ack_with("01 03 02 06 6265666f7265 02 01"));
  expect_quick_call_works();
}

TEST_F(BudgetTest, ABlockingSleepIsReportedAsATimeoutWhenItReturns) {
  const auto start = Clock::now();
  const auto out = call("sleep");
  EXPECT_GE(Clock::now() - start, 500ms) << "C code is not interrupted on this thread";
  EXPECT_EQ(out.result.kind, CallResult::Kind::timeout) << out.result.detail;
  EXPECT_NE(out.result.detail.find("time budget of 200 ms"), std::string::npos) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 06 6265666f7265 02 02"));
  expect_quick_call_works();
}

TEST_F(BudgetTest, ExceptExceptionCannotSwallowTheInterruption) {
  expect_stopped("swallow_exception");
  expect_quick_call_works();
}

TEST_F(BudgetTest, AHandlerThatCatchesBaseExceptionStillCountsAsATimeout) {
  expect_stopped("swallow_once");
  expect_quick_call_works();
}

TEST_F(BudgetTest, RepeatedTimeoutsAndManyQuickCallsAfterwards) {
  expect_stopped("spin");
  expect_stopped("swallow_exception");
  (void)call("sleep");
  // A late signal of the stopped calls must not hit these.
  for (int i = 0; i < 300; ++i) {
    const auto out = call("quick");
    ASSERT_TRUE(out.result.ok()) << "call " << i << ": " << out.result.detail;
  }
}

TEST_F(BudgetTest, ACallWithinItsBudgetIsNotDisturbed) {
  const auto out = call("brief");  // sleeps 50 ms of its 200
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 6272696566 02 01"));
}

TEST_F(PythonEngineTest, AZeroBudgetMeansUnlimited) {
  options().call_budget = 0ms;
  load_script(std::string(prelude) + budget_script);
  const auto out = call("short_sleep");  // 300 ms
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 736c657074 02 01"));
}

TEST_F(PythonEngineTest, EnginesWithDifferentBudgetsInOneProcessEachGetTheirOwn) {
  // A long-budget engine runs first: the watchdog then sleeps towards its far deadline and must be woken
  // for the short one.
  options().call_budget = 30000ms;
  load_script(std::string(prelude) + budget_script);
  ASSERT_TRUE(call("quick").result.ok());

  EngineOptions short_options;
  short_options.call_budget = budget;
  auto short_engine = make_python_engine(short_options);
  short_engine->load(write("short.py", std::string(prelude) + budget_script));
  std::vector<std::byte> frame;
  spop::AckBuilder builder(frame, 1, 1, 16380);
  const auto start = Clock::now();
  const CallResult result = short_engine->call(CallInfo{"spin", 1, 1}, {}, builder);
  const auto took = Clock::now() - start;
  EXPECT_EQ(result.kind, CallResult::Kind::timeout) << result.detail;
  EXPECT_LT(took, stop_limit);

  const auto out = call("short_sleep");  // 300 ms: fine under the 30 s budget
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
}

}  // namespace
}  // namespace spoa::test
