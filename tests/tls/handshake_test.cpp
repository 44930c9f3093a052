// The agent's server handshake (agent/tls/handshake.hpp) on real loopback sockets: mutual TLS accepted,
// and every way a peer can fail ends its connection with one log line naming it and the reason, while
// the server goes on serving the others.
#include "agent/tls/handshake.hpp"

#include <gtest/gtest.h>

#include "spop/haproxy_connection.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/support/test_certs.hpp"
#include "tests/tls/log_capture.hpp"
#include "tests/tls/tls_client_support.hpp"
#include "tests/tls/tls_test_agent.hpp"

namespace spoa::tls::test {
namespace {

using spop::test::test_certs;
using spoa::test::TestClient;
using namespace std::chrono_literals;

// A plaintext peer: connected, with `bytes` sent.
TestClient raw_peer(std::uint16_t port, std::string_view bytes = {}) {
  TestClient c(port);
  EXPECT_TRUE(c.connected());
  if (!bytes.empty()) {
    EXPECT_TRUE(c.send(std::as_bytes(std::span(bytes.data(), bytes.size()))));
  }
  return c;
}

TlsTestAgent::Settings mutual(TlsTestAgent::Mode mode = TlsTestAgent::Mode::echo) {
  TlsTestAgent::Settings s;
  s.tls.cert = test_certs().server_cert();
  s.tls.key = test_certs().server_key();
  s.tls.ca = test_certs().ca();
  s.mode = mode;
  return s;
}

// The one log line of the handshake with `peer`, which must name it.
std::vector<std::string> lines_about(LogCapture& log, const std::string& peer) {
  return log.matching("TLS handshake with " + peer + " failed: ");
}

TEST(TlsHandshake, MutualTlsAccepted) {
  LogCapture log;
  TlsTestAgent server(mutual());
  auto c = tls_connect(server.port(), client_options(true));
  ASSERT_TRUE(c.transport.is_open()) << c.message;
  std::string error;
  EXPECT_EQ(echo_round_trip(c.transport, "hello over mTLS", error), "hello over mTLS") << error;
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_TRUE(h.result.ok()) << h.result.reason;
  EXPECT_NE(h.result.reason.find("TLSv1.3"), std::string::npos) << h.result.reason;
  EXPECT_NE(h.result.reason.find("client CN=spop-test client"), std::string::npos) << h.result.reason;
  EXPECT_EQ(log.matching("failed").size(), 0u);
  EXPECT_EQ(log.matching("debug: TLS handshake with " + h.peer + " done: TLSv1.3").size(), 1u);
}

TEST(TlsHandshake, ClientWithoutCertificateRefused) {
  LogCapture log;
  TlsTestAgent server(mutual());
  auto c = tls_connect(server.port(), client_options(false));
  // TLS 1.3: the client's side of the handshake ends before the server has judged it; the refusal
  // arrives as an alert on the first read.
  if (c.transport.is_open()) {
    std::string error;
    EXPECT_EQ(echo_round_trip(c.transport, "x", error), "");
    EXPECT_NE(error.find("requires a client certificate"), std::string::npos) << error;
  }
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::no_client_certificate) << h.result.reason;
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("warning: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("no client certificate (mutual TLS: --tls-ca requires one; HAProxy's server line needs 'crt')"),
            std::string::npos)
      << lines[0];
}

TEST(TlsHandshake, ClientCertificateFromAnotherCaRefused) {
  LogCapture log;
  TlsTestAgent server(mutual());
  auto o = client_options(false);
  o.cert = test_certs().file("other-client.pem");
  o.key = test_certs().file("other-client.key");
  auto c = tls_connect(server.port(), o);
  if (c.transport.is_open()) {
    std::string error;
    EXPECT_EQ(echo_round_trip(c.transport, "x", error), "");
    EXPECT_NE(error.find("the agent refused our client certificate"), std::string::npos) << error;
  }
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::bad_client_certificate);
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("warning: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("client certificate refused: CN=spop-test other client: unable to get local issuer certificate"),
            std::string::npos)
      << lines[0];
}

TEST(TlsHandshake, PlaintextSpopClientIsNamedAsSuch) {
  LogCapture log;
  TlsTestAgent server(mutual());
  // The HAPROXY-HELLO a HAProxy without `ssl` on its server line sends.
  spop::HaproxyConnection haproxy(spop::HaproxyOptions{}, spop::Clock::now());
  TestClient raw(server.port());
  ASSERT_TRUE(raw.send(haproxy.pending_output()));
  EXPECT_TRUE(raw.wait_closed(10s));
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::plaintext_spop);
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("warning: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("plaintext SPOP (a HAPROXY-HELLO) on a TLS port: add 'ssl'"), std::string::npos) << lines[0];
}

TEST(TlsHandshake, GarbageInsteadOfAClientHello) {
  LogCapture log;
  TlsTestAgent server(mutual());
  TestClient raw = raw_peer(server.port(), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(raw.wait_closed(10s));
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::not_tls);
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("not a TLS ClientHello (first bytes: 47 45 54 20 2f 20 48 54)"), std::string::npos)
      << lines[0];
}

TEST(TlsHandshake, GarbageAfterATlsRecordHeader) {
  LogCapture log;
  TlsTestAgent server(mutual());
  TestClient raw = raw_peer(server.port(), std::string_view("\x16\x03\x01\x00\x05hello", 10));
  EXPECT_TRUE(raw.wait_closed(10s));
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_FALSE(h.result.ok());
  EXPECT_EQ(lines_about(log, h.peer).size(), 1u);
}

TEST(TlsHandshake, StalledHandshakesEndAtTheDeadline) {
  LogCapture log;
  auto settings = mutual();
  settings.handshake_timeout = 300ms;
  TlsTestAgent server(settings);
  TestClient silent = raw_peer(server.port());  // connects and sends nothing
  TestClient partial = raw_peer(server.port(), std::string_view("\x16\x03\x01", 3));  // a ClientHello's start
  EXPECT_TRUE(silent.wait_closed(10s));
  EXPECT_TRUE(partial.wait_closed(10s));
  ASSERT_TRUE(server.wait_handshakes(2));
  for (const auto& h : server.handshakes()) {
    EXPECT_EQ(h.result.failure, HandshakeFailure::timeout) << h.result.reason;
    const auto lines = lines_about(log, h.peer);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].rfind("info: ", 0), 0u) << lines[0];
  }
  EXPECT_EQ(log.matching("no TLS handshake: nothing received within 300 ms").size(), 1u);
  EXPECT_EQ(log.matching("the TLS handshake did not complete within 300 ms").size(), 1u);
}

TEST(TlsHandshake, ConnectAndCloseIsOnlyADebugLine) {
  LogCapture log;
  TlsTestAgent server(mutual());
  raw_peer(server.port()).close();  // a connect-only health check
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::closed_silently);
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("debug: ", 0), 0u) << lines[0];
}

TEST(TlsHandshake, NoCommonVersion) {
  LogCapture log;
  auto settings = mutual();
  settings.tls.min_version = Version::tls1_3;
  TlsTestAgent server(settings);
  const spop::netclient::ClientContext context(client_options(true));
  SSL_CTX_set_max_proto_version(context.native(), TLS1_2_VERSION);  // a client stuck at TLS 1.2
  spop::netclient::Endpoint e;
  e.port = server.port();
  auto c = spop::netclient::connect_transport(e, &context, std::chrono::steady_clock::now() + 10s);
  EXPECT_FALSE(c.transport.is_open());
  EXPECT_NE(c.message.find("no TLS version in common"), std::string::npos) << c.message;
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::no_common_parameters);
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("no TLS version in common"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("--tls-min-version"), std::string::npos) << lines[0];
}

TEST(TlsHandshake, ClientRejectingOurCertificate) {
  LogCapture log;
  TlsTestAgent server(mutual());
  auto o = client_options(true);
  o.ca = test_certs().file("other-ca.pem");  // trusts another CA than the one that signed the server
  auto c = tls_connect(server.port(), o);
  EXPECT_FALSE(c.transport.is_open());
  EXPECT_NE(c.message.find("the agent's certificate does not verify: "), std::string::npos) << c.message;
  ASSERT_TRUE(server.wait_handshakes(1));
  const auto h = server.handshakes().front();
  EXPECT_EQ(h.result.failure, HandshakeFailure::certificate_rejected) << h.result.reason;
  const auto lines = lines_about(log, h.peer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("the client rejected our certificate"), std::string::npos) << lines[0];
}

// A stalled peer and a refused one do not keep the server from serving a good client meanwhile.
TEST(TlsHandshake, FailuresDoNotStopTheOthers) {
  LogCapture log;
  auto settings = mutual();
  settings.handshake_timeout = 60s;  // the stalled peer stays stalled for the whole test
  TlsTestAgent server(settings);
  TestClient stalled = raw_peer(server.port(), std::string_view("\x16\x03\x01", 3));
  TestClient plaintext = raw_peer(server.port(), "hello\n");
  EXPECT_TRUE(plaintext.wait_closed(10s));
  auto good = tls_connect(server.port(), client_options(true));
  ASSERT_TRUE(good.transport.is_open()) << good.message;
  std::string error;
  EXPECT_EQ(echo_round_trip(good.transport, "still served", error), "still served") << error;
  ASSERT_TRUE(server.wait_handshakes(2));
  std::size_t ok = 0;
  for (const auto& h : server.handshakes()) ok += h.result.ok() ? 1 : 0;
  EXPECT_EQ(ok, 1u);
}

}  // namespace
}  // namespace spoa::tls::test
