// spoa's command line: usage, unknown options, unknown suffixes, and what the agent says it listens on.
#include <gtest/gtest.h>

#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

TEST(SpoaCli, HelpPrintsUsageAndExitsZero) {
  auto r = run_spoa({"-h"});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_NE(r.out.find("USAGE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--max-frame-size"), std::string::npos) << r.out;
}

TEST(SpoaCli, UnknownOptionPrintsUsageOnStderrAndExitsOne) {
  auto r = run_spoa({"--no-such-option"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("USAGE"), std::string::npos) << r.err;
}

TEST(SpoaCli, BadValueIsRefusedWithItsOptionName) {
  auto r = run_spoa({"--hello-timeout", "soon"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("--hello-timeout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("soon"), std::string::npos) << r.err;
}

TEST(SpoaCli, UnknownScriptSuffixNamesFileAndKnownSuffixes) {
  auto r = run_spoa({"-f", "handler.rb", "-p", "0", "--address", "127.0.0.1"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("handler.rb"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'.rb'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("known:"), std::string::npos) << r.err;
}

TEST(SpoaCli, LogsAndWritesTheActualListeningAddress) {
  AgentProcess agent({"-n", "1"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  ASSERT_NE(agent.port(), 0);
  ASSERT_EQ(agent.ready_lines().size(), 1u);
  EXPECT_EQ(agent.ready_lines()[0], "127.0.0.1 " + std::to_string(agent.port()));
  EXPECT_NE(agent.log().find("listening on 127.0.0.1:" + std::to_string(agent.port())), std::string::npos)
      << agent.log();
}

TEST(SpoaCli, DefaultAddressesShareOneEphemeralPort) {
  AgentProcess agent({"-n", "1", "-p", "0"}, /*add_listen_args=*/false);
  ASSERT_TRUE(agent.ready()) << agent.log();
  ASSERT_GE(agent.ready_lines().size(), 1u);
  EXPECT_EQ(agent.ready_lines()[0], "0.0.0.0 " + std::to_string(agent.port()));
  if (agent.ready_lines().size() > 1) {  // hosts without IPv6 only get the IPv4 socket
    EXPECT_EQ(agent.ready_lines()[1], ":: " + std::to_string(agent.port()));
  }
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
}

TEST(SpoaCli, UnixSocketOnly) {
  auto dir = make_temp_dir();
  auto path = (dir / "spoa.sock").string();
  AgentProcess agent({"-n", "1", "--unix", path}, /*add_listen_args=*/false);
  ASSERT_TRUE(agent.ready()) << agent.log();
  ASSERT_EQ(agent.ready_lines().size(), 1u) << "only the unix socket was asked for";
  EXPECT_EQ(agent.ready_lines()[0], "unix " + path);
  TestClient c(path);
  ASSERT_TRUE(c.connected());
  auto hello = c.hello();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->header.type, spop::FrameType::agent_hello);
  ASSERT_TRUE(c.notify(7, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);
  std::filesystem::remove_all(dir);
}

TEST(SpoaCli, DebugModeServesWithoutForking) {
  AgentProcess agent({"-d"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  EXPECT_TRUE(agent.workers().empty()) << "-d runs the worker in the supervisor's process";
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(c.notify(1, 1));
  auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.type, spop::FrameType::ack);
  EXPECT_NE(agent.log().find("[debug]"), std::string::npos) << "-d logs at debug level";
}

}  // namespace
}  // namespace spoa::test
