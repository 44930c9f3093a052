// A handler that throws or dies: one CallResult with the message name, the ids and PHP's trace; the ACK keeps
// what was set before; later calls work. Also fatal errors, exit(), PHP warnings, spoa\log and script output.
#include <csignal>
#include <string>
#include <vector>

#include "tests/php/php_test_support.hpp"

namespace spoa::test {
namespace {

TEST_F(PhpEngineTest, AnExceptionIsReportedWithItsTraceAndIsolatedFromLaterCalls) {
  load_script(R"PHP(<?php
function divide($x) {
    return intdiv($x, 0);
}
spoa\register_message('boom', function ($args) {
    spoa\set_var_int32('before', spoa\SCOPE_TXN, 1);
    divide(1);
    spoa\set_var_int32('after', spoa\SCOPE_TXN, 2);
});
spoa\register_message('fine', fn ($args) => spoa\set_var_int32('ok', spoa\SCOPE_TXN, 3));
)PHP");
  const std::string script = (dir() / "script.php").string();
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  const auto failed = call("boom");
  const auto later = call("fine");
  const auto again = call("boom");
  const std::string stdout_text = ::testing::internal::GetCapturedStdout();
  const std::string stderr_text = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  const std::string& detail = failed.result.detail;
  EXPECT_TRUE(contains(detail, "message 'boom' (stream 1, frame 1): DivisionByZeroError: Division by zero in " +
                                   script + ":3")) << detail;
  EXPECT_TRUE(contains(detail, "Stack trace:\n#0 " + script + "(3): intdiv()")) << detail;
  EXPECT_TRUE(contains(detail, "#1 " + script + "(7): divide()")) << detail;
  EXPECT_EQ(failed.ack, ack_with("01 03 02 06 6265666f7265 02 01")) << "keeps the variable set before";

  EXPECT_TRUE(later.result.ok()) << later.result.detail;
  EXPECT_EQ(later.ack, ack_with("01 03 02 02 6f6b 02 03"));
  EXPECT_EQ(again.result.kind, CallResult::Kind::script_error);
  EXPECT_EQ(again.ack, failed.ack);
  EXPECT_EQ(stdout_text + stderr_text, "") << "errors go to CallResult, never raw to stdout or stderr";
}

TEST_F(PhpEngineTest, ChainedExceptionsShowEveryLink) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('chained', function ($args) {
    try {
        throw new InvalidArgumentException('inner');
    } catch (Exception $e) {
        throw new RuntimeException('outer', 0, $e);
    }
});
)PHP");
  const auto out = call("chained");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "InvalidArgumentException: inner")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "Next RuntimeException: outer")) << out.result.detail;
}

TEST_F(PhpEngineTest, AFatalErrorEndsTheCallRestartsTheRequestAndTheWorkerGoesOn) {
  const std::string text = std::string(prelude) + R"PHP(
$counter = 0;
spoa\register_message('count', function ($args) use (&$counter) {
    $counter++;
    spoa\set_var_int32('n', spoa\SCOPE_TXN, $counter);
});
spoa\register_message('fatal', function ($args) {
    spoa\set_var_int32('before', spoa\SCOPE_TXN, 1);
    trigger_error('cannot go on', E_USER_ERROR);
});
)PHP";
  load_script(text);
  ASSERT_TRUE(call("count").result.ok());
  ASSERT_TRUE(call("count").result.ok());
  ::testing::internal::CaptureStderr();
  const auto fatal = call("fatal");
  const std::string stderr_text = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(fatal.result.kind, CallResult::Kind::script_error);
  const std::string script = (dir() / "script.php").string();
  const std::string line = std::to_string(line_of(text, "trigger_error"));
  EXPECT_TRUE(contains(fatal.result.detail, "message 'fatal' (stream 1, frame 1): " + script + ":" + line +
                                                ": PHP Fatal error:  cannot go on")) << fatal.result.detail;
  EXPECT_TRUE(contains(fatal.result.detail, "request was restarted")) << fatal.result.detail;
  EXPECT_EQ(fatal.ack, ack_with("01 03 02 06 6265666f7265 02 01")) << "keeps the variable set before";
  EXPECT_EQ(stderr_text, "");
  EXPECT_FALSE(logged(LogLevel::error, {"cannot go on"})) << "one record: the CallResult, not a log line too";

  // The scripts ran again in a new request: the handler works, its global counted from zero again.
  const auto after = call("count");
  ASSERT_TRUE(after.result.ok()) << after.result.detail;
  EXPECT_EQ(after.ack, ack_with("01 03 02 01 6e 02 01"));
  EXPECT_EQ(engine().registrations().size(), 2u);
}

TEST_F(PhpEngineTest, ExitInAHandlerIsAScriptError) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('leave', function ($args) {
    spoa\set_var_int32('before', spoa\SCOPE_TXN, 1);
    exit(3);
});
spoa\register_message('fine', fn ($args) => spoa\set_var_int32('ok', spoa\SCOPE_TXN, 3));
)PHP");
  const auto out = call("leave");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "the handler called exit()")) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 06 6265666f7265 02 01"));
  EXPECT_TRUE(call("fine").result.ok());
}

TEST_F(PhpEngineTest, AnUnknownMessageIsAScriptErrorNotACrash) {
  load_script(std::string(prelude) + "spoa\\register_message('known', fn ($args) => null);\n");
  const auto out = call("unknown");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "message 'unknown'")) << out.result.detail;
  EXPECT_EQ(out.actions, 0u);
}

TEST_F(PhpEngineTest, WarningsAreLoggedWithTheCallAndTheCallGoesOn) {
  const std::string text = std::string(prelude) + R"PHP(
spoa\register_message('m', function ($args) {
    $x = $undefined_variable ?? null;
    echo $really_undefined;
    spoa\set_var_int32('ok', spoa\SCOPE_TXN, 1);
});
)PHP";
  load_script(text);
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 02 6f6b 02 01"));
  EXPECT_TRUE(logged(LogLevel::warning, {"message 'm' (stream 1, frame 1): PHP Warning:  Undefined variable "
                                         "$really_undefined in", "script.php on line " + std::to_string(line_of(text, "echo $really"))}));
}

TEST_F(PhpEngineTest, EchoGoesToStandardOutput) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function ($args) {
    echo "hello from php\n";
    print_r($args);
});
)PHP");
  ::testing::internal::CaptureStdout();
  const auto out = call("m", {{"", spop::Value::int32(1234)}});
  const std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_TRUE(contains(printed, "hello from php\n")) << printed;
  EXPECT_TRUE(contains(printed, "[value] => 1234")) << printed;
}

TEST_F(PhpEngineTest, SpoaLogSendsRecordsToTheEngineLogWithContext) {
  load_script(std::string(prelude) + R"PHP(
spoa\log(spoa\LOG_INFO, 'loading');
spoa\register_message('m', function ($args) {
    spoa\log(spoa\LOG_WARNING, 'careful');
    spoa\log('error', 42);
    error_log('through error_log');
});
)PHP");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  const std::string script = (dir() / "script.php").string();
  ASSERT_EQ(logs().size(), 4u);
  EXPECT_EQ(logs()[0].first, LogLevel::info);
  EXPECT_EQ(logs()[0].second, script + ": loading");
  EXPECT_EQ(logs()[1].first, LogLevel::warning);
  EXPECT_EQ(logs()[1].second, "message 'm' (stream 1, frame 1): careful");
  EXPECT_EQ(logs()[2].first, LogLevel::error);
  EXPECT_EQ(logs()[2].second, "message 'm' (stream 1, frame 1): 42");
  EXPECT_EQ(logs()[3].second, "message 'm' (stream 1, frame 1): through error_log");
}

}  // namespace
}  // namespace spoa::test

namespace spoa::test {
namespace {

/// The handler of every signal the agent or PHP's signal layer would care about. (SIGPROF is left out: PHP's
/// max_execution_time installs a handler for it at each request start, but with max_execution_time=0 it never
/// starts the timer that would send it.)
std::vector<void*> signal_handlers() {
  std::vector<void*> out;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD}) {
    struct sigaction current {};
    sigaction(sig, nullptr, &current);
    out.push_back(reinterpret_cast<void*>(current.sa_handler));
  }
  return out;
}

TEST_F(PhpEngineTest, PhpLeavesTheProcessSignalHandlersAlone) {
  const auto before = signal_handlers();
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('fatal', fn ($args) => trigger_error('x', E_USER_ERROR));
spoa\register_message('fine', fn ($args) => null);
)PHP");
  EXPECT_EQ(call("fatal").result.kind, CallResult::Kind::script_error);  // restarts the PHP request
  EXPECT_TRUE(call("fine").result.ok());
  EXPECT_EQ(signal_handlers(), before);
}

}  // namespace
}  // namespace spoa::test
