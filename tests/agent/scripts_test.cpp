// The agent with scripts: handlers' actions reach the ACK, script errors are logged and answered,
// and start-up stops with one message for a broken script or a duplicate message name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "agent/engines/engine.hpp"
#include "spop/ack_reader.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

bool engine_built(const std::string& suffix) {
  auto known = known_script_suffixes();
  return std::find(known.begin(), known.end(), suffix) != known.end();
}

#define REQUIRE_ENGINE(suffix)                                                                  \
  if (!engine_built(suffix)) GTEST_SKIP() << "spoa was built without the engine for " suffix

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

class Scripts : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(Scripts, LuaHandlerActionsReachTheAck) {
  REQUIRE_ENGINE(".lua");
  auto script = write_script(dir_, "score.lua", R"(
spoa.register_message("check-client-ip", function(args)
  spoa.set_var_int32("ip_score", spoa.scope.sess, 42)
end)
spoa.register_message("boom", function(args) error("kaboom") end)
)");
  AgentProcess agent({"-n", "1", "-f", script.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(11, 1, "check-client-ip"));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->header.type, spop::FrameType::ack);
  spop::AckContents contents;
  spop::read_ack_actions(ack->payload, contents);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].scope, spop::Scope::sess);
  EXPECT_EQ(contents.actions[0].name, "ip_score");
  EXPECT_EQ(contents.actions[0].value.as_int64(), 42);

  // A failing handler still gets its (empty) ACK, and the error names the message and the ids.
  ASSERT_TRUE(c.notify(13, 7, "boom"));
  auto failed = c.read_frame();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->header.type, spop::FrameType::ack);
  EXPECT_EQ(failed->header.stream_id, 13u);
  EXPECT_TRUE(agent.wait_log("kaboom")) << agent.log();
  auto log = agent.log();
  EXPECT_NE(log.find("s13/f7 boom: script error"), std::string::npos) << log;

  // Messages nobody registered get an empty contribution.
  ASSERT_TRUE(c.notify(15, 1, "nobody-handles-this"));
  auto empty = c.read_frame();
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->payload.empty());
}

// HAProxy 3.1+ never reads a frame of exactly its max-frame-size (docs/haproxy.md): a handler that fills
// its ACK gets one byte less than the negotiated size, and a setter that would take the last byte fails.
TEST_F(Scripts, TheLargestAckIsOneByteBelowTheNegotiatedFrameSize) {
  REQUIRE_ENGINE(".lua");
  auto script = write_script(dir_, "fill.lua", R"(
spoa.register_message("check-client-ip", function(args)
  for n = 1024, 0, -1 do
    if pcall(spoa.set_var_str, "big", spoa.scope.txn, string.rep("x", n)) then return end
  end
end)
)");
  AgentProcess agent({"-n", "1", "-f", script.string(), "--max-frame-size", "1024"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(1, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->header.type, spop::FrameType::ack);
  // The frame's LEN: type (1), flags (4), stream-id and frame-id (1 byte each below 240), payload.
  EXPECT_EQ(1 + 4 + 1 + 1 + ack->payload.size(), 1023u);
  spop::AckContents contents;
  spop::read_ack_actions(ack->payload, contents);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].name, "big");
}

TEST_F(Scripts, BrokenScriptStopsStartupOnceWithTheFileNamed) {
  REQUIRE_ENGINE(".lua");
  auto script = write_script(dir_, "broken.lua", "spoa.register_message(\n  this is not lua\n");
  auto r = run_spoa({"-n", "5", "-p", "0", "--address", "127.0.0.1", "--log-level", "debug", "-f", script.string()});
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_EQ(count(r.err, "broken.lua"), 1u) << "the error is logged once:\n" << r.err;
  EXPECT_EQ(r.err.find("worker 1 started"), std::string::npos) << "no fork cascade:\n" << r.err;
}

TEST_F(Scripts, MissingScriptStopsStartup) {
  REQUIRE_ENGINE(".lua");
  auto r = run_spoa({"-n", "2", "-p", "0", "--address", "127.0.0.1", "-f", (dir_ / "absent.lua").string()});
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_NE(r.err.find("absent.lua"), std::string::npos) << r.err;
}

// An engine whose interpreter cannot start (here: CPython with a home that does not exist) stops
// start-up like a broken script: one message, exit status 2, no crash of the worker.
TEST_F(Scripts, AnEngineThatCannotStartStopsStartupWithItsReason) {
  REQUIRE_ENGINE(".py");
  auto py = write_script(dir_, "fine.py", "import spoa\ndef f(args):\n    pass\nspoa.register_message('m', f)\n");
  ::setenv("PYTHONHOME", (dir_ / "no-such-python-home").c_str(), 1);
  auto r = run_spoa({"-n", "2", "-p", "0", "--address", "127.0.0.1", "-f", py.string()});
  ::unsetenv("PYTHONHOME");
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_NE(r.err.find("cannot start CPython"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("SIGABRT"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("worker 1 started"), std::string::npos) << r.err;
}

TEST_F(Scripts, DuplicateMessageAcrossEnginesNamesBothFiles) {
  REQUIRE_ENGINE(".lua");
  REQUIRE_ENGINE(".py");
  auto lua = write_script(dir_, "first.lua", "spoa.register_message('dup', function(args) end)\n");
  auto py = write_script(dir_, "second.py", "import spoa\ndef f(args):\n    pass\nspoa.register_message('dup', f)\n");
  auto r = run_spoa({"-n", "1", "-p", "0", "--address", "127.0.0.1", "-f", lua.string(), "-f", py.string()});
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_NE(r.err.find("first.lua"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("second.py"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'dup'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spoa::test
