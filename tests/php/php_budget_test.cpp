// EngineOptions::call_budget: busy loops and blocking sleeps are stopped, reported as CallResult::timeout,
// and the engine keeps serving. EngineOptions::memory_limit: PHP's memory_limit, reported as out_of_memory.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/php/php_test_support.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto budget = 200ms;

const char* const budget_script = R"PHP(
spoa\register_message('spin', function ($args) {
    spoa\set_var_int32('before', spoa\SCOPE_TXN, 1);
    while (true) {}
});
spoa\register_message('sleep', function ($args) {
    sleep(60);
    spoa\set_var_int32('woke', spoa\SCOPE_TXN, 1);
});
spoa\register_message('usleep_loop', function ($args) {
    for ($i = 0; $i < 600; $i++) usleep(100000);
});
spoa\register_message('swallow', function ($args) {
    while (true) {
        try {
            sleep(60);
        } catch (\Throwable $e) {
        } finally {
            spoa\set_var_int32('finally', spoa\SCOPE_TXN, 1);
        }
    }
});
spoa\register_message('recursion', function ($args) {
    $f = function ($n) use (&$f) { return $n <= 0 ? 0 : 1 + $f($n - 1); };
    while (true) $f(50);
});
spoa\register_message('quick', fn ($args) => spoa\set_var_int32('quick', spoa\SCOPE_TXN, 7));
spoa\register_message('brief', function ($args) {
    usleep(50000);
    spoa\set_var_int32('brief', spoa\SCOPE_TXN, 1);
});
spoa\register_message('short_sleep', function ($args) {
    usleep(300000);
    spoa\set_var_int32('slept', spoa\SCOPE_TXN, 1);
});
)PHP";

class PhpBudgetTest : public PhpEngineTest {
 protected:
  void SetUp() override {
    PhpEngineTest::SetUp();
    options().call_budget = budget;
    load_script(std::string(prelude) + budget_script);
  }

  /// Calls `message` and checks that it was stopped as a timeout, not by its own end (60 s away).
  Outcome expect_stopped(const char* message) {
    const auto start = Clock::now();
    Outcome out = call(message);
    const auto took = Clock::now() - start;
    EXPECT_EQ(out.result.kind, CallResult::Kind::timeout) << message << ": " << out.result.detail;
    EXPECT_GE(took, budget) << message << " stopped before its budget";
    EXPECT_LT(took, 30s) << message << " was not interrupted";
    return out;
  }

  void expect_quick_call_works() {
    const auto out = call("quick");
    EXPECT_TRUE(out.result.ok()) << out.result.detail;
    EXPECT_EQ(out.ack, ack_with("01 03 02 05 717569636b 02 07"));
  }
};

TEST_F(PhpBudgetTest, ABusyLoopIsStoppedAndKeepsEarlierVariables) {
  const auto out = expect_stopped("spin");
  EXPECT_TRUE(contains(out.result.detail, "message 'spin' (stream 1, frame 1): stopped after its time budget of "
                                          "200 ms in {closure}() at " + (dir() / "script.php").string()))
      << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 06 6265666f7265 02 01"));
  expect_quick_call_works();
}

TEST_F(PhpBudgetTest, BlockingSleepsAreInterrupted) {
  expect_stopped("sleep");
  expect_stopped("usleep_loop");
  expect_quick_call_works();
}

TEST_F(PhpBudgetTest, CatchThrowableAndFinallyCannotSwallowTheInterruption) {
  const auto out = expect_stopped("swallow");
  EXPECT_EQ(out.actions, 0u) << "finally blocks do not run while the budget unwinds the handler";
  expect_quick_call_works();
}

TEST_F(PhpBudgetTest, DeepCallsAreStoppedToo) {
  expect_stopped("recursion");
  expect_quick_call_works();
}

TEST_F(PhpBudgetTest, RepeatedTimeoutsAndManyQuickCallsAfterwards) {
  expect_stopped("spin");
  expect_stopped("sleep");
  // A late interruption of the stopped calls must not hit these.
  for (int i = 0; i < 300; ++i) {
    const auto out = call("quick");
    ASSERT_TRUE(out.result.ok()) << "call " << i << ": " << out.result.detail;
  }
}

TEST_F(PhpBudgetTest, ACallWithinItsBudgetIsNotDisturbed) {
  const auto out = call("brief");  // sleeps 50 ms of its 200
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 6272696566 02 01"));
}

TEST_F(PhpEngineTest, AZeroBudgetMeansUnlimited) {
  options().call_budget = 0ms;
  load_script(std::string(prelude) + budget_script);
  const auto out = call("short_sleep");  // 300 ms
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 736c657074 02 01"));
}

/// PHP's memory_limit lives in its own allocator (Zend MM); USE_ZEND_ALLOC=0 (used under AddressSanitizer)
/// replaces it with malloc, which has no limit.
bool zend_allocator_in_use() {
  const char* use = std::getenv("USE_ZEND_ALLOC");
  return use == nullptr || std::strcmp(use, "0") != 0;
}

TEST_F(PhpEngineTest, TheMemoryLimitStopsAHandlerAndTheNextCallWorks) {
  if (!zend_allocator_in_use()) GTEST_SKIP() << "USE_ZEND_ALLOC=0: PHP's memory_limit is not enforced";
  options().memory_limit = 16u << 20;
  load_script(std::string(prelude) + R"PHP(
check(ini_get('memory_limit') === '16777216', 'memory_limit is ' . ini_get('memory_limit'));
check(ini_set('memory_limit', '-1') === false, 'a script cannot lift the limit');
spoa\register_message('hog', function ($args) {
    spoa\set_var_int32('before', spoa\SCOPE_TXN, 1);
    $keep = [];
    while (true) $keep[] = str_repeat('x', 1 << 20);
});
spoa\register_message('quick', fn ($args) => spoa\set_var_int32('quick', spoa\SCOPE_TXN, 7));
)PHP");
  const auto out = call("hog");
  EXPECT_EQ(out.result.kind, CallResult::Kind::out_of_memory) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "Allowed memory size of 16777216 bytes exhausted")) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 06 6265666f7265 02 01"));
  const auto after = call("quick");
  EXPECT_TRUE(after.result.ok()) << after.result.detail;
}

TEST_F(PhpEngineTest, AMemoryLimitBelowWhatPhpNeedsIsALoadError) {
  if (!zend_allocator_in_use()) GTEST_SKIP() << "USE_ZEND_ALLOC=0: PHP's memory_limit is not enforced";
  options().memory_limit = 1024;
  const std::string error = load_error("<?php\n");
  EXPECT_TRUE(contains(error, "memory_limit of 1024 bytes refused: PHP already uses")) << error;
}

}  // namespace
}  // namespace spoa::test
