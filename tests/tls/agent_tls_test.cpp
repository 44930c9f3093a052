// The real spoa binary serving mutual TLS: a good client is answered; a plaintext client, a client
// without a certificate, one with a certificate from another CA and a stalled handshake each end in
// one log line naming the peer and are refused, while the other connections keep being served;
// SIGHUP serves a renewed certificate to new connections and keeps the old one when the new files are
// bad; a script's answers (from the executor threads) and the drain at SIGTERM work over TLS; unix
// sockets stay plaintext.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "spop/hello.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/support/test_certs.hpp"
#include "tests/support/text.hpp"
#include "tests/tls/tls_client_support.hpp"
#include "tls/x509_text.hpp"

namespace spoa::tls::test {
namespace {

using spoa::test::AgentProcess;
using spoa::test::ReceivedFrame;
using spoa::test::TestClient;
using spop::test::test_certs;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// One worker serving mutual TLS with the test certificates (`cert`, `key`: other paths).
std::vector<std::string> mtls_args(std::vector<std::string> extra = {}, const std::string& cert = "",
                                   const std::string& key = "") {
  std::vector<std::string> args{"-n", "1",
                                "--tls-cert", cert.empty() ? test_certs().server_cert().string() : cert,
                                "--tls-key", key.empty() ? test_certs().server_key().string() : key,
                                "--tls-ca", test_certs().ca().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// "127.0.0.1:PORT": how the agent names the peer whose socket is `fd`.
std::string local_name(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

// A NOTIFY (stream `sid`, frame `fid`) answered by its ACK on `c`.
::testing::AssertionResult notify_answered(TlsSpopClient& c, std::uint64_t sid, std::uint64_t fid) {
  if (!c.send(spoa::test::notify_frame(sid, fid))) return ::testing::AssertionFailure() << c.error();
  auto ack = c.read_frame();
  if (!ack) return ::testing::AssertionFailure() << "no ACK: " << c.error();
  if (ack->header.type != spop::FrameType::ack || ack->header.stream_id != sid || ack->header.frame_id != fid) {
    return ::testing::AssertionFailure() << "not the ACK of " << sid << "/" << fid << ": type "
                                         << static_cast<int>(ack->header.type);
  }
  return ::testing::AssertionSuccess();
}

std::size_t count_lines(const std::string& log, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = log.find(part); at != std::string::npos; at = log.find(part, at + 1)) ++n;
  return n;
}

TEST(AgentTls, MutualTlsClientIsAnswered) {
  AgentProcess agent(mtls_args());
  ASSERT_TRUE(agent.ready()) << agent.log();
  TlsSpopClient c(agent.port(), client_options(true));
  ASSERT_TRUE(c.connected()) << c.error();
  auto hello = c.hello();
  ASSERT_TRUE(hello) << c.error();
  EXPECT_EQ(hello->header.type, spop::FrameType::agent_hello);
  // A pipelined batch: every NOTIFY answered, in TLS records the agent batches.
  std::vector<std::byte> batch;
  for (std::uint64_t i = 1; i <= 200; ++i) {
    auto f = spoa::test::notify_frame(i, 1);
    batch.insert(batch.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(c.send(batch)) << c.error();
  for (std::uint64_t i = 1; i <= 200; ++i) {
    auto ack = c.read_frame();
    ASSERT_TRUE(ack) << i << ": " << c.error();
    EXPECT_EQ(ack->header.type, spop::FrameType::ack);
    EXPECT_EQ(ack->header.stream_id, i);
  }
  EXPECT_TRUE(agent.wait_log("serving TLS on the TCP listeners with CN=localhost")) << agent.log();
  EXPECT_FALSE(spop::test::contains(agent.log(), "failed")) << agent.log();
}

// HAProxy ends connections with a reset or a bare close (health checks, idle pooled connections): over
// TLS, without close_notify. That is a normal end, as in plaintext: a debug line, no warning.
TEST(AgentTls, ClosingWithoutCloseNotifyIsANormalEnd) {
  AgentProcess agent(mtls_args({"--log-level", "debug"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  for (int how = 0; how < 3; ++how) {
    TlsSpopClient c(agent.port(), client_options(true));
    ASSERT_TRUE(c.connected()) << c.error();
    ASSERT_TRUE(c.hello()) << c.error();
    if (how == 0) c.transport().reset();           // RST
    if (how == 1) c.transport().shutdown_write();  // FIN, no close_notify
    if (how == 2) c.transport().close();           // close_notify, then close
  }
  // Bounded poll of the log: the three ends are logged once the worker has read them.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (count_lines(agent.log(), ": closed by peer (") < 3 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(count_lines(agent.log(), ": closed by peer ("), 3u) << agent.log();
  EXPECT_FALSE(spop::test::contains(agent.log(), "[warning]")) << agent.log();
  EXPECT_FALSE(spop::test::contains(agent.log(), "[error]")) << agent.log();
}

// Every refused peer: one line naming it and why; the good connection opened before them, and one
// opened after, are served all along.
TEST(AgentTls, BadClientsAreLoggedAndRefusedWhileOthersAreServed) {
  AgentProcess agent(mtls_args({"--hello-timeout", "1s"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  TlsSpopClient good(agent.port(), client_options(true));
  ASSERT_TRUE(good.connected()) << good.error();
  ASSERT_TRUE(good.hello()) << good.error();

  // HAProxy without `ssl` on its server line.
  TestClient plaintext(agent.port());
  ASSERT_TRUE(plaintext.connected());
  const std::string plaintext_peer = local_name(plaintext.fd());
  std::vector<std::byte> hello;
  ASSERT_EQ(spop::write_haproxy_hello(hello, TestClient::default_hello()), spop::Errc::ok);
  ASSERT_TRUE(plaintext.send(hello));
  EXPECT_TRUE(plaintext.wait_closed(10s));
  EXPECT_TRUE(agent.wait_log("TLS handshake with " + plaintext_peer + " failed: plaintext SPOP (a HAPROXY-HELLO)"))
      << agent.log();

  // A stalled handshake (the start of a record, then nothing) ends at --hello-timeout.
  TestClient stalled(agent.port());
  ASSERT_TRUE(stalled.connected());
  const std::string stalled_peer = local_name(stalled.fd());
  ASSERT_TRUE(stalled.send(std::as_bytes(std::span("\x16\x03\x01", 3))));

  // No client certificate; TLS 1.3 may complete the client's side first: the refusal is then read.
  {
    TlsSpopClient no_cert(agent.port(), client_options(false));
    if (no_cert.connected()) {
      EXPECT_FALSE(no_cert.hello());
    }
  }
  EXPECT_TRUE(agent.wait_log("failed: no client certificate (mutual TLS: --tls-ca requires one")) << agent.log();

  // A client certificate signed by another CA.
  auto wrong = client_options(true);
  wrong.cert = test_certs().file("other-client.pem");
  wrong.key = test_certs().file("other-client.key");
  {
    TlsSpopClient other_ca(agent.port(), wrong);
    if (other_ca.connected()) {
      EXPECT_FALSE(other_ca.hello());
    }
  }
  EXPECT_TRUE(agent.wait_log("failed: client certificate refused: CN=spop-test other client")) << agent.log();

  // Meanwhile the good connection is served.
  EXPECT_TRUE(notify_answered(good, 1, 1));

  EXPECT_TRUE(stalled.wait_closed(10s));
  EXPECT_TRUE(agent.wait_log("TLS handshake with " + stalled_peer +
                             " failed: the TLS handshake did not complete within 1000 ms"))
      << agent.log();

  // And still, and so is a new one.
  EXPECT_TRUE(notify_answered(good, 2, 1));
  TlsSpopClient later(agent.port(), client_options(true));
  ASSERT_TRUE(later.connected()) << later.error();
  ASSERT_TRUE(later.hello()) << later.error();
  EXPECT_TRUE(notify_answered(later, 1, 1));
  // One line per refused peer, no more.
  EXPECT_EQ(count_lines(agent.log(), "TLS handshake with "), 4u) << agent.log();
  EXPECT_EQ(count_lines(agent.log(), "[warning]"), 3u) << agent.log();  // the stall is at info
}

class AgentTlsReload : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = spoa::test::make_temp_dir();
    install("server.pem", "server.key");
  }
  void install(const std::string& cert, const std::string& key) {
    fs::copy_file(test_certs().file(cert), dir_ / "cert.pem", fs::copy_options::overwrite_existing);
    fs::copy_file(test_certs().file(key), dir_ / "key.pem", fs::copy_options::overwrite_existing);
  }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

  // The serial number of the certificate a new connection is served.
  static std::string serial_served_now(std::uint16_t port) {
    TlsSpopClient c(port, client_options(true));
    if (!c.connected()) return "connect failed: " + c.error();
    X509* peer = SSL_get0_peer_certificate(c.transport().tls()->native_handle());
    return peer != nullptr ? spop::tls::serial_text(peer) : "no certificate";
  }

  fs::path dir_;
};

TEST_F(AgentTlsReload, SighupServesTheRenewedCertificateAndKeepsItWhenTheNewFilesAreBad) {
  AgentProcess agent(mtls_args({}, cert(), key()));
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::string first = spop::test::certificate_serial(test_certs().server_cert());
  const std::string renewed = spop::test::certificate_serial(test_certs().file("server2.pem"));
  ASSERT_NE(first, renewed);
  EXPECT_EQ(serial_served_now(agent.port()), first);
  TlsSpopClient open(agent.port(), client_options(true));
  ASSERT_TRUE(open.connected()) << open.error();
  ASSERT_TRUE(open.hello()) << open.error();

  install("server2.pem", "server2.key");
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("TLS certificate reloaded: CN=localhost (serial " + renewed + ")")) << agent.log();
  EXPECT_EQ(serial_served_now(agent.port()), renewed);
  EXPECT_TRUE(notify_answered(open, 1, 1)) << "the connection opened before the reload keeps working";

  // A half-written renewal: the certificate is there, the key is not yet.
  std::ofstream(key(), std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\n";
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_log("TLS reload failed, still serving CN=localhost (serial " + renewed + ")")) << agent.log();
  EXPECT_EQ(serial_served_now(agent.port()), renewed);
  EXPECT_TRUE(notify_answered(open, 2, 1));
}

std::vector<std::byte> pipelined_notifies(std::uint64_t first_sid, std::uint64_t count) {
  std::vector<std::byte> batch;
  for (std::uint64_t sid = first_sid; sid < first_sid + count; ++sid) {
    auto f = spoa::test::notify_frame(sid, 1);
    batch.insert(batch.end(), f.begin(), f.end());
  }
  return batch;
}

// ACKs written by the handlers' completions (not at once after the read, as without a script) leave
// through the TLS layer too; at SIGTERM the NOTIFYs already sent are answered, then AGENT-DISCONNECT.
TEST(AgentTls, ScriptAnswersAndTheDrainOverTls) {
  AgentProcess agent(mtls_args({"-f", std::string(SPOP_SOURCE_DIR) + "/examples/ps_lua.lua"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  constexpr std::uint64_t batch = 50, at_sigterm = 20;
  std::vector<std::unique_ptr<TlsSpopClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<TlsSpopClient>(agent.port(), client_options(true)));
    ASSERT_TRUE(clients.back()->connected()) << clients.back()->error();
    ASSERT_TRUE(clients.back()->hello()) << clients.back()->error();
  }
  for (auto& c : clients) {
    ASSERT_TRUE(c->send(pipelined_notifies(1, batch))) << c->error();
    std::set<std::uint64_t> acked;
    for (std::uint64_t i = 0; i < batch; ++i) {
      auto ack = c->read_frame();
      ASSERT_TRUE(ack) << c->error();
      ASSERT_EQ(ack->header.type, spop::FrameType::ack);
      EXPECT_FALSE(ack->payload.empty()) << "the handler's variables";
      acked.insert(ack->header.stream_id);
    }
    EXPECT_EQ(acked.size(), batch);
  }
  for (auto& c : clients) ASSERT_TRUE(c->send(pipelined_notifies(1000, at_sigterm))) << c->error();
  agent.signal(SIGTERM);
  for (auto& c : clients) {
    std::set<std::uint64_t> acked;
    auto f = c->read_frame();
    while (f && f->header.type == spop::FrameType::ack) {
      acked.insert(f->header.stream_id);
      f = c->read_frame();
    }
    EXPECT_EQ(acked.size(), at_sigterm);
    ASSERT_TRUE(f) << "the drain ends with AGENT-DISCONNECT: " << c->error();
    ASSERT_EQ(f->header.type, spop::FrameType::agent_disconnect);
    EXPECT_EQ(spoa::test::disconnect_info(*f).status_code, 0u);
  }
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.log();
}

// --unix next to TLS TCP listeners: the unix socket speaks plaintext SPOP.
TEST(AgentTls, UnixSocketsStayPlaintext) {
  const auto dir = spoa::test::make_temp_dir();
  const std::string path = (dir / "spoa.sock").string();
  AgentProcess agent(mtls_args({"--unix", path}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  TestClient local(path);
  ASSERT_TRUE(local.connected());
  auto hello = local.hello();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->header.type, spop::FrameType::agent_hello);
  TlsSpopClient tcp(agent.port(), client_options(true));
  ASSERT_TRUE(tcp.connected()) << tcp.error();
  EXPECT_TRUE(tcp.hello()) << tcp.error();
}

}  // namespace
}  // namespace spoa::tls::test
