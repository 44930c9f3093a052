// spoa's log outputs: stderr as text and as JSON lines, syslog through a datagram socket, and the
// systemd journal. Each run serves one healthy NOTIFY (which must log nothing at info) and one whose
// handler fails with a two-line error (which must be one record carrying the connection, ids and
// message name).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/log_format.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/datagram_socket.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {
namespace {

constexpr const char* script_text = R"(
spoa.register_message("fine", function(args) spoa.set_var_int32("x", spoa.scope.txn, 1) end)
spoa.register_message("boom", function(args) error("first line\nsecond line", 0) end)
)";

// The Lua engine's detail: the error text, then Lua's traceback, all in one record.
constexpr const char* failure_text = "script error: boom: first line\nsecond line\nstack traceback:\n";

class Logging : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    std::ofstream(dir_ / "h.lua") << script_text;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a{"-n", "1", "-f", (dir_ / "h.lua").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // One healthy NOTIFY (stream 4, frame 1), then a failing one (stream 5, frame 3), both answered.
  static void traffic(TestClient& c) {
    ASSERT_TRUE(c.hello());
    ASSERT_TRUE(c.notify(4, 1, "fine"));
    ASSERT_TRUE(c.read_frame());
    ASSERT_TRUE(c.notify(5, 3, "boom"));
    ASSERT_TRUE(c.read_frame());
  }

  std::filesystem::path dir_;
};

// "2026-01-31 12:00:00.123 [error] [w0 4242] rest": level, worker and rest, or nullopt.
struct TextRecord {
  std::string level, worker, rest;
};
std::optional<TextRecord> parse_text_record(const std::string& line) {
  int y, mo, d, h, mi, sec, ms, pid, n = -1;
  char level[16] = {}, worker[16] = {};
  if (std::sscanf(line.c_str(), "%4d-%2d-%2d %2d:%2d:%2d.%3d [%15[a-z]] [%15[a-z0-9] %d] %n", &y, &mo, &d, &h, &mi,
                  &sec, &ms, level, worker, &pid, &n) != 10 || n < 0) {
    return std::nullopt;
  }
  return TextRecord{level, worker, line.substr(static_cast<std::size_t>(n))};
}

// "2026-01-31T12:00:00.123Z"
bool is_utc_time(const std::string& t) {
  int y, mo, d, h, mi, sec, ms, n = -1;
  return std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &sec, &ms, &n) == 7 &&
         n == static_cast<int>(t.size()) && t.size() == 24;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_F(Logging, StderrTextNamesWorkerConnectionIdsAndMessage) {
  AgentProcess agent(args({}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  traffic(c);
  ASSERT_TRUE(agent.wait_log("second line")) << agent.log();
  auto lines = lines_of(agent.log());
  // "2026-01-31 12:00:00.123 [error] [w0 4242] c1 s5/f3 boom: script error: first line" + continuation.
  std::size_t error_at = lines.size(), connection_records = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto m = parse_text_record(lines[i]);
    if (!m) continue;
    EXPECT_TRUE(m->worker == "main" || m->worker == "sup" || m->worker == "w0") << lines[i];
    if (m->rest.rfind("c1 ", 0) == 0 || m->rest.rfind("c1:", 0) == 0) ++connection_records;
    if (m->level == "error") error_at = i;
  }
  ASSERT_LT(error_at, lines.size()) << agent.log();
  EXPECT_NE(lines[error_at].find("[w0 "), std::string::npos);
  EXPECT_NE(lines[error_at].find("] c1 s5/f3 boom: script error: boom: first line"), std::string::npos)
      << lines[error_at];
  ASSERT_LT(error_at + 2, lines.size());
  EXPECT_EQ(lines[error_at + 1], "second line") << "the error text continues the same record";
  EXPECT_EQ(lines[error_at + 2], "stack traceback:");
  EXPECT_EQ(connection_records, 1u) << "at info, the healthy NOTIFY logs nothing:\n" << agent.log();
}

TEST_F(Logging, StderrJsonIsOneObjectPerRecord) {
  AgentProcess agent(args({"--log-format", "json"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  traffic(c);
  ASSERT_TRUE(agent.wait_log("second line")) << agent.log();
  std::vector<nlohmann::json> records;
  for (const auto& line : lines_of(agent.log())) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    records.push_back(j);
  }
  ASSERT_FALSE(records.empty());
  std::vector<nlohmann::json> with_conn;
  for (const auto& r : records) {
    EXPECT_TRUE(r.contains("time") && r.contains("level") && r.contains("worker") && r.contains("pid") &&
                r.contains("message"))
        << r;
    EXPECT_TRUE(is_utc_time(r["time"].get<std::string>())) << r;
    if (r.contains("conn")) with_conn.push_back(r);
  }
  ASSERT_EQ(with_conn.size(), 1u) << "only the failure is logged at info";
  const auto& e = with_conn[0];
  EXPECT_EQ(e["level"], "error");
  EXPECT_EQ(e["worker"], "w0");
  EXPECT_EQ(e["conn"], 1);
  EXPECT_EQ(e["stream"], 5);
  EXPECT_EQ(e["frame"], 3);
  EXPECT_EQ(e["spop_message"], "boom");
  EXPECT_EQ(e["message"].get<std::string>().rfind(failure_text, 0), 0u) << e["message"];
}

TEST_F(Logging, SyslogGetsOneDatagramPerRecordWithFacilityAndSeverity) {
  DatagramSocket syslogd(dir_ / "log");
  ASSERT_TRUE(syslogd.bound());
  AgentProcess agent(args({"--log-target", "syslog", "--syslog-socket", syslogd.path().string(),
                           "--syslog-facility", "local3"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  traffic(c);
  // local3 = 19 << 3 = 152; err = 3; info = 6.
  auto error = syslogd.receive_until([](const std::string& d) { return d.rfind("<155>", 0) == 0; });
  ASSERT_TRUE(error);
  // "<155>Jan 31 12:00:00 spoa[4242]: [w0 4242] c1 s5/f3 boom: script error: ..."
  char month[4] = {};
  int day, h, mi, sec, pid, wpid, n = -1;
  ASSERT_EQ(std::sscanf(error->c_str(), "<155>%3[A-Za-z] %2d %2d:%2d:%2d spoa[%d]: [w0 %d] %n", month, &day, &h, &mi,
                        &sec, &pid, &wpid, &n),
            7)
      << *error;
  ASSERT_GT(n, 0);
  EXPECT_EQ(error->substr(static_cast<std::size_t>(n)).rfind(std::string("c1 s5/f3 boom: ") + failure_text, 0), 0u)
      << *error;
  EXPECT_EQ(agent.log(), "") << "records go to syslog only";
}

TEST_F(Logging, SyslogBodyCanBeJson) {
  DatagramSocket syslogd(dir_ / "log");
  ASSERT_TRUE(syslogd.bound());
  AgentProcess agent(args({"--log-target", "syslog", "--syslog-socket", syslogd.path().string(), "--log-format", "json"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  auto ready = syslogd.receive_until([](const std::string& d) { return d.find("worker(s) ready") != std::string::npos; });
  ASSERT_TRUE(ready);
  ASSERT_EQ(ready->rfind("<30>", 0), 0u) << "daemon.info by default: " << *ready;
  auto body = nlohmann::json::parse(ready->substr(ready->find("]: ") + 3), nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << *ready;
  EXPECT_EQ(body["worker"], "sup");
  EXPECT_EQ(body["level"], "info");
}

// Native journal protocol: "KEY=value\n", or "KEY\n" + 64-bit little-endian length + value + "\n".
std::map<std::string, std::string> journal_entry(const std::string& d) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < d.size()) {
    auto nl = d.find('\n', i);
    if (nl == std::string::npos) break;
    auto eq = d.find('=', i);
    if (eq != std::string::npos && eq < nl) {
      out[d.substr(i, eq - i)] = d.substr(eq + 1, nl - eq - 1);
      i = nl + 1;
      continue;
    }
    std::string key = d.substr(i, nl - i);
    std::uint64_t len = 0;
    if (nl + 1 + 8 > d.size()) break;
    std::memcpy(&len, d.data() + nl + 1, 8);  // little-endian on every machine we build on
    out[key] = d.substr(nl + 9, len);
    i = nl + 9 + len + 1;
  }
  return out;
}

TEST(JournalFields, CarryContextAndPriority) {
  auto fields = journal_fields(spdlog::level::err, "script error: a\nb", LogContext::of_frame(17, 300, 1, "check-ip"));
  auto has = [&](const std::string& f) { return std::find(fields.begin(), fields.end(), f) != fields.end(); };
  EXPECT_TRUE(has("MESSAGE=script error: a\nb"));
  EXPECT_TRUE(has("PRIORITY=3"));
  EXPECT_TRUE(has("SYSLOG_IDENTIFIER=spoa"));
  EXPECT_TRUE(has("SPOA_CONN=17"));
  EXPECT_TRUE(has("SPOA_STREAM=300"));
  EXPECT_TRUE(has("SPOA_FRAME=1"));
  EXPECT_TRUE(has("SPOA_MESSAGE=check-ip"));
  auto plain = journal_fields(spdlog::level::info, "ready", LogContext{});
  for (const auto& f : plain) {
    EXPECT_NE(f.rfind("SPOA_CONN=", 0), 0u) << "no connection, no SPOA_CONN";
    EXPECT_NE(f.rfind("SPOA_STREAM=", 0), 0u);
  }
  EXPECT_NE(std::find(plain.begin(), plain.end(), "PRIORITY=6"), plain.end());
}

// sd_journal_send() always writes to /run/systemd/journal/socket. Without systemd (a container, CI)
// the test binds that path itself as root; on a host where journald owns it, the test is skipped.
TEST_F(Logging, JournalEntriesHaveSpoaFields) {
  const std::filesystem::path socket = "/run/systemd/journal/socket";
  if (::geteuid() != 0) GTEST_SKIP() << "binding " << socket << " needs root";
  struct stat st {};
  if (::lstat(socket.c_str(), &st) == 0) GTEST_SKIP() << socket << " exists (a real journald?): not taking it over";
  bool made_dir = !std::filesystem::exists(socket.parent_path());
  std::error_code ec;
  std::filesystem::create_directories(socket.parent_path(), ec);
  struct Cleanup {
    bool remove_dir;
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code e;
      if (remove_dir) std::filesystem::remove(dir, e);
    }
  } cleanup{made_dir, socket.parent_path()};
  DatagramSocket journald(socket);
  ASSERT_TRUE(journald.bound()) << "cannot bind " << socket;

  AgentProcess agent(args({"--log-target", "journal"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient c(agent.port());
  traffic(c);
  auto error = journald.receive_until([](const std::string& d) { return journal_entry(d)["PRIORITY"] == "3"; });
  ASSERT_TRUE(error);
  auto e = journal_entry(*error);
  EXPECT_EQ(e["MESSAGE"].rfind(failure_text, 0), 0u) << e["MESSAGE"];
  EXPECT_EQ(e["SYSLOG_IDENTIFIER"], "spoa");
  EXPECT_EQ(e["SPOA_WORKER"], "w0");
  EXPECT_EQ(e["SPOA_CONN"], "1");
  EXPECT_EQ(e["SPOA_STREAM"], "5");
  EXPECT_EQ(e["SPOA_FRAME"], "3");
  EXPECT_EQ(e["SPOA_MESSAGE"], "boom");
  EXPECT_EQ(agent.log(), "");
}

}  // namespace
}  // namespace spoa::test
