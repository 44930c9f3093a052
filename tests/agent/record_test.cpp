// spoa --record with the real binary: traffic from spop-sim run is recorded and replayed with spop-sim
// replay (the same script: no difference; a changed one: exactly its differences); each exchange is
// recorded as it went over the wire, a NOTIFY left unanswered as such; sampling; two workers rotating one
// file; SIGHUP after logrotate moved the file; redaction with one key for all workers; mode 0600; a path
// that cannot be written (one log line, serving goes on, SIGHUP retries at once).
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "recording/reader.hpp"
#include "simulator/run/runner.hpp"
#include "spop/hello.hpp"
#include "spop/notify.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/sim-replay/replay_support.hpp"
#include "tests/sim-run/sim_run_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;
using spop::recording::RecordKind;
using testing::HasSubstr;

constexpr std::uint32_t max_frame = 1u << 24;  // no frame of these tests comes near it
const std::string v1_script = SPOP_SOURCE_DIR "/tests/agent/record_v1.lua";
const std::string v2_script = SPOP_SOURCE_DIR "/tests/agent/record_v2.lua";

// HAProxy's side: message "check" with the client address, the path (/item/<request number>) and a
// constant, variables named txn.p.*.
const std::string spoe =
    "spoe-agent a\n"
    "    messages check\n"
    "    option var-prefix p\n"
    "    use-backend be\n"
    "spoe-message check\n"
    "    args ip=src path=path n=int(7)\n"
    "    event on-frontend-http-request\n";

std::string scenario(const std::string& load, const std::string& path = "/item/{seq}") {
  return "seed: 3\nload: " + load + "\nclients: [10.0.0.1, 10.0.0.2, 10.0.0.3]\nrequests:\n  - path: " + path + "\n";
}

spop::sim::RunReport traffic(std::uint16_t port, const std::string& load, const std::string& path = "/item/{seq}") {
  return spop::sim::run_simulation(
      spop::sim::make_plan(spop::sim::test::options_for(spoe, scenario(load, path), port)));
}

// One record, owning its frames.
struct Recorded {
  spop::recording::RecordMeta meta;
  std::vector<std::byte> notify;
  std::vector<std::byte> ack;
};

struct Recording {
  bool opened = false;
  spop::recording::FileHeader header;
  std::vector<Recorded> records;
  std::string error;  // empty: read to its end
};

Recording read_recording(const std::filesystem::path& path) {
  Recording out;
  spop::recording::RecordingReader reader(path);
  out.opened = reader.opened();
  out.header = reader.header();
  while (const auto* r = reader.next()) {
    out.records.push_back({r->meta, {r->notify.begin(), r->notify.end()}, {r->ack.begin(), r->ack.end()}});
  }
  if (reader.error()) out.error = reader.error()->to_string();
  return out;
}

std::size_t records_in(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? read_recording(path).records.size() : 0;
}

// The value of argument `name` in a recorded NOTIFY, as spop::describe() writes it.
std::string argument(const std::vector<std::byte>& notify, std::string_view name) {
  spop::Frame frame;
  std::size_t used = 0;
  spop::NotifyView view;
  if (spop::split_frame(notify, max_frame, frame, used) != spop::Errc::ok ||
      spop::NotifyView::parse(frame.payload, view) != spop::Errc::ok) {
    return "(not a NOTIFY)";
  }
  std::vector<spop::Argument> args;
  for (const auto& message : view) {
    message.arguments(args);
    for (const auto& a : args) {
      if (a.name == name) return spop::describe(a.value);
    }
  }
  return "(absent)";
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

// Stops the agent the way an operator does; its workers write what they still buffer.
void stop(AgentProcess& agent) {
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(20s), 0) << agent.log();
}

class SpoaRecord : public testing::Test {
 protected:
  void SetUp() override { dir_ = spop::test::scratch_dir("spoa-record"); }
  std::filesystem::path dir_;
};

// The whole loop: record behind spop-sim run, replay the file against the same script and a changed one.
TEST_F(SpoaRecord, AReplayOfTheRecordingShowsExactlyTheScriptChange) {
  const auto file = dir_ / "traffic.rec";
  AgentProcess recording({"-n", "1", "-f", v1_script, "--record", file.string()});
  ASSERT_TRUE(recording.ready()) << recording.log();
  const auto worker = recording.workers();
  ASSERT_EQ(worker.size(), 1u);
  const auto run = traffic(recording.port(), "{connections: 2, in_flight: 4, count: 200}");
  ASSERT_EQ(run.completed, 200u);
  ASSERT_EQ(run.errors, 0u);
  stop(recording);
  EXPECT_THAT(recording.log(), HasSubstr("recording: 200 exchange(s) written to " + file.string() +
                                         ", 0 left out by --record-sample, 0 dropped"));

  EXPECT_EQ(mode_of(file), 0600u);
  const Recording rec = read_recording(file);
  ASSERT_TRUE(rec.opened);
  EXPECT_EQ(rec.error, "");
  EXPECT_FALSE(rec.header.redacted());
  ASSERT_EQ(rec.records.size(), 200u);
  std::set<std::uint64_t> connections;
  std::set<std::string> paths;
  for (const Recorded& r : rec.records) {
    EXPECT_EQ(r.meta.kind, RecordKind::exchange);
    EXPECT_EQ(r.meta.source, static_cast<std::uint32_t>(worker[0]));
    EXPECT_LE(r.meta.notify_ns, r.meta.ack_ns);
    connections.insert(r.meta.connection);
    paths.insert(argument(r.notify, "path"));
  }
  EXPECT_EQ(connections.size(), 2u) << "the two connections of the run (a health check sends no NOTIFY)";
  EXPECT_EQ(paths.size(), 200u) << "every request once";
  EXPECT_EQ(paths.count("str:\"/item/0\""), 1u);
  EXPECT_EQ(paths.count("str:\"/item/199\""), 1u);

  AgentProcess same({"-n", "1", "-f", v1_script});
  AgentProcess changed({"-n", "1", "-f", v2_script});
  ASSERT_TRUE(same.ready()) << same.log();
  ASSERT_TRUE(changed.ready()) << changed.log();
  const auto unchanged = spop::sim::replay::test::run_replay(
      {file.string(), "--port", std::to_string(same.port()), "--var-prefix", "p"});
  EXPECT_EQ(unchanged.status, 0) << unchanged.out << unchanged.err;
  EXPECT_THAT(unchanged.out, HasSubstr("input " + file.string() + " (recording): 200 exchanges\n"));
  EXPECT_THAT(unchanged.out, HasSubstr("compared 200 ACKs: 200 identical, 0 differ\n"));
  EXPECT_THAT(unchanged.out, HasSubstr("SAME: no difference\n"));

  // record_v2.lua scores the requests 0, 10, ... 190 differently: 20 of 200.
  const auto diff = spop::sim::replay::test::run_replay(
      {file.string(), "--port", std::to_string(changed.port()), "--var-prefix", "p"});
  EXPECT_EQ(diff.status, 1) << diff.out << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("compared 200 ACKs: 180 identical, 20 differ\n"
                                  "  check: 20 of 200 ACKs differ\n"
                                  "    txn.p.score: int32:12 -> int32:40 in 20 of 200 ACKs\n"));
  EXPECT_THAT(diff.out, HasSubstr("DIFFERENT: 20 ACK(s) differ, 0 call(s) failed\n"));
  const auto json = spop::sim::replay::test::run_replay(
      {file.string(), "--port", std::to_string(changed.port()), "--var-prefix", "p", "--json"});
  const auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out << json.err;
  EXPECT_EQ(j["compared"], 200);
  EXPECT_EQ(j["differing"], 20);
  EXPECT_EQ(j["messages"]["check"]["variables"].size(), 1u);
  EXPECT_EQ(j["messages"]["check"]["variables"]["txn.p.score"]["changed"], 20);
}

// The frames of a record are the ones on the wire, byte for byte; a NOTIFY whose connection ends before
// its call completes is recorded without an ACK: closed by HAProxy while the call runs, or answered
// after HAProxy's DISCONNECT (nothing may follow our AGENT-DISCONNECT); one answered without a handler
// is recorded with its empty ACK.
TEST_F(SpoaRecord, EachExchangeAsOnTheWireAndUnansweredNotifiesWithoutAck) {
  const auto file = dir_ / "wire.rec";
  AgentProcess agent({"-n", "1", "-f", v1_script, "--record", file.string(), "--log-level", "debug"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const spop::Argument path[] = {{"path", spop::Value::string("/item/5")}};
  const auto answered = notify_frame(3, 1, "check", path);
  const auto unhandled = notify_frame(4, 1, "nobody-handles-this", path);
  const auto closed = notify_frame(5, 1, "slow");
  const auto disconnected = notify_frame(6, 1, "slow");
  std::vector<std::byte> ack;
  {
    TestClient client(agent.port());
    ASSERT_TRUE(client.hello());
    ASSERT_TRUE(client.send(answered));
    const auto frame = client.read_frame();
    ASSERT_TRUE(frame);
    spop::FrameWriter w(ack, frame->header, spop::default_max_frame_size);
    w.payload().put_bytes(frame->payload);
    w.finish();
    ASSERT_TRUE(client.send(unhandled));
    ASSERT_TRUE(client.read_frame());
    ASSERT_TRUE(client.send(closed));
  }  // closed while "slow" runs: the connection ends first
  {
    TestClient client(agent.port());
    ASSERT_TRUE(client.hello());
    ASSERT_TRUE(client.send(disconnected));
    std::vector<std::byte> bye;
    spop::write_disconnect(bye, spop::FrameType::haproxy_disconnect, 0, "normal", spop::default_max_frame_size);
    ASSERT_TRUE(client.send(bye));
    // The connection lingers for our close: the call completes first, and its ACK is not sent.
    ASSERT_TRUE(agent.wait_log("call result dropped: the connection is closing")) << agent.log();
  }
  stop(agent);
  const Recording rec = read_recording(file);
  EXPECT_EQ(rec.error, "");
  ASSERT_EQ(rec.records.size(), 4u) << agent.log();
  std::map<std::uint64_t, const Recorded*> by_stream;
  for (const Recorded& r : rec.records) {
    spop::Frame frame;
    std::size_t used = 0;
    ASSERT_EQ(spop::split_frame(r.notify, max_frame, frame, used), spop::Errc::ok);
    by_stream[frame.header.stream_id] = &r;
  }
  ASSERT_EQ(by_stream.size(), 4u);
  EXPECT_EQ(by_stream[3]->notify, answered);
  EXPECT_EQ(by_stream[3]->ack, ack);
  EXPECT_EQ(by_stream[3]->meta.kind, RecordKind::exchange);
  EXPECT_EQ(by_stream[4]->notify, unhandled);
  EXPECT_EQ(by_stream[4]->meta.kind, RecordKind::exchange);
  EXPECT_EQ(by_stream[4]->ack.size(), 4u + 7u) << "an empty ACK";
  EXPECT_EQ(by_stream[5]->notify, closed);
  EXPECT_EQ(by_stream[6]->notify, disconnected);
  for (std::uint64_t sid : {5, 6}) {
    EXPECT_EQ(by_stream[sid]->meta.kind, RecordKind::notify_only) << sid;
    EXPECT_TRUE(by_stream[sid]->ack.empty()) << sid;
    EXPECT_EQ(by_stream[sid]->meta.ack_ns, 0) << sid;
  }
  EXPECT_EQ(by_stream[3]->meta.connection, by_stream[5]->meta.connection);
  EXPECT_NE(by_stream[5]->meta.connection, by_stream[6]->meta.connection);
}

// --record-sample 0.25 of 2,000 NOTIFYs (answered without a script): 500 expected, standard deviation
// 19.4; the bounds are 7 of those away, which chance never reaches.
TEST_F(SpoaRecord, SamplingRecordsRoughlyTheShareAsked) {
  const auto file = dir_ / "sampled.rec";
  AgentProcess agent({"-n", "1", "--record", file.string(), "--record-sample", "25%"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto run = traffic(agent.port(), "{connections: 2, in_flight: 8, count: 2000}");
  ASSERT_EQ(run.completed, 2000u);
  stop(agent);
  const Recording rec = read_recording(file);
  EXPECT_EQ(rec.error, "");
  EXPECT_GE(rec.records.size(), 364u);
  EXPECT_LE(rec.records.size(), 636u);
  EXPECT_THAT(agent.log(), HasSubstr("recording: " + std::to_string(rec.records.size()) + " exchange(s) written to " +
                                     file.string() + ", " + std::to_string(2000 - rec.records.size()) +
                                     " left out by --record-sample, 0 dropped"));
}

// Two workers append to one file and rotate it at 64K: nothing is lost or interleaved, every file
// starts with its header and reads to its end.
TEST_F(SpoaRecord, TwoWorkersShareAndRotateOneFile) {
  const auto file = dir_ / "shared.rec";
  constexpr unsigned max_files = 60;
  AgentProcess agent({"-n", "2", "--record", file.string(), "--record-max-size", "64K", "--record-max-files",
                      std::to_string(max_files)});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto workers = agent.workers();
  ASSERT_EQ(workers.size(), 2u);
  const std::set<std::uint32_t> both{static_cast<std::uint32_t>(workers[0]), static_cast<std::uint32_t>(workers[1])};
  // Every file, read to its end: how many records, from which workers.
  std::size_t total = 0;
  std::set<std::uint32_t> sources;
  std::size_t files = 0;
  const auto read_all = [&](bool check) {
    total = 0;
    sources.clear();
    files = 0;
    for (unsigned i = 0; i <= max_files; ++i) {
      const auto path = i == 0 ? file : std::filesystem::path(file.string() + "." + std::to_string(i));
      if (!std::filesystem::exists(path)) break;
      ++files;
      const Recording rec = read_recording(path);
      if (check) {
        EXPECT_EQ(mode_of(path), 0600u) << path;
        EXPECT_TRUE(rec.opened) << path;
        EXPECT_EQ(rec.error, "") << path;
        if (i > 0) {
          EXPECT_GE(std::filesystem::file_size(path), 64u << 10) << path;
        }
      }
      total += rec.records.size();
      for (const Recorded& r : rec.records) sources.insert(r.meta.source);
    }
    return total;
  };
  // Spread over 0.8 s: each worker writes several batches, and they rotate the file in turn. The
  // connections are shared between the workers by accept balancing, which a loaded machine can defeat
  // (a worker not scheduled within its millisecond): then a run lands on one worker, and another run
  // (new connections) is made, at most 5.
  std::size_t sent = 0;
  for (int run_no = 0; run_no < 5 && sources != both; ++run_no) {
    const auto run = traffic(agent.port(), "{connections: 8, rate: 5000, count: 4000}");
    ASSERT_EQ(run.completed, 4000u);
    sent += 4000;
    ASSERT_TRUE(poll_until([&] { return read_all(false) == sent; })) << total << " of " << sent;
  }
  stop(agent);
  read_all(true);
  // 4,000 records of about 110 bytes make 7 times 64K, but a file is rotated after the batch that takes
  // it past the size, and how records fall into batches depends on timing.
  EXPECT_GE(files, 2u);
  EXPECT_LE(files, max_files + 1);
  EXPECT_EQ(total, sent);
  EXPECT_EQ(sources, both) << "the connections of 5 runs were shared by both workers";
}

// logrotate moves the file away and sends SIGHUP: the workers start a new file, the old one is whole.
TEST_F(SpoaRecord, SighupAfterTheFileWasMovedAwayStartsANewOne) {
  const auto file = dir_ / "rotated.rec";
  const auto moved = dir_ / "rotated.rec-20261206";
  AgentProcess agent({"-n", "1", "--record", file.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  ASSERT_EQ(traffic(agent.port(), "{connections: 1, in_flight: 4, count: 100}").completed, 100u);
  ASSERT_TRUE(poll_until([&] { return records_in(file) == 100; })) << records_in(file);
  std::filesystem::rename(file, moved);
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("reload complete")) << agent.log();
  ASSERT_EQ(traffic(agent.port(), "{connections: 1, in_flight: 4, count: 60}").completed, 60u);
  ASSERT_TRUE(poll_until([&] { return records_in(file) == 60; })) << records_in(file);
  EXPECT_EQ(mode_of(file), 0600u);
  const Recording old = read_recording(moved);
  EXPECT_EQ(old.error, "");
  EXPECT_EQ(old.records.size(), 100u);
  stop(agent);
  EXPECT_EQ(records_in(file), 60u);
}

// --record-redact ip with two workers: the client addresses are gone, and each of the three became one
// other value, the same in both workers (one key per agent run). The path, not redacted, carries the
// client's address in clear (/item/<n>/<address>), which tells what each hash stands for.
TEST_F(SpoaRecord, RedactionKeepsEqualInputsEqualAcrossWorkers) {
  const auto file = dir_ / "redacted.rec";
  AgentProcess agent({"-n", "2", "--record", file.string(), "--record-redact", "ip"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  // Accept balancing shares the connections between the workers, which a loaded machine can defeat (a
  // worker not scheduled within its millisecond): then another run (new connections) is made, at most 5.
  std::size_t sent = 0;
  std::set<std::uint32_t> sources;
  for (int run_no = 0; run_no < 5 && sources.size() < 2; ++run_no) {
    ASSERT_EQ(traffic(agent.port(), "{connections: 8, in_flight: 4, count: 600}", "/item/{seq}/{client_ip}").completed,
              600u);
    sent += 600;
    ASSERT_TRUE(poll_until([&] { return records_in(file) == sent; })) << records_in(file) << " of " << sent;
    for (const Recorded& r : read_recording(file).records) sources.insert(r.meta.source);
  }
  stop(agent);
  const Recording rec = read_recording(file);
  EXPECT_EQ(rec.error, "");
  ASSERT_EQ(rec.records.size(), sent);
  EXPECT_TRUE(rec.header.redacted());
  EXPECT_NE(rec.header.key_id, 0u);
  std::map<std::string, std::set<std::string>> hashes_of;               // client address -> recorded ip values
  std::map<std::string, std::set<std::uint32_t>> workers_of;            // client address -> workers that saw it
  for (const Recorded& r : rec.records) {
    const std::string ip = argument(r.notify, "ip");
    const std::string path = argument(r.notify, "path");  // str:"/item/<n>/<address>"
    EXPECT_THAT(ip, testing::StartsWith("ipv4:"));
    EXPECT_EQ(argument(r.notify, "n"), "int64:7");
    ASSERT_THAT(path, testing::StartsWith("str:\"/item/"));
    const std::string client = "ipv4:" + path.substr(path.rfind('/') + 1, path.size() - path.rfind('/') - 2);
    hashes_of[client].insert(ip);
    workers_of[client].insert(r.meta.source);
  }
  ASSERT_EQ(hashes_of.size(), 3u);
  std::set<std::string> all_hashes;
  bool seen_by_both = false;
  for (const auto& [client, hashes] : hashes_of) {
    EXPECT_EQ(hashes.size(), 1u) << client << " became one value, in every worker";
    EXPECT_EQ(hashes.count(client), 0u) << client << " is not recorded in clear";
    all_hashes.insert(hashes.begin(), hashes.end());
    seen_by_both = seen_by_both || workers_of[client].size() == 2;
  }
  EXPECT_EQ(all_hashes.size(), 3u) << "three addresses, three values";
  ASSERT_EQ(sources.size(), 2u) << "the connections of 5 runs were shared by both workers";
  EXPECT_TRUE(seen_by_both) << "one address at least came to both workers";
}

// A path that cannot be written: one log line, every request answered; once it can be (the directory
// made) SIGHUP tries again at once instead of in 10 s, and the worker says so.
TEST_F(SpoaRecord, AnUnwritablePathIsLoggedOnceAndServingContinues) {
  const auto missing = dir_ / "not-yet";
  const auto file = missing / "t.rec";
  AgentProcess agent({"-n", "1", "--record", file.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::string stopped = "recording stopped: cannot create " + file.string() +
                              ": No such file or directory; serving continues without recording, trying again "
                              "every 10 s";
  auto run = traffic(agent.port(), "{connections: 2, in_flight: 4, count: 100}");
  EXPECT_EQ(run.completed, 100u);
  EXPECT_EQ(run.errors, 0u);
  ASSERT_TRUE(agent.wait_log(stopped)) << agent.log();
  run = traffic(agent.port(), "{connections: 2, in_flight: 4, count: 100}");
  EXPECT_EQ(run.completed, 100u);
  EXPECT_EQ(run.errors, 0u);
  std::filesystem::create_directory(missing);
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("reload complete")) << agent.log();
  ASSERT_EQ(traffic(agent.port(), "{connections: 1, in_flight: 4, count: 50}").completed, 50u);
  const std::string resumed = "recording to " + file.string() + " resumed (";
  ASSERT_TRUE(agent.wait_log(resumed)) << agent.log();
  stop(agent);
  EXPECT_EQ(count_of(agent.log(), "recording stopped"), 1u) << agent.log();
  // Every exchange is either dropped or written: the first 100 were dropped, the last 50 written, the 100
  // in between dropped unless SIGHUP came while they were still buffered.
  const std::string log = agent.log();
  const std::size_t at = log.find(resumed) + resumed.size();
  const std::size_t dropped = std::stoul(log.substr(at));
  const std::string rest = " records were dropped meanwhile)\n";
  EXPECT_EQ(log.substr(log.find(' ', at), rest.size()), rest) << log;
  EXPECT_GE(dropped, 100u);
  EXPECT_LE(dropped, 200u);
  EXPECT_EQ(records_in(file), 250u - dropped);
}

}  // namespace
}  // namespace spoa::test
