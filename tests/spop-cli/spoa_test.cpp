// End to end against our own agent: spop-cli talking to `spoa -f echo.lua` (built only with the agent).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/agent/agent_process.hpp"
#include "tests/spop-cli/run_cli.hpp"

namespace spop_cli {
namespace {

using nlohmann::json;
using test::run_cli;

class AgainstSpoa : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = std::make_unique<spoa::test::AgentProcess>(
        std::vector<std::string>{"-n", "1", "-f", SPOP_SOURCE_DIR "/tests/spop-cli/echo.lua"});
    ASSERT_TRUE(agent_->ready()) << agent_->log();
    port_ = std::to_string(agent_->port());
  }

  std::unique_ptr<spoa::test::AgentProcess> agent_;
  std::string port_;
};

TEST_F(AgainstSpoa, HelloAndCheck) {
  auto r = run_cli({"hello", "-p", port_, "--json"});
  ASSERT_EQ(r.status, 0) << r.err << agent_->log();
  const json hello = json::parse(r.out);
  EXPECT_EQ(hello.at("version"), "2.0");
  EXPECT_EQ(hello.at("pipelining"), true);
  r = run_cli({"check", "-p", port_});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.rfind("SPOP OK - 127.0.0.1:" + port_, 0), 0u) << r.out;
  r = run_cli({"hello", "-p", port_, "--profile", "3.1"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(AgainstSpoa, EveryTypeRoundTripsThroughTheLuaEcho) {
  const auto r = run_cli({"send",         "-p",
                          port_,          "--json",
                          "--var-prefix", "echo",
                          "-m",           "echo",
                          "-a",           "n=null",
                          "-a",           "bool_t=bool:true",
                          "-a",           "i32_x=int32:-5",
                          "-a",           "u32_x=uint32:4294967295",
                          "-a",           "i64_x=int64:-9223372036854775808",
                          "-a",           "u64_x=uint64:9223372036854775807",
                          "-a",           "ip4_x=ipv4:10.0.0.1",
                          "-a",           "ip6_x=ipv6:2001:db8::1",
                          "-a",           "str_x=str:hello",
                          "-a",           "bin_x=bin:hex:00ff01",
                          "-a",           "=int:7"});
  ASSERT_EQ(r.status, 0) << r.err << agent_->log();
  const json actions = json::parse(r.out).at("ack").at("actions");
  std::map<std::string, json> by_name;
  for (const json& a : actions) by_name[a.at("variable")] = a.value("value", json());
  EXPECT_EQ(by_name.at("txn.echo.n"), json({{"type", "null"}, {"value", nullptr}}));
  EXPECT_EQ(by_name.at("txn.echo.bool_t"), json({{"type", "bool"}, {"value", true}}));
  EXPECT_EQ(by_name.at("txn.echo.i32_x"), json({{"type", "int32"}, {"value", -5}}));
  EXPECT_EQ(by_name.at("txn.echo.u32_x"), json({{"type", "uint32"}, {"value", 4294967295u}}));
  EXPECT_EQ(by_name.at("txn.echo.i64_x"), json({{"type", "int64"}, {"value", INT64_MIN}}));
  EXPECT_EQ(by_name.at("txn.echo.u64_x"), json({{"type", "uint64"}, {"value", INT64_MAX}}));
  EXPECT_EQ(by_name.at("txn.echo.ip4_x"), json({{"type", "ipv4"}, {"value", "10.0.0.1"}}));
  EXPECT_EQ(by_name.at("txn.echo.ip6_x"), json({{"type", "ipv6"}, {"value", "2001:db8::1"}}));
  EXPECT_EQ(by_name.at("txn.echo.str_x"), json({{"type", "str"}, {"value", "hello"}}));
  EXPECT_EQ(by_name.at("txn.echo.bin_x"), json({{"type", "bin"}, {"value", "00ff01"}}));
  EXPECT_EQ(by_name.at("txn.echo.arg11"), json({{"type", "int64"}, {"value", 7}}));
}

TEST_F(AgainstSpoa, ExpectationsAndLoad) {
  auto r = run_cli({"send", "-p", port_, "-m", "check-client-ip", "-a", "ip=ipv4:10.0.0.1", "--var-prefix", "iprep",
                    "--expect", "sess.iprep.ip_score=int:1..100"});
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  r = run_cli({"send", "-p", port_, "-m", "check-client-ip", "--var-prefix", "iprep", "--expect",
               "sess.iprep.ip_score=int:50..100"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("FAILED: sess.iprep.ip_score=int:50..100 (got int32:42)"), std::string::npos) << r.out;
  r = run_cli({"send", "-p", port_, "-m", "echo", "-a", "i32_v=int32:3", "--repeat", "300", "--pipeline", "16",
               "--json", "-e", "txn.spoe.i32_v=int32:3"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("summary").at("acks"), 300);
  EXPECT_EQ(out.at("expectations").at("failed_acks"), 0);
}

}  // namespace
}  // namespace spop_cli
