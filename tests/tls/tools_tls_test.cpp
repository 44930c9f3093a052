// spop-cli (send, hello, check) and spop-sim (run, conform) over TLS, against the TLS test server
// answering SPOP: the --tls-* options, haproxy.cfg's `ssl ... ca-file ... crt ... sni ...`, and the
// failures each tool reports when the CA, the client certificate or the name is wrong.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "simulator/conform/runner.hpp"
#include "simulator/run/run_options.hpp"
#include "simulator/run/runner.hpp"
#include "tests/spop-cli/run_cli.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certs.hpp"
#include "tests/tls/tls_test_agent.hpp"

namespace spoa::tls::test {
namespace {

using spop::test::test_certs;
using spop_cli::test::run_cli;

TlsTestAgent::Settings spop_server(bool mutual) {
  TlsTestAgent::Settings s;
  s.tls.cert = test_certs().server_cert();
  s.tls.key = test_certs().server_key();
  if (mutual) s.tls.ca = test_certs().ca();
  return s;
}

std::vector<std::string> cli(std::vector<std::string> args, const TlsTestAgent& server) {
  args.insert(args.end(), {"-p", server.port_text(), "--timeout", "5s"});
  return args;
}

TEST(SpopCliTls, HelloCheckAndSendOverMutualTls) {
  TlsTestAgent server(spop_server(true));
  const std::string ca = test_certs().ca().string();
  const std::string cert = test_certs().client_cert().string();
  const std::string key = test_certs().client_key().string();

  auto hello = run_cli(cli({"hello", "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key}, server));
  EXPECT_EQ(hello.status, 0) << hello.err;
  EXPECT_NE(hello.out.find("tls:            TLSv1.3"), std::string::npos) << hello.out;
  EXPECT_NE(hello.out.find("agent certificate CN=localhost"), std::string::npos) << hello.out;

  auto check = run_cli(cli({"check", "--tls", "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key}, server));
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_EQ(check.out.rfind("SPOP OK - 127.0.0.1:" + server.port_text(), 0), 0u) << check.out;

  auto send = run_cli(cli({"send", "--tls-ca", ca, "--tls-cert", test_certs().file("client-combined.pem").string(),
                           "-m", "check-client-ip", "-a", "ip=ipv4:192.0.2.1"},
                          server));
  EXPECT_EQ(send.status, 0) << send.err;
  EXPECT_NE(send.out.find("ACK stream-id="), std::string::npos) << send.out;
  EXPECT_GE(server.notifies(), 1u);
}

TEST(SpopCliTls, FailuresAreNamedWithExitStatus3) {
  TlsTestAgent server(spop_server(true));
  const std::string ca = test_certs().ca().string();

  auto no_cert = run_cli(cli({"hello", "--tls-ca", ca}, server));
  EXPECT_EQ(no_cert.status, 3) << no_cert.err;
  EXPECT_NE(no_cert.err.find("it requires a client certificate (--tls-cert)"), std::string::npos) << no_cert.err;

  auto wrong_ca = run_cli(cli({"hello", "--tls-ca", test_certs().file("other-ca.pem").string()}, server));
  EXPECT_EQ(wrong_ca.status, 3) << wrong_ca.err;
  EXPECT_NE(wrong_ca.err.find("the agent's certificate does not verify"), std::string::npos) << wrong_ca.err;

  auto wrong_name = run_cli(cli({"hello", "--tls-ca", ca, "--tls-cert", test_certs().client_cert().string(),
                                 "--tls-key", test_certs().client_key().string(), "--tls-server-name", "other.example"},
                                server));
  EXPECT_EQ(wrong_name.status, 3) << wrong_name.err;
  EXPECT_NE(wrong_name.err.find("hostname mismatch"), std::string::npos) << wrong_name.err;

  auto check = run_cli(cli({"check", "--tls-insecure"}, server));
  EXPECT_EQ(check.status, 2) << check.out;
  EXPECT_EQ(check.out.rfind("SPOP CRITICAL - ", 0), 0u) << check.out;

  // Plaintext to the TLS port: the agent closes, the client says so.
  auto plain = run_cli(cli({"hello"}, server));
  EXPECT_EQ(plain.status, 2) << plain.err;
}

TEST(SpopCliTls, InsecureSkipsVerificationAndUsageErrors) {
  TlsTestAgent server(spop_server(false));
  auto insecure = run_cli(cli({"hello", "--tls-insecure"}, server));
  EXPECT_EQ(insecure.status, 0) << insecure.err;

  auto key_only = run_cli({"hello", "--tls-key", "k.pem"});
  EXPECT_EQ(key_only.status, 1);
  EXPECT_NE(key_only.err.find("--tls-key needs --tls-cert"), std::string::npos) << key_only.err;
  auto unix_tls = run_cli({"hello", "--unix", "/run/spoa.sock", "--tls"});
  EXPECT_EQ(unix_tls.status, 1);
  EXPECT_NE(unix_tls.err.find("--tls cannot be used with --unix"), std::string::npos) << unix_tls.err;
  auto bad_ca = run_cli(cli({"hello", "--tls-ca", "/nonexistent/ca.pem"}, server));
  EXPECT_EQ(bad_ca.status, 1) << bad_ca.err;
  EXPECT_NE(bad_ca.err.find("cannot read /nonexistent/ca.pem"), std::string::npos) << bad_ca.err;
}

TEST(SpopSimConformTls, HandshakeChecksPassOverMutualTls) {
  TlsTestAgent server(spop_server(true));
  spop::sim::conform::RunOptions o;
  o.endpoint.port = server.port();
  auto client = spop::netclient::TlsClientOptions{};
  client.enabled = true;
  client.ca = test_certs().ca();
  client.cert = test_certs().client_cert();
  client.key = test_certs().client_key();
  o.tls = std::make_shared<const spop::netclient::ClientContext>(client);
  ASSERT_EQ(spop::sim::conform::select_checks({"HS-01", "HS-02", "HS-08", "HS-15"}, o.checks), "");
  std::string error;
  const auto report = spop::sim::conform::run_suite(o, error);
  ASSERT_TRUE(report) << error;
  EXPECT_EQ(report->failures(), 0u);
  EXPECT_EQ(report->count(spop::sim::conform::Verdict::pass), report->results.size());
  EXPECT_GE(report->results.size(), 4u);

  // Without a client certificate the agent refuses: unreachable.
  client.cert.clear();
  client.key.clear();
  o.tls = std::make_shared<const spop::netclient::ClientContext>(client);
  const auto refused = spop::sim::conform::run_suite(o, error);
  if (refused) EXPECT_GT(refused->failures(), 0u) << "every check fails without a certificate";
  else EXPECT_FALSE(error.empty());
}

// spop-sim run reads `ssl verify required ca-file ... crt ... sni str(...)` from haproxy.cfg.
class SpopSimRunTls : public ::testing::Test {
 protected:
  spop::sim::RunOptions options(const std::string& server_params, std::uint16_t port) {
    const auto dir = spop::test::scratch_dir("sim-tls");
    std::ofstream(dir / "spoe.conf") << "[agent]\nspoe-agent a\n  messages m1\n  option var-prefix p\n"
                                        "  timeout hello 2s\n  timeout idle 10s\n  timeout processing 2s\n"
                                        "  use-backend agents\n"
                                        "spoe-message m1\n  args ip=src\n  event on-frontend-http-request\n";
    std::ofstream(dir / "haproxy.cfg") << "frontend f\n  mode http\n  bind :8080\n"
                                          "  filter spoe engine agent config spoe.conf\n"
                                          "backend agents\n  mode tcp\n  server s1 127.0.0.1:"
                                       << port << " " << server_params << "\n";
    std::ofstream(dir / "scenario.yaml") << "load: {connections: 2, in_flight: 4, count: 200}\nrequests:\n  - path: /\n";
    spop::sim::RunOptions o;
    o.haproxy_config = (dir / "haproxy.cfg").string();
    o.engine = "agent";
    o.scenario = (dir / "scenario.yaml").string();
    o.quiet = true;
    return o;
  }
};

TEST_F(SpopSimRunTls, TrafficOverMutualTlsFromTheServerLine) {
  TlsTestAgent server(spop_server(true));
  const auto& c = test_certs();
  auto o = options("ssl verify required ca-file " + c.ca().string() + " crt " +
                       c.file("client-combined.pem").string() + " sni str(localhost)",
                   server.port());
  const auto plan = spop::sim::make_plan(o);
  EXPECT_TRUE(plan.tls.enabled);
  EXPECT_EQ(plan.tls.sni, "localhost");
  const auto report = spop::sim::run_simulation(plan, {});
  EXPECT_EQ(report.completed, 200u);
  EXPECT_EQ(report.errors, 0u);
  EXPECT_EQ(report.agent, "127.0.0.1:" + server.port_text() + " (TLS)");
  ASSERT_TRUE(server.wait_handshakes(2));
  for (const auto& h : server.handshakes()) {
    EXPECT_TRUE(h.result.ok()) << h.result.reason;
    EXPECT_EQ(h.server_name, "localhost");
    EXPECT_NE(h.result.reason.find("client CN=spop-test client"), std::string::npos);
  }
}

TEST_F(SpopSimRunTls, WrongCaIsAConnectError) {
  TlsTestAgent server(spop_server(false));
  auto o = options("ssl verify required ca-file " + test_certs().file("other-ca.pem").string(), server.port());
  const auto report = spop::sim::run_simulation(spop::sim::make_plan(o), {});
  EXPECT_EQ(report.completed, 0u);
  bool named = false;
  for (const auto& [kind, n] : report.errors_by_kind) named = named || kind.find("does not verify") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST_F(SpopSimRunTls, CommandLineOverridesAndVerifyNeedsACaFile) {
  TlsTestAgent server(spop_server(false));
  // verify required (HAProxy's default) without ca-file: HAProxy refuses the configuration, so do we.
  EXPECT_THROW(spop::sim::make_plan(options("ssl", server.port())), std::exception);
  // `verify none` needs no CA.
  auto none = options("ssl verify none", server.port());
  const auto report = spop::sim::run_simulation(spop::sim::make_plan(none), {});
  EXPECT_EQ(report.completed, 200u);
  // --tls-* on the command line replaces the server line's settings.
  auto o = options("ssl verify required ca-file /nonexistent.pem", server.port());
  spop::netclient::TlsClientOptions t;
  t.enabled = true;
  t.ca = test_certs().ca();
  o.tls = t;
  const auto over = spop::sim::run_simulation(spop::sim::make_plan(o), {});
  EXPECT_EQ(over.completed, 200u);
}

#ifdef SPOA_LOAD_PATH
// The benchmark's load generator over mutual TLS (bench/run-agent-bench.sh with TLS=1), against the
// test server: every NOTIFY is answered.
TEST(SpoaLoadTls, PipelinedNotifiesOverMutualTls) {
  TlsTestAgent server(spop_server(true));
  const auto& c = test_certs();
  const std::string command = std::string(SPOA_LOAD_PATH) + " -p " + server.port_text() + " -c 2 -d 10 -n 2000" +
                              " --tls-ca " + c.ca().string() + " --tls-cert " + c.client_cert().string() +
                              " --tls-key " + c.client_key().string() + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  EXPECT_EQ(::pclose(pipe.release()), 0) << out;
  EXPECT_NE(out.find("result"), std::string::npos) << out;
  EXPECT_GE(server.notifies(), 2000u);
  ASSERT_TRUE(server.wait_handshakes(2));
  for (const auto& h : server.handshakes()) EXPECT_TRUE(h.result.ok()) << h.result.reason;
}
#endif

}  // namespace
}  // namespace spoa::tls::test
