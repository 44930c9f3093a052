// The tools' TLS client (netclient/): verification of the agent's certificate and name, SNI, mutual
// TLS and --tls-insecure, against the TLS test server.
#include "netclient/tls_client.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_certs.hpp"
#include "tests/tls/tls_client_support.hpp"
#include "tests/tls/tls_test_agent.hpp"
#include "tls/errors.hpp"

namespace spoa::tls::test {
namespace {

using spop::netclient::TlsClientOptions;
using spop::test::test_certs;

TlsTestAgent::Settings server_only() {
  TlsTestAgent::Settings s;
  s.tls.cert = test_certs().server_cert();
  s.tls.key = test_certs().server_key();
  s.mode = TlsTestAgent::Mode::echo;
  return s;
}

TEST(TlsClient, VerifiesTheAgentAgainstTheCa) {
  TlsTestAgent server(server_only());
  auto c = tls_connect(server.port(), client_options(false));
  ASSERT_TRUE(c.transport.is_open()) << c.message;
  EXPECT_NE(c.transport.tls()->summary().find("agent certificate CN=localhost"), std::string::npos);
  std::string error;
  EXPECT_EQ(echo_round_trip(c.transport, "ping", error), "ping") << error;
}

TEST(TlsClient, RefusesAnAgentItCannotVerify) {
  TlsTestAgent server(server_only());
  auto o = client_options(false);
  o.ca.clear();  // the system's CAs do not know the test CA
  auto c = tls_connect(server.port(), o);
  EXPECT_FALSE(c.transport.is_open());
  EXPECT_EQ(c.error, spop::netclient::ConnectError::tls);
  EXPECT_NE(c.message.find("the agent's certificate does not verify: unable to get local issuer certificate"),
            std::string::npos)
      << c.message;
}

TEST(TlsClient, InsecureAcceptsAnyCertificate) {
  TlsTestAgent server(server_only());
  TlsClientOptions o;
  o.enabled = true;
  o.insecure = true;
  auto c = tls_connect(server.port(), o);
  ASSERT_TRUE(c.transport.is_open()) << c.message;
}

TEST(TlsClient, ChecksTheNameAndSendsSni) {
  TlsTestAgent server(server_only());
  // Connected by IP address: the address is checked (the certificate has IP:127.0.0.1), no SNI is sent.
  auto by_ip = tls_connect(server.port(), client_options(false), "127.0.0.1");
  ASSERT_TRUE(by_ip.transport.is_open()) << by_ip.message;
  // Connected by name: the name is sent and checked.
  auto by_name = tls_connect(server.port(), client_options(false), "localhost");
  ASSERT_TRUE(by_name.transport.is_open()) << by_name.message;
  // A name the certificate does not carry.
  auto o = client_options(false);
  o.sni = o.verify_name = "spoa.example.net";
  auto wrong = tls_connect(server.port(), o);
  EXPECT_FALSE(wrong.transport.is_open());
  EXPECT_NE(wrong.message.find("does not verify: hostname mismatch"), std::string::npos) << wrong.message;
  // HAProxy's `sni str(x)` without verifyhost checks x; an empty verify name checks none.
  o.verify_name = "";
  auto unchecked = tls_connect(server.port(), o);
  EXPECT_TRUE(unchecked.transport.is_open()) << unchecked.message;

  ASSERT_TRUE(server.wait_handshakes(4));
  std::vector<std::string> names;
  for (const auto& h : server.handshakes()) names.push_back(h.server_name);
  EXPECT_EQ(std::count(names.begin(), names.end(), ""), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "localhost"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "spoa.example.net"), 2);
}

TEST(TlsClient, CombinedCertificateAndKeyFile) {
  TlsTestAgent::Settings s = server_only();
  s.tls.ca = test_certs().ca();
  TlsTestAgent server(s);
  auto o = client_options(false);
  o.cert = test_certs().file("client-combined.pem");  // HAProxy's `crt`: certificate and key in one file
  auto c = tls_connect(server.port(), o);
  ASSERT_TRUE(c.transport.is_open()) << c.message;
  std::string error;
  EXPECT_EQ(echo_round_trip(c.transport, "mtls", error), "mtls") << error;
}

TEST(TlsClient, UnusableFilesAreNamed) {
  TlsClientOptions o;
  o.enabled = true;
  o.ca = test_certs().dir / "nope.pem";
  try {
    spop::netclient::ClientContext context(o);
    FAIL();
  } catch (const spop::tls::Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pem: No such file or directory"), std::string::npos) << e.what();
  }
  o.ca.clear();
  o.cert = test_certs().client_cert();
  o.key = test_certs().server_key();
  try {
    spop::netclient::ClientContext context(o);
    FAIL();
  } catch (const spop::tls::Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the certificate"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace spoa::tls::test
