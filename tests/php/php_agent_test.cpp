// PHP through the real spoa binary: handlers' actions reach the ACK; exceptions, fatal errors and runaway
// handlers are logged once and answered while the same worker keeps serving; broken scripts stop start-up.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "spop/ack_reader.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

std::filesystem::path write_script(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

/// Sends one NOTIFY and returns the ACK's actions (fails the test if no ACK comes).
spop::AckContents ask(TestClient& c, std::uint64_t sid, std::uint64_t fid, std::string_view message,
                      std::vector<std::byte>& keep) {
  spop::AckContents contents;
  EXPECT_TRUE(c.notify(sid, fid, message));
  auto ack = c.read_frame();
  EXPECT_TRUE(ack.has_value()) << message;
  if (!ack) return contents;
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);
  EXPECT_EQ(ack->header.stream_id, sid);
  keep = std::move(ack->payload);
  spop::read_ack_actions(keep, contents);
  return contents;
}

class PhpAgent : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(PhpAgent, HandlersAnswerAndFailuresAreIsolatedInTheSameWorker) {
  auto script = write_script(dir_, "score.php", R"PHP(<?php
spoa\register_message('check-client-ip', function (array $args): void {
    spoa\set_var_int32('ip_score', spoa\SCOPE_SESS, 42);
});
spoa\register_message('boom', function (array $args): void {
    spoa\set_var_int32('before', spoa\SCOPE_TXN, 1);
    throw new RuntimeException('kaboom');
});
spoa\register_message('spin', function (array $args): void {
    while (true) {}
});
spoa\register_message('fatal', function (array $args): void {
    trigger_error('fatal here', E_USER_ERROR);
});
)PHP");
  AgentProcess agent({"-n", "1", "--call-budget", "200ms", "-f", script.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto workers = agent.workers();
  ASSERT_EQ(workers.size(), 1u);
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  std::vector<std::byte> keep;

  auto contents = ask(c, 11, 1, "check-client-ip", keep);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].scope, spop::Scope::sess);
  EXPECT_EQ(contents.actions[0].name, "ip_score");
  EXPECT_EQ(contents.actions[0].value.as_int64(), 42);

  contents = ask(c, 13, 7, "boom", keep);
  ASSERT_EQ(contents.actions.size(), 1u) << "the variable set before the exception stays";
  EXPECT_EQ(contents.actions[0].name, "before");
  EXPECT_TRUE(agent.wait_log("kaboom")) << agent.log();
  EXPECT_NE(agent.log().find("s13/f7 boom: script error: message 'boom' (stream 13, frame 7): RuntimeException: kaboom in"),
            std::string::npos) << agent.log();

  contents = ask(c, 15, 1, "spin", keep);
  EXPECT_TRUE(contents.actions.empty());
  EXPECT_TRUE(agent.wait_log("stopped after its time budget of 200 ms")) << agent.log();

  contents = ask(c, 17, 1, "fatal", keep);
  EXPECT_TRUE(contents.actions.empty());
  EXPECT_TRUE(agent.wait_log("PHP Fatal error:  fatal here")) << agent.log();

  contents = ask(c, 19, 1, "check-client-ip", keep);
  ASSERT_EQ(contents.actions.size(), 1u) << "the worker still serves after all of that";
  EXPECT_EQ(agent.workers(), workers) << "no worker was restarted";
  EXPECT_EQ(count(agent.log(), "kaboom"), 1u) << "one record per failure:\n" << agent.log();
  EXPECT_EQ(count(agent.log(), "fatal here"), 1u) << "one record per failure:\n" << agent.log();
}

TEST_F(PhpAgent, TheStandardExampleSetsElevenVariablesInTwoWorkers) {
  const auto example = std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "ps_php.php";
  AgentProcess agent({"-n", "2", "-f", example.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  EXPECT_EQ(agent.workers().size(), 2u);
  for (int i = 0; i < 4; ++i) {  // several connections: the kernel spreads them over the workers
    TestClient c(agent.port());
    ASSERT_TRUE(c.hello());
    std::vector<std::byte> keep;
    const auto contents = ask(c, 1, 1, "check-client-ip", keep);
    ASSERT_EQ(contents.actions.size(), 11u);
    EXPECT_EQ(contents.actions[10].name, "ip_score");
    EXPECT_GE(contents.actions[10].value.as_int64(), 1);
    EXPECT_LE(contents.actions[10].value.as_int64(), 100);
  }
}

TEST_F(PhpAgent, ASyntaxErrorStopsStartupOnceWithTheFileAndLine) {
  auto script = write_script(dir_, "broken.php", "<?php\nspoa\\register_message('m',\n  this is not php\n");
  auto r = run_spoa({"-n", "5", "-p", "0", "--address", "127.0.0.1", "--log-level", "debug", "-f", script.string()});
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_EQ(count(r.err, "broken.php:3: ParseError: syntax error"), 1u) << "the error is logged once:\n" << r.err;
  EXPECT_EQ(r.err.find("worker 1 started"), std::string::npos) << "no fork cascade:\n" << r.err;
}

TEST_F(PhpAgent, DuplicateMessageAcrossEnginesNamesBothFiles) {
  auto lua = write_script(dir_, "first.lua", "spoa.register_message('dup', function(args) end)\n");
  auto php = write_script(dir_, "second.php", "<?php\nspoa\\register_message('dup', fn ($args) => null);\n");
  auto r = run_spoa({"-n", "1", "-p", "0", "--address", "127.0.0.1", "-f", lua.string(), "-f", php.string()});
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_NE(r.err.find("first.lua"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("second.php"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'dup'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spoa::test
