// A handler that raises: one CallResult with the message name, the exception and the traceback; nothing
// printed to stderr; the ACK keeps what was set before; later calls work. Also script output and spoa.log.
#include <string>

#include "tests/python/python_test_support.hpp"

namespace spoa::test {
namespace {


TEST_F(PythonEngineTest, AnExceptionIsReportedWithItsTracebackAndIsolatedFromLaterCalls) {
  load_script(R"PY(import spoa
def divide(x):
    return x / 0
def boom(args):
    spoa.set_var_int32('before', spoa.scope_txn, 1)
    divide(1)
    spoa.set_var_int32('after', spoa.scope_txn, 2)
def fine(args):
    spoa.set_var_int32('ok', spoa.scope_txn, 3)
spoa.register_message('boom', boom)
spoa.register_message('fine', fine)
)PY");
  const std::string script = (dir() / "script.py").string();
  ::testing::internal::CaptureStderr();
  const auto failed = call("boom");
  const auto later = call("fine");
  const auto again = call("boom");
  const std::string stderr_text = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  const std::string& detail = failed.result.detail;
  EXPECT_TRUE(contains(detail, "message 'boom'")) << detail;
  EXPECT_TRUE(contains(detail, "ZeroDivisionError: division by zero")) << detail;
  EXPECT_TRUE(contains(detail, "Traceback (most recent call last)")) << detail;
  EXPECT_TRUE(contains(detail, "File \"" + script + "\", line 6, in boom")) << detail;  // divide(1)
  EXPECT_TRUE(contains(detail, "line 3, in divide")) << detail;  // x / 0
  EXPECT_EQ(failed.ack, ack_with("01 03 02 06 6265666f7265 02 01")) << "keeps the variable set before";

  EXPECT_TRUE(later.result.ok()) << later.result.detail;
  EXPECT_EQ(later.ack, ack_with("01 03 02 02 6f6b 02 03"));
  EXPECT_EQ(again.result.kind, CallResult::Kind::script_error);
  EXPECT_EQ(again.ack, failed.ack);
  EXPECT_EQ(stderr_text, "") << "tracebacks go to CallResult, never raw to stderr";
}

TEST_F(PythonEngineTest, ChainedExceptionsAndSystemExitAreScriptErrors) {
  load_script(std::string(prelude) + R"PY(
import sys
def chained(args):
    try:
        {}['missing']
    except KeyError as e:
        raise RuntimeError('lookup failed') from e
def leave(args):
    sys.exit(3)
spoa.register_message('chained', chained)
spoa.register_message('exit', leave)
)PY");
  const auto chained = call("chained");
  EXPECT_EQ(chained.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(chained.result.detail, "KeyError: 'missing'")) << chained.result.detail;
  EXPECT_TRUE(contains(chained.result.detail, "RuntimeError: lookup failed")) << chained.result.detail;
  const auto exited = call("exit");
  EXPECT_EQ(exited.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(exited.result.detail, "SystemExit: 3")) << exited.result.detail;
}

TEST_F(PythonEngineTest, AnUnknownMessageIsAScriptErrorNotACrash) {
  load_script(std::string(prelude) + "spoa.register_message('known', lambda args: None)\n");
  const auto out = call("unknown");
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "unknown")) << out.result.detail;
  EXPECT_EQ(out.actions, 0u);
}

TEST_F(PythonEngineTest, PrintGoesToStandardOutput) {
  load_script(std::string(prelude) + R"PY(
import pprint
def handler(args):
    print('hello from python')
    pprint.pprint(args)
spoa.register_message('m', handler)
)PY");
  ::testing::internal::CaptureStdout();
  const auto out = call("m", {{"", spop::Value::int32(1234)}});
  const std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_TRUE(contains(printed, "hello from python\n")) << printed;
  EXPECT_TRUE(contains(printed, "[{'name': '', 'value': 1234}]")) << printed;
}

TEST_F(PythonEngineTest, SpoaLogSendsRecordsToTheEngineLogWithContext) {
  load_script(std::string(prelude) + R"PY(
spoa.log(spoa.log_info, 'loading')
def handler(args):
    spoa.log(spoa.log_warning, 'careful')
    spoa.log('error', 42)
spoa.register_message('m', handler)
)PY");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  const std::string script = (dir() / "script.py").string();
  std::vector<std::pair<LogLevel, std::string>> records;
  for (const auto& record : logs()) {
    // The process's start-up remarks (first engine only) are not the script's records.
    if (!contains(record.second, "VIRTUAL_ENV") && !contains(record.second, "python: async def handlers run on"))
      records.push_back(record);
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].first, LogLevel::info);
  EXPECT_EQ(records[0].second, script + ": loading");
  EXPECT_EQ(records[1].first, LogLevel::warning);
  EXPECT_EQ(records[1].second, "message 'm' (stream 1, frame 1): careful");
  EXPECT_EQ(records[2].first, LogLevel::error);
  EXPECT_EQ(records[2].second, "message 'm' (stream 1, frame 1): 42");
}

}  // namespace
}  // namespace spoa::test
