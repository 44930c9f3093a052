// The execution model with the real binary: handlers run on executor threads, so a slow handler holds
// up neither other connections nor health checks; ACKs leave in completion order; budgets, drain,
// reload and the limit on calls in progress work with calls running. Handlers are held in a blocking C
// call (reading a FIFO "gate") until the test opens the gate, and say they started by creating a file:
// no sleeps, no timing assertions (timeouts are hang guards).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "agent/options.hpp"
#include "spop/ack_reader.hpp"
#include "spop/value.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace calls_test {

using namespace std::chrono_literals;

#define REQUIRE_LANGUAGE(suffix) \
  if (!engine_available(suffix)) GTEST_SKIP() << "spoa was built without the engine for " suffix

class Calls : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// A Lua script: message "gated" (argument id) sets before=1, creates started_<id>, blocks reading
  /// the FIFO gate_<id>, then sets after=<id>; message "fast" sets fast=7.
  std::string gated_lua(const std::string& extra = "") {
    return put_script(dir_, "gated.lua",
                      "local dir = '" + dir_.string() + "'\n" + R"(
spoa.register_message("gated", function(args)
  local id = args[1].value
  spoa.set_var_int32("before", spoa.scope.txn, 1)
  io.open(dir .. "/started_" .. id, "w"):close()
  local f = io.open(dir .. "/gate_" .. id)
  f:read("l")
  f:close()
  spoa.set_var_int32("after", spoa.scope.txn, id)
end)
spoa.register_message("fast", function(args) spoa.set_var_int32("fast", spoa.scope.txn, 7) end)
)" + extra)
        .string();
  }

  /// Makes the FIFO of call `id` (before its NOTIFY is sent).
  void make_gate(int id) { ASSERT_EQ(::mkfifo((dir_ / ("gate_" + std::to_string(id))).c_str(), 0600), 0); }
  bool started(int id) const { return std::filesystem::exists(dir_ / ("started_" + std::to_string(id))); }
  bool wait_started(int id) const {
    return poll_until([&] { return started(id); }, 20s);
  }
  /// Lets call `id` go on: writes a line to its FIFO once the handler has it open. False if no
  /// handler opened it within the hang guard.
  bool open_gate(int id) const {
    const auto path = dir_ / ("gate_" + std::to_string(id));
    int fd = -1;
    poll_until([&] { return (fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK)) >= 0; }, 20s);
    if (fd < 0) return false;
    const bool ok = ::write(fd, "go\n", 3) == 3;
    ::close(fd);
    return ok;
  }
  bool gated_notify(TestClient& c, std::uint64_t sid, int id) {
    const spop::Argument arg{"", spop::Value::int32(id)};
    return c.notify(sid, 1, "gated", std::span<const spop::Argument>(&arg, 1));
  }
  /// Handshake on `c`, then a gated call `id` (stream `sid`) that is running when this returns true.
  bool start_gated_call(TestClient& c, std::uint64_t sid, int id) {
    make_gate(id);
    return c.hello() && gated_notify(c, sid, id) && wait_started(id);
  }

  std::filesystem::path dir_;
};

std::optional<ReceivedFrame> ack_of(TestClient& c) {
  auto f = c.read_frame(20s);
  if (f && f->header.type != spop::FrameType::ack) return std::nullopt;
  return f;
}

TEST_F(Calls, ASlowHandlerHoldsUpNeitherOtherConnectionsNorHealthChecks) {
  REQUIRE_LANGUAGE(".lua");
  AgentProcess agent({"-n", "1", "--threads", "2", "-f", gated_lua()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient slow(agent.port());
  ASSERT_TRUE(start_gated_call(slow, 1, 1));

  TestClient other(agent.port());
  ASSERT_TRUE(other.hello());
  for (std::uint64_t s = 1; s <= 50; ++s) {
    ASSERT_TRUE(other.notify(s, 1, "fast"));
    auto ack = ack_of(other);
    ASSERT_TRUE(ack) << "request " << s << " waited behind the slow handler\n" << agent.log();
    EXPECT_EQ(ack->header.stream_id, s);
    EXPECT_EQ(ack_int(*ack, "fast"), 7);
  }
  TestClient check(agent.port());
  auto params = TestClient::default_hello();
  params.healthcheck = true;
  auto answer = check.hello(params);
  ASSERT_TRUE(answer) << "health check not answered during a slow call";
  EXPECT_EQ(answer->header.type, spop::FrameType::agent_hello);

  ASSERT_TRUE(open_gate(1));
  auto ack = ack_of(slow);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "before"), 1);
  EXPECT_EQ(ack_int(*ack, "after"), 1);
}

TEST_F(Calls, MetricsShowTheCallRunningAndItsWait) {
  REQUIRE_LANGUAGE(".lua");
  AgentProcess agent({"-n", "1", "-f", gated_lua(), "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::uint16_t port = metrics_port(agent.log());
  ASSERT_NE(port, 0) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(start_gated_call(c, 1, 1));
  // The gauges are refreshed by the worker's tick: poll until the running call shows.
  EXPECT_TRUE(poll_until([&] {
    auto text = scrape(port);
    return text && sample_value(*text, "spoa_calls_running") == 1 && sample_value(*text, "spoa_calls_queued") == 0;
  })) << scrape(port).value_or("no scrape");
  ASSERT_TRUE(open_gate(1));
  ASSERT_TRUE(ack_of(c));
  EXPECT_TRUE(poll_until([&] {
    auto text = scrape(port);
    return text && sample_value(*text, "spoa_calls_running") == 0 &&
           sample_value(*text, "spoa_call_wait_seconds_count") == 1;
  })) << scrape(port).value_or("no scrape");
}

TEST_F(Calls, PipelinedNotifiesAreAnsweredInCompletionOrderWithTheirIds) {
  REQUIRE_LANGUAGE(".lua");
  AgentProcess agent({"-n", "1", "--threads", "4", "-f", gated_lua()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  make_gate(1);
  make_gate(2);
  TestClient c(agent.port());
  ASSERT_TRUE(c.hello());
  ASSERT_TRUE(gated_notify(c, 10, 1));
  ASSERT_TRUE(gated_notify(c, 20, 2));
  ASSERT_TRUE(c.notify(30, 3, "fast"));
  auto first = ack_of(c);
  ASSERT_TRUE(first) << agent.log();
  EXPECT_EQ(first->header.stream_id, 30u);
  EXPECT_EQ(first->header.frame_id, 3u);
  ASSERT_TRUE(wait_started(1) && wait_started(2));
  ASSERT_TRUE(open_gate(2));
  auto second = ack_of(c);
  ASSERT_TRUE(second) << agent.log();
  EXPECT_EQ(second->header.stream_id, 20u);
  EXPECT_EQ(ack_int(*second, "after"), 2);
  ASSERT_TRUE(open_gate(1));
  auto third = ack_of(c);
  ASSERT_TRUE(third) << agent.log();
  EXPECT_EQ(third->header.stream_id, 10u);
  EXPECT_EQ(ack_int(*third, "after"), 1);
}

TEST_F(Calls, TheBudgetStopsTheCallThatOverranAndNoOther) {
  REQUIRE_LANGUAGE(".lua");
  // "spin" never returns by itself: its engine stops it on its thread. "gated" blocks in C: the event
  // loop answers it at the budget with what it set so far.
  AgentProcess agent({"-n", "1", "--threads", "3", "--call-budget", "300ms", "-f",
                      gated_lua(R"(
spoa.register_message("spin", function(args)
  spoa.set_var_int32("spun", spoa.scope.txn, 1)
  while true do end
end)
)")});
  ASSERT_TRUE(agent.ready()) << agent.log();
  make_gate(1);
  TestClient blocked(agent.port());
  ASSERT_TRUE(blocked.hello());
  ASSERT_TRUE(gated_notify(blocked, 1, 1));
  TestClient spinning(agent.port());
  ASSERT_TRUE(spinning.hello());
  ASSERT_TRUE(spinning.notify(2, 1, "spin"));
  TestClient quick(agent.port());
  ASSERT_TRUE(quick.hello());
  ASSERT_TRUE(quick.notify(3, 1, "fast"));
  auto q = ack_of(quick);
  ASSERT_TRUE(q);
  EXPECT_EQ(ack_int(*q, "fast"), 7);

  auto b = ack_of(blocked);
  ASSERT_TRUE(b) << agent.log();
  EXPECT_EQ(ack_int(*b, "before"), 1);
  EXPECT_FALSE(ack_int(*b, "after")) << "answered at the budget, before the handler went on";
  auto s = ack_of(spinning);
  ASSERT_TRUE(s) << agent.log();
  EXPECT_EQ(ack_int(*s, "spun"), 1);
  EXPECT_TRUE(agent.wait_log("call budget exceeded")) << agent.log();

  // Both threads are usable again once their handlers return.
  ASSERT_TRUE(open_gate(1));
  for (std::uint64_t sid = 4; sid < 10; ++sid) {
    ASSERT_TRUE(quick.notify(sid, 1, "fast"));
    ASSERT_TRUE(ack_of(quick)) << agent.log();
  }
}

TEST_F(Calls, SigtermLetsRunningCallsFinishThenDisconnects) {
  REQUIRE_LANGUAGE(".lua");
  AgentProcess agent({"-n", "1", "-f", gated_lua()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(start_gated_call(c, 1, 1));
  agent.signal(SIGTERM);
  ASSERT_TRUE(agent.wait_log("draining")) << agent.log();
  ASSERT_TRUE(open_gate(1));
  auto ack = ack_of(c);
  ASSERT_TRUE(ack) << "the running call was answered during the drain\n" << agent.log();
  EXPECT_EQ(ack_int(*ack, "after"), 1);
  auto bye = c.read_frame(20s);
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect);
  EXPECT_EQ(agent.wait_exit(20s), 0) << agent.log();
}

TEST_F(Calls, TheDrainTimeoutDisconnectsEvenWithACallStillRunning) {
  REQUIRE_LANGUAGE(".lua");
  AgentProcess agent({"-n", "1", "--drain-timeout", "300ms", "-f", gated_lua()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(start_gated_call(c, 1, 1));
  agent.signal(SIGTERM);
  auto bye = c.read_frame(20s);
  ASSERT_TRUE(bye) << agent.log();
  EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect) << "no ACK: the call did not finish";
  EXPECT_TRUE(agent.wait_log("drain timeout")) << agent.log();
  open_gate(1);  // lets the handler's thread end (the worker may be gone already)
  EXPECT_TRUE(agent.wait_exit(20s).has_value()) << agent.log();
}

TEST_F(Calls, SighupReloadsWhileACallRunsOnTheOldScripts) {
  REQUIRE_LANGUAGE(".lua");
  const auto script = gated_lua("spoa.register_message('version', function(args) spoa.set_var_int32('v', spoa.scope.txn, 1) end)\n");
  AgentProcess agent({"-n", "1", "-f", script});
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  ASSERT_TRUE(start_gated_call(c, 1, 1));
  // The new version: "gated" sets after = 100 + id; "version" sets v = 2.
  put_script(dir_, "gated.lua", R"(
spoa.register_message("gated", function(args) spoa.set_var_int32("after", spoa.scope.txn, 100 + args[1].value) end)
spoa.register_message("version", function(args) spoa.set_var_int32("v", spoa.scope.txn, 2) end)
)");
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("reload complete")) << agent.log();
  TestClient d(agent.port());
  ASSERT_TRUE(d.hello());
  ASSERT_TRUE(d.notify(2, 1, "version"));
  auto v = ack_of(d);
  ASSERT_TRUE(v);
  EXPECT_EQ(ack_int(*v, "v"), 2) << "new calls run on the new scripts";
  ASSERT_TRUE(open_gate(1));
  auto old = ack_of(c);
  ASSERT_TRUE(old) << agent.log();
  EXPECT_EQ(ack_int(*old, "after"), 1) << "the running call finished on the old scripts";
}

TEST_F(Calls, AtTheLimitOfCallsInProgressTheWorkerStopsReading) {
  REQUIRE_LANGUAGE(".lua");
  AgentProcess agent({"-n", "1", "--threads", "4", "--max-calls", "2", "-f", gated_lua()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  for (int id = 1; id <= 3; ++id) make_gate(id);
  TestClient a(agent.port());
  ASSERT_TRUE(a.hello());
  ASSERT_TRUE(gated_notify(a, 1, 1));
  ASSERT_TRUE(gated_notify(a, 2, 2));
  ASSERT_TRUE(wait_started(1) && wait_started(2));
  TestClient b(agent.port());
  ASSERT_TRUE(b.hello());
  ASSERT_TRUE(gated_notify(b, 3, 3));
  // Not a timing assertion: with free threads the call would have started long before (it can only
  // make this test pass wrongly on a very slow machine, never fail it).
  EXPECT_FALSE(poll_until([&] { return started(3); }, 500ms)) << "a third call started beyond --max-calls 2";
  ASSERT_TRUE(open_gate(1));
  ASSERT_TRUE(ack_of(a));
  ASSERT_TRUE(wait_started(3)) << "the paused connection reads again once a call completes\n" << agent.log();
  ASSERT_TRUE(open_gate(2));
  ASSERT_TRUE(open_gate(3));
  auto third = ack_of(b);
  ASSERT_TRUE(third);
  EXPECT_EQ(ack_int(*third, "after"), 3);
  ASSERT_TRUE(ack_of(a));
}

TEST_F(Calls, AHandlerThatCrashesOnItsThreadTakesTheWorkerDownAndTheSupervisorRestartsIt) {
  REQUIRE_LANGUAGE(".py");
  const auto script = put_script(dir_, "crash.py", R"(
import ctypes
import spoa

def crash(args):
    ctypes.string_at(0)  # reads address 0: SIGSEGV on the executor thread

def ok(args):
    spoa.set_var_int32("ok", spoa.scope_txn, 1)

spoa.register_message("crash", crash)
spoa.register_message("ok", ok)
)");
  AgentProcess agent({"-n", "1", "-f", script.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  {
    TestClient c(agent.port());
    ASSERT_TRUE(c.hello());
    ASSERT_TRUE(c.notify(1, 1, "crash"));
    EXPECT_FALSE(c.read_frame(20s)) << "no ACK from a worker that crashed";
  }
  ASSERT_TRUE(agent.wait_log("restarting it in", 20s)) << agent.log();
  // The restarted worker serves (connections wait in the supervisor's listening socket meanwhile).
  TestClient d(agent.port());
  ASSERT_TRUE(d.hello()) << agent.log();
  ASSERT_TRUE(d.notify(2, 1, "ok"));
  auto ack = ack_of(d);
  ASSERT_TRUE(ack) << agent.log();
  EXPECT_EQ(ack_int(*ack, "ok"), 1);
}

TEST_F(Calls, ThreadsAndMaxCallsOptionsAndTheCheckReport) {
  auto run = [&](std::vector<std::string> args) {
    RunResult r = run_spoa(args);
    r.out += r.err;  // one text to search
    return r;
  };
  auto zero = run({"--threads", "0"});
  EXPECT_EQ(zero.exit_status, 1);
  EXPECT_NE(zero.out.find("--threads"), std::string::npos) << zero.out;
  auto calls = run({"--max-calls", "0"});
  EXPECT_EQ(calls.exit_status, 1);
  EXPECT_NE(calls.out.find("--max-calls"), std::string::npos) << calls.out;
  if (engine_available(".lua")) {
    auto check = run({"--check", "--threads", "3", "--max-calls", "77", "-f", gated_lua()});
    EXPECT_EQ(check.exit_status, 0) << check.out;
    EXPECT_NE(check.out.find("executors:       lua 3 thread(s)"), std::string::npos) << check.out;
    EXPECT_NE(check.out.find("max-calls 77"), std::string::npos) << check.out;
  }
  if (engine_available(".php")) {
    // The check needs no PHP extension; under AddressSanitizer those of Debian's conf.d/ cannot even load
    // (RTLD_DEEPBIND, see tests/php/CMakeLists.txt). The spawned spoa inherits this.
    ::setenv("PHP_INI_SCAN_DIR", "", 1);
    const auto php = put_script(dir_, "h.php", "<?php\nspoa\\register_message('m', function($args) {});\n");
    auto check = run({"--check", "--threads", "3", "-f", php.string()});
    EXPECT_NE(check.out.find("php 1 thread (its runtime is not thread-safe"), std::string::npos) << check.out;
  }
}

}  // namespace calls_test
}  // namespace spoa::test
