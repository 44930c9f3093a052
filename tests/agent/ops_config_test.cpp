// --config FILE (YAML, keys = long option names, the command line wins) and --check.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "agent/options.hpp"
#include "agent/state/embedded_store.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"

namespace spoa::test {
namespace {

using std::chrono::milliseconds;

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text, const std::string& name = "spoa.yaml") {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // Parses with the config file first; `err` receives what went to stderr.
  ParseResult parse(std::vector<std::string> args, std::string* err = nullptr) { return parse_args(std::move(args), err); }

  std::filesystem::path dir_;
};

TEST_F(ConfigFile, KeysAreLongOptionNames) {
  auto file = write(R"(# spoa settings
workers: 3
port: 9000
address: [127.0.0.1, "::1"]
call-budget: 250ms
no-pipelining: true
async: false
log-format: json
log-target: syslog
syslog-facility: local2
)");
  auto r = parse({"--config", file});
  ASSERT_TRUE(r.options);
  const Options& o = *r.options;
  EXPECT_EQ(o.workers, 3u);
  EXPECT_EQ(o.port, 9000);
  EXPECT_TRUE(o.port_given);
  EXPECT_EQ(o.addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(o.engine.call_budget, milliseconds(250));
  EXPECT_FALSE(o.agent.pipelining);
  EXPECT_FALSE(o.agent.async);
  EXPECT_EQ(o.log_output.format, LogFormat::json);
  EXPECT_EQ(o.log_output.target, LogTarget::syslog);
  EXPECT_EQ(o.log_output.syslog_facility, 18 << 3);
  EXPECT_EQ(o.config_file, std::filesystem::path(file));
}

TEST_F(ConfigFile, LogDefaultsWithoutAFile) {
  auto r = parse({});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->log_output.target, LogTarget::stderr_stream);
  EXPECT_EQ(r.options->log_output.format, LogFormat::text);
  EXPECT_EQ(r.options->log_output.syslog_facility, 3 << 3) << "daemon";
  EXPECT_EQ(r.options->log_output.syslog_socket, "/dev/log");
  EXPECT_FALSE(r.options->config_file);
  EXPECT_FALSE(r.options->check);
}

TEST_F(ConfigFile, CommandLineWins) {
  auto file = write("workers: 3\nport: 9000\naddress: [127.0.0.1]\ndebug: true\n");
  auto r = parse({"-n", "7", "--config", file, "--address", "::1", "-d"});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->port, 9000) << "not on the command line: from the file";
  EXPECT_EQ(r.options->addresses, (std::vector<std::string>{"::1"})) << "the command line's list replaces the file's";
  EXPECT_TRUE(r.options->debug) << "a switch set in both places is no error";
  auto n = parse({"--config", write("workers: 3\n", "n.yaml"), "--workers", "7"});
  ASSERT_TRUE(n.options);
  EXPECT_EQ(n.options->workers, 7u);
}

TEST_F(ConfigFile, MistakesNameFileAndLine) {
  std::string err;
  auto unknown = parse({"--config", write("workers: 2\n\nwokers: 3\n")}, &err);
  EXPECT_FALSE(unknown.options);
  EXPECT_EQ(unknown.exit_status, 1);
  EXPECT_NE(err.find("spoa.yaml:3: unknown option 'wokers'"), std::string::npos) << err;

  auto list = parse({"--config", write("port: [1, 2]\n")}, &err);
  EXPECT_FALSE(list.options);
  EXPECT_NE(err.find("spoa.yaml:1: option 'port' takes one value, not a list"), std::string::npos) << err;

  auto not_bool = parse({"--config", write("async: sometimes\n")}, &err);
  EXPECT_FALSE(not_bool.options);
  EXPECT_NE(err.find("spoa.yaml:1: option 'async' is a switch: its value must be true or false"), std::string::npos)
      << err;

  auto syntax = parse({"--config", write("workers: 2\nport: [1\n")}, &err);
  EXPECT_FALSE(syntax.options);
  EXPECT_NE(err.find("spoa.yaml:"), std::string::npos) << err;

  auto nested = parse({"--config", write("config: other.yaml\n")}, &err);
  EXPECT_FALSE(nested.options);
  EXPECT_NE(err.find("unknown option 'config'"), std::string::npos) << err;

  auto twice = parse({"--config", write("workers: 2\nworkers: 3\n")}, &err);
  EXPECT_FALSE(twice.options);
  EXPECT_NE(err.find("spoa.yaml:2: option 'workers' is set twice"), std::string::npos) << err;

  auto scalar = parse({"--config", write("just a string\n")}, &err);
  EXPECT_FALSE(scalar.options);
  EXPECT_NE(err.find("expected a mapping"), std::string::npos) << err;

  auto missing = parse({"--config", (dir_ / "nope.yaml").string()}, &err);
  EXPECT_FALSE(missing.options);
  EXPECT_NE(err.find("cannot read config file"), std::string::npos) << err;

  // A value the file gives is checked like the same value on the command line.
  auto bad_value = parse({"--config", write("log-target: printer\n")}, &err);
  EXPECT_FALSE(bad_value.options);
  EXPECT_NE(err.find("bad value for --log-target: 'printer'"), std::string::npos) << err;
}

TEST_F(ConfigFile, ShippedExampleParses) {
  auto r = parse({"--config", std::string(SPOP_SOURCE_DIR) + "/examples/spoa.yaml"});
  ASSERT_TRUE(r.options);
  EXPECT_FALSE(r.options->files.empty());
}

// A TCP port held by the test: if --check tried to listen there, it would fail with status 3.
class HeldPort {
 public:
  HeldPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  std::string port() const { return std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(ConfigFile, CheckPrintsWhatWouldRunWithoutListening) {
  std::ofstream(dir_ / "h.lua") << "spoa.register_message('alpha', function() end)\n"
                                   "spoa.register_message('beta', function() end)\n";
  HeldPort held;
  auto file = write("workers: 3\nfile: [" + (dir_ / "h.lua").string() + "]\nhello-timeout: 2s\nlog-target: journal\n");
  auto r = run_spoa({"--config", file, "--check", "-p", held.port(), "--address", "127.0.0.1"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.out.find("listen:          127.0.0.1:" + held.port()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("workers:         3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("h.lua: alpha, beta"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello 2s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("target journal"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("state:           embedded store, 16M (" +
                       std::to_string(EmbeddedStore::capacity_for(std::size_t{16} << 20)) + " keys), no key prefix\n"),
            std::string::npos)
      << r.out;
}

TEST_F(ConfigFile, RecordOptionsFromTheFileAndTheCheckLine) {
  auto file = write("record: " + (dir_ / "traffic.rec").string() +
                    "\nrecord-sample: 10%\nrecord-max-size: 64K\nrecord-max-files: 2\nrecord-redact: [src, xff]\n");
  auto r = parse({"--config", file});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->record.path, dir_ / "traffic.rec");
  EXPECT_DOUBLE_EQ(r.options->record.sample, 0.1);
  EXPECT_EQ(r.options->record.max_size, 65536u);
  EXPECT_EQ(r.options->record.max_files, 2u);
  EXPECT_EQ(r.options->record.redact, (std::vector<std::string>{"src", "xff"}));

  // --check shows the recording.
  HeldPort held;
  auto check = run_spoa({"--config", file, "--check", "-p", held.port(), "--address", "127.0.0.1"});
  EXPECT_EQ(check.exit_status, 0) << check.err;
  const std::string line = (dir_ / "traffic.rec").string() +
                           ", 10% of the NOTIFYs, rotated at 64K (2 files kept), values of src, xff redacted";
  EXPECT_NE(check.out.find("record:          " + line + "\n"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("configuration OK"), std::string::npos) << check.out;
  EXPECT_EQ(check.err, "");

  auto missing_dir = run_spoa({"--check", "--record", (dir_ / "no" / "such" / "x.rec").string()});
  EXPECT_NE(missing_dir.out.find("(directory " + (dir_ / "no" / "such").string() + " does not exist)"),
            std::string::npos)
      << missing_dir.out;

  // The workers record with the file's settings (nothing is written before the first NOTIFY).
  AgentProcess agent({"--config", file, "-n", "1", "--log-level", "debug"});
  ASSERT_TRUE(agent.ready()) << agent.log();
  EXPECT_TRUE(agent.wait_log("recording to " + line)) << agent.log();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "traffic.rec"));
}

TEST_F(ConfigFile, CheckFailsOnABrokenScript) {
  std::ofstream(dir_ / "bad.lua") << "spoa.register_message('x', function() end\n";
  auto r = run_spoa({"--check", "-f", (dir_ / "bad.lua").string()});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("bad.lua:"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("configuration OK"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace spoa::test
