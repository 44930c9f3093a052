// --metrics-address: exact values after known traffic (NOTIFYs, a script error, a time-budget kill, a
// bad frame, a HAProxy disconnect, a reload, a restart), the histogram, option errors, and that nothing
// listens when the option is off. The first tests drive the shared counters directly.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "agent/metrics_collector.hpp"
#include "agent/metrics_meter.hpp"
#include "agent/metrics_segment.hpp"
#include "spop/hello.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

// ---- the counters and their exposition, without a process --------------------------------------

TEST(MetricsCounters, WorkersAreSummedAndTheHistogramIsCumulative) {
  metrics::Segment seg(2);
  metrics::WorkerMeter w0(&seg.worker(0)), w1(&seg.worker(1));
  const auto a0 = w0.slot_for("check-client-ip");
  const auto a1 = w1.slot_for("check-client-ip");
  EXPECT_EQ(w0.slot_for("check-client-ip"), a0) << "a name keeps its entry";
  w0.call(a0, 75us, CallResult::Kind::ok);             // le=0.0001
  w1.call(a1, 3ms, CallResult::Kind::script_error);    // le=0.005
  w1.call(a1, 2s, CallResult::Kind::timeout);          // +Inf only
  w0.connection_opened();
  w1.connection_opened();
  w1.connection_closed();
  w0.disconnect(metrics::By::agent, 4);
  w1.disconnect(metrics::By::haproxy, 42);  // not a HAProxy code: "other"
  w0.reload(true);
  w1.reload(false);
  seg.supervisor().worker_restarts.fetch_add(3);

  const std::string text = metrics::render_text(seg);
  auto v = [&](const std::string& series) { return sample_value(text, series); };
  EXPECT_EQ(v("spoa_connections"), 1);
  EXPECT_EQ(v("spoa_connections_total"), 2);
  EXPECT_EQ(v("spoa_messages_total{message=\"check-client-ip\"}"), 3);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"check-client-ip\",reason=\"script_error\"}"), 1);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"check-client-ip\",reason=\"timeout\"}"), 1);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"check-client-ip\",reason=\"out_of_memory\"}"), 0);
  EXPECT_EQ(v("spoa_handler_duration_seconds_bucket{message=\"check-client-ip\",le=\"5e-05\"}"), 0);
  EXPECT_EQ(v("spoa_handler_duration_seconds_bucket{message=\"check-client-ip\",le=\"0.0001\"}"), 1);
  EXPECT_EQ(v("spoa_handler_duration_seconds_bucket{message=\"check-client-ip\",le=\"0.005\"}"), 2);
  EXPECT_EQ(v("spoa_handler_duration_seconds_bucket{message=\"check-client-ip\",le=\"1\"}"), 2);
  EXPECT_EQ(v("spoa_handler_duration_seconds_bucket{message=\"check-client-ip\",le=\"+Inf\"}"), 3);
  EXPECT_EQ(v("spoa_handler_duration_seconds_count{message=\"check-client-ip\"}"), 3);
  EXPECT_NEAR(*v("spoa_handler_duration_seconds_sum{message=\"check-client-ip\"}"), 2.003075, 1e-9);
  EXPECT_EQ(v("spoa_disconnects_total{by=\"agent\",status=\"4\"}"), 1);
  EXPECT_EQ(v("spoa_disconnects_total{by=\"haproxy\",status=\"other\"}"), 1);
  EXPECT_EQ(v("spoa_disconnects_total{by=\"agent\",status=\"0\"}"), std::nullopt) << "only codes that occurred";
  EXPECT_EQ(v("spoa_reloads_total{result=\"ok\"}"), 1);
  EXPECT_EQ(v("spoa_reloads_total{result=\"failed\"}"), 1);
  EXPECT_EQ(v("spoa_worker_restarts_total"), 3);
}

TEST(MetricsCounters, SharedStateCountersAreSummedOverWorkers) {
  metrics::Segment seg(2);
  StateCounters& s0 = seg.worker(0).state;
  StateCounters& s1 = seg.worker(1).state;
  s0.calls[static_cast<std::size_t>(StateOp::incr)] += 5;
  s1.calls[static_cast<std::size_t>(StateOp::incr)] += 2;
  s1.calls[static_cast<std::size_t>(StateOp::get)] += 1;
  s0.errors[static_cast<std::size_t>(StateErrc::unavailable)] += 3;
  s1.errors[static_cast<std::size_t>(StateErrc::timeout)] += 1;
  s0.outages += 1;
  s1.outages += 1;
  s1.unavailable = 1;
  s0.connects += 4;
  s1.connect_failures += 2;
  s1.failovers += 1;
  const std::string text = metrics::render_text(seg);
  auto v = [&](const std::string& series) { return sample_value(text, series); };
  EXPECT_EQ(v("spoa_state_calls_total{operation=\"incr\"}"), 7);
  EXPECT_EQ(v("spoa_state_calls_total{operation=\"get\"}"), 1);
  EXPECT_EQ(v("spoa_state_calls_total{operation=\"del\"}"), 0);
  EXPECT_EQ(v("spoa_state_errors_total{reason=\"unavailable\"}"), 3);
  EXPECT_EQ(v("spoa_state_errors_total{reason=\"timeout\"}"), 1);
  EXPECT_EQ(v("spoa_state_errors_total{reason=\"full\"}"), 0);
  EXPECT_EQ(v("spoa_state_outages_total"), 2);
  EXPECT_EQ(v("spoa_state_unavailable"), 1);
  EXPECT_EQ(v("spoa_state_connects_total{result=\"ok\"}"), 4);
  EXPECT_EQ(v("spoa_state_connects_total{result=\"failed\"}"), 2);
  EXPECT_EQ(v("spoa_state_failovers_total"), 1);
}

TEST(MetricsCounters, CallsInProgressAreSummedGaugesAndWaitsAHistogram) {
  metrics::Segment seg(2);
  metrics::WorkerMeter w0(&seg.worker(0)), w1(&seg.worker(1));
  w0.calls_in_progress(3, 8);
  w1.calls_in_progress(1, 2);
  w0.calls_in_progress(2, 8);  // a gauge: the latest value counts
  w0.call_wait(30us);          // le=5e-05
  w1.call_wait(400us);         // le=0.0005
  w1.call_wait(3s);            // +Inf only
  const std::string text = metrics::render_text(seg);
  auto v = [&](const std::string& series) { return sample_value(text, series); };
  EXPECT_EQ(v("spoa_calls_queued"), 3);
  EXPECT_EQ(v("spoa_calls_running"), 10);
  EXPECT_EQ(v("spoa_call_wait_seconds_bucket{le=\"5e-05\"}"), 1);
  EXPECT_EQ(v("spoa_call_wait_seconds_bucket{le=\"0.0005\"}"), 2);
  EXPECT_EQ(v("spoa_call_wait_seconds_bucket{le=\"1\"}"), 2);
  EXPECT_EQ(v("spoa_call_wait_seconds_count"), 3);
  EXPECT_NEAR(*v("spoa_call_wait_seconds_sum"), 3.00043, 1e-9);
}

TEST(MetricsCounters, TooManyNamesShareTheOverflowEntry) {
  metrics::Segment seg(1);
  metrics::WorkerMeter w(&seg.worker(0));
  for (std::size_t i = 0; i < metrics::max_messages + 10; ++i) {
    w.call(w.slot_for("m" + std::to_string(i)), 1us, CallResult::Kind::ok);
  }
  const std::string text = metrics::render_text(seg);
  EXPECT_EQ(sample_value(text, "spoa_messages_total{message=\"m0\"}"), 1);
  auto calls_of = [&](std::size_t i) {
    return sample_value(text, "spoa_messages_total{message=\"m" + std::to_string(i) + "\"}");
  };
  EXPECT_EQ(calls_of(metrics::max_messages - 2), 1) << "the last name with an entry of its own";
  EXPECT_EQ(calls_of(metrics::max_messages - 1), std::nullopt);
  EXPECT_EQ(sample_value(text, "spoa_messages_total{message=\"_other\"}"), 11);
}

TEST(MetricsCounters, AnOffMeterRecordsNothing) {
  metrics::WorkerMeter off;
  EXPECT_FALSE(off.on());
  EXPECT_EQ(off.slot_for("x"), metrics::WorkerMeter::no_slot);
  off.call(metrics::WorkerMeter::no_slot, 1ms, CallResult::Kind::ok);  // must not crash
  off.connection_opened();
}

// ---- the real agent ------------------------------------------------------------------------------

std::vector<std::byte> haproxy_disconnect(std::uint32_t status, const std::string& message) {
  std::vector<std::byte> out;
  spop::write_disconnect(out, spop::FrameType::haproxy_disconnect, status, message, spop::default_max_frame_size);
  return out;
}

class Metrics : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(Metrics, ExactValuesAfterKnownTraffic) {
  if (!engine_available(".lua")) GTEST_SKIP() << "needs the Lua engine";
  auto script = put_script(dir_, "m.lua", R"(
spoa.register_message("check-client-ip", function(args) spoa.set_var_int32("v", spoa.scope.txn, 1) end)
spoa.register_message("boom", function(args) error("kaboom") end)
spoa.register_message("spin", function(args) while true do end end)
)");
  AgentProcess agent({"-n", "2", "-f", script.string(), "--call-budget", "50ms", "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::uint16_t port = metrics_port(agent.log());
  ASSERT_NE(port, 0) << agent.log();
  auto before = scrape(port);
  ASSERT_TRUE(before) << agent.log();
  EXPECT_EQ(sample_value(*before, "spoa_connections_total"), 0);
  EXPECT_EQ(sample_value(*before, "spoa_workers"), 2);

  {
    TestClient a(agent.port());
    ASSERT_TRUE(a.hello());
    std::uint64_t sid = 1;
    auto exchange = [&](const std::string& name) {
      ASSERT_TRUE(a.notify(sid, 1, name));
      auto ack = a.read_frame();
      ASSERT_TRUE(ack);
      EXPECT_EQ(ack->header.type, spop::FrameType::ack);
      EXPECT_EQ(ack->header.stream_id, sid);
      ++sid;
    };
    for (int i = 0; i < 10; ++i) exchange("check-client-ip");
    exchange("boom");
    exchange("spin");
    exchange("nobody");
    exchange("nobody");
    ASSERT_TRUE(a.send(haproxy_disconnect(0, "normal")));
    auto bye = a.read_frame();
    ASSERT_TRUE(bye);
    EXPECT_EQ(bye->header.type, spop::FrameType::agent_disconnect);
    EXPECT_TRUE(a.wait_closed());
  }
  {
    TestClient b(agent.port());
    ASSERT_TRUE(b.hello());
    ASSERT_TRUE(b.send(spop::test::hex("0000000a 03 00000001 01 01 20 6162")));  // malformed NOTIFY
    auto f = b.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->header.type, spop::FrameType::agent_disconnect);
  }

  std::string text;
  ASSERT_TRUE(poll_until([&] {
    auto s = scrape(port);
    if (s) text = *s;
    return s && sample_value(*s, "spoa_connections") == 0 && sample_value(*s, "spoa_connections_total") == 2;
  })) << text;
  auto v = [&](const std::string& series) { return sample_value(text, series); };
  EXPECT_EQ(v("spoa_frames_received_total{type=\"haproxy-hello\"}"), 2);
  EXPECT_EQ(v("spoa_frames_received_total{type=\"notify\"}"), 15);
  EXPECT_EQ(v("spoa_frames_received_total{type=\"haproxy-disconnect\"}"), 1);
  EXPECT_EQ(v("spoa_frames_received_total{type=\"unset\"}"), 0);
  EXPECT_EQ(v("spoa_notifies_total"), 14) << "the malformed NOTIFY is not a NOTIFY";
  EXPECT_EQ(v("spoa_frames_sent_total{type=\"agent-hello\"}"), 2);
  EXPECT_EQ(v("spoa_frames_sent_total{type=\"ack\"}"), 14);
  EXPECT_EQ(v("spoa_frames_sent_total{type=\"agent-disconnect\"}"), 2);
  EXPECT_EQ(v("spoa_messages_total{message=\"check-client-ip\"}"), 10);
  EXPECT_EQ(v("spoa_messages_total{message=\"boom\"}"), 1);
  EXPECT_EQ(v("spoa_messages_total{message=\"spin\"}"), 1);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"boom\",reason=\"script_error\"}"), 1);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"spin\",reason=\"timeout\"}"), 1);
  EXPECT_EQ(v("spoa_message_errors_total{message=\"check-client-ip\",reason=\"script_error\"}"), 0);
  EXPECT_EQ(v("spoa_handler_duration_seconds_count{message=\"check-client-ip\"}"), 10);
  EXPECT_EQ(v("spoa_handler_duration_seconds_bucket{message=\"spin\",le=\"0.025\"}"), 0) << "it ran 50 ms";
  EXPECT_EQ(v("spoa_messages_unhandled_total"), 2);
  EXPECT_EQ(v("spoa_disconnects_total{by=\"haproxy\",status=\"0\"}"), 1);
  EXPECT_EQ(v("spoa_disconnects_total{by=\"agent\",status=\"4\"}"), 1);
  EXPECT_EQ(v("spoa_reloads_total{result=\"ok\"}"), 0);

  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("reload done")) << agent.log();
  auto workers = agent.workers();
  ASSERT_EQ(workers.size(), 2u);
  ::kill(workers[0], SIGKILL);
  ASSERT_TRUE(poll_until([&] {
    auto s = scrape(port);
    if (s) text = *s;
    return s && sample_value(*s, "spoa_worker_restarts_total") == 1 && sample_value(*s, "spoa_workers") == 2;
  })) << text << agent.log();
  EXPECT_EQ(sample_value(text, "spoa_reloads_total{result=\"ok\"}"), 2) << "one per worker";
  EXPECT_EQ(sample_value(text, "spoa_messages_total{message=\"check-client-ip\"}"), 10)
      << "a restarted worker keeps its slot's counters";
}

// The socket inodes a process holds, from /proc.
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  return inodes;
}

// The TCP ports the given processes listen on, from /proc.
std::set<std::uint16_t> listening_ports(const std::vector<pid_t>& pids) {
  std::set<std::string> inodes;
  for (pid_t pid : pids) inodes.merge(socket_inodes(pid));
  std::set<std::uint16_t> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (state != "0A" || !inodes.count(inode)) continue;  // 0A: LISTEN
      ports.insert(static_cast<std::uint16_t>(std::stoul(local.substr(local.find(':') + 1), nullptr, 16)));
    }
  }
  return ports;
}

// The agent's processes: supervisor, workers and (if any) the metrics process.
std::vector<pid_t> all_processes(const AgentProcess& agent) {
  std::vector<pid_t> pids = agent.workers();
  pids.push_back(agent.pid());
  if (pid_t m = agent.metrics_process()) pids.push_back(m);
  return pids;
}

// "Threads:" of /proc/PID/status.
int thread_count(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST_F(Metrics, OffByDefaultNothingElseListens) {
  AgentProcess agent({"-n", "2"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  EXPECT_EQ(agent.metrics_process(), 0);
  EXPECT_EQ(listening_ports(all_processes(agent)), std::set<std::uint16_t>{agent.port()});
  EXPECT_EQ(agent.log().find("metrics on"), std::string::npos) << agent.log();
}

// The endpoint's HTTP threads live in a process of their own: the supervisor, which forks every
// worker, has a single thread (a fork from a threaded process can inherit a held lock and hang).
TEST_F(Metrics, TheEndpointRunsInItsOwnProcessAndTheSupervisorHasOneThread) {
  AgentProcess agent({"-n", "2", "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::uint16_t port = metrics_port(agent.log());
  const pid_t endpoint = agent.metrics_process();
  ASSERT_NE(endpoint, 0) << agent.log();
  EXPECT_EQ(thread_count(agent.pid()), 1);
  EXPECT_GT(thread_count(endpoint), 1) << "civetweb serves from threads";
  EXPECT_EQ(listening_ports({endpoint}), std::set<std::uint16_t>{port}) << "and no SPOP listener";
  EXPECT_EQ(listening_ports({agent.pid()}), std::set<std::uint16_t>{agent.port()});
  const auto workers = agent.workers();
  ASSERT_EQ(workers.size(), 2u);
  for (pid_t w : workers) {
    EXPECT_EQ(listening_ports({w}), std::set<std::uint16_t>{agent.port()}) << "worker " << w;
    EXPECT_EQ(thread_count(w), 1) << "worker " << w;
  }
  EXPECT_TRUE(scrape(port).has_value());
}

TEST_F(Metrics, AKilledEndpointProcessComesBackOnTheSamePort) {
  AgentProcess agent({"-n", "1", "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::uint16_t port = metrics_port(agent.log());
  const pid_t first = agent.metrics_process();
  ASSERT_NE(first, 0);
  ::kill(first, SIGKILL);
  ASSERT_TRUE(agent.wait_log("the metrics endpoint process (pid " + std::to_string(first) +
                             ") was killed by SIGKILL; restarting it in 1000 ms"))
      << agent.log();
  const std::string again = "metrics on http://127.0.0.1:" + std::to_string(port) + "/metrics again";
  ASSERT_TRUE(agent.wait_log(again)) << agent.log();
  const pid_t second = agent.metrics_process();
  EXPECT_NE(second, 0);
  EXPECT_NE(second, first);
  auto text = scrape(port);
  ASSERT_TRUE(text) << agent.log();
  EXPECT_EQ(sample_value(*text, "spoa_workers"), 1) << "the counters live on in shared memory";
  EXPECT_EQ(sample_value(*text, "spoa_worker_restarts_total"), 0) << "a worker did not restart";
  EXPECT_EQ(agent.workers().size(), 1u);

  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.log();
  EXPECT_NE(::kill(second, 0), 0) << "the endpoint process is stopped with the agent";
  EXPECT_FALSE(scrape(port).has_value());
}

TEST_F(Metrics, BadAddressesAreRefused) {
  auto r = run_spoa({"--metrics-address", "localhost"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("--metrics-address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HOST:PORT"), std::string::npos) << r.err;
  r = run_spoa({"--metrics-address", "127.0.0.1:70000"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("PORT must be 0..65535"), std::string::npos) << r.err;

  // A port in use: start-up stops with the address named, exit status 3 like a SPOP address.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string busy = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  r = run_spoa({"-n", "1", "-p", "0", "--address", "127.0.0.1", "--metrics-address", busy});
  ::close(fd);
  EXPECT_EQ(r.exit_status, 3) << r.err;
  EXPECT_NE(r.err.find("cannot serve metrics on " + busy), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spoa::test
