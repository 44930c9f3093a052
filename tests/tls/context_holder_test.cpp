// Reloading the server context (SIGHUP): a renewed certificate is served to new connections, open
// connections keep working, and a bad new file keeps the old certificate serving.
#include "agent/tls/context_holder.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <fstream>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certs.hpp"
#include "tests/tls/log_capture.hpp"
#include "tests/tls/tls_client_support.hpp"
#include "tests/tls/tls_test_agent.hpp"
#include "tls/errors.hpp"
#include "tls/x509_text.hpp"

namespace spoa::tls::test {
namespace {

using spop::test::test_certs;
namespace fs = std::filesystem;

class ContextReload : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = spop::test::scratch_dir("tls-reload");
    install("server.pem", "server.key");
  }
  // Puts a certificate and key where the agent's options point, as a renewal would.
  void install(const std::string& cert, const std::string& key) {
    fs::copy_file(test_certs().file(cert), cert_path(), fs::copy_options::overwrite_existing);
    fs::copy_file(test_certs().file(key), key_path(), fs::copy_options::overwrite_existing);
  }
  fs::path cert_path() const { return dir_ / "cert.pem"; }
  fs::path key_path() const { return dir_ / "key.pem"; }

  TlsTestAgent::Settings settings() const {
    TlsTestAgent::Settings s;
    s.tls.cert = cert_path();
    s.tls.key = key_path();
    s.tls.ca = test_certs().ca();
    s.mode = TlsTestAgent::Mode::echo;
    return s;
  }

  // The serial number of the certificate a new connection is served.
  static std::string serial_served_now(std::uint16_t port) {
    auto c = tls_connect(port, client_options(true));
    if (!c.transport.is_open()) return "connect failed: " + c.message;
    X509* peer = SSL_get0_peer_certificate(c.transport.tls()->native_handle());
    return peer != nullptr ? spop::tls::serial_text(peer) : "no certificate";
  }

  fs::path dir_;
};

TEST_F(ContextReload, RenewedCertificateIsServedAfterReload) {
  LogCapture log;
  TlsTestAgent server(settings());
  const std::string first = spop::test::certificate_serial(test_certs().server_cert());
  const std::string renewed = spop::test::certificate_serial(test_certs().file("server2.pem"));
  ASSERT_NE(first, renewed);
  EXPECT_EQ(serial_served_now(server.port()), first);

  auto open = tls_connect(server.port(), client_options(true));  // opened before the renewal
  ASSERT_TRUE(open.transport.is_open()) << open.message;

  install("server2.pem", "server2.key");
  EXPECT_EQ(serial_served_now(server.port()), first) << "nothing changes before the reload";
  const auto r = server.reload();
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "TLS certificate reloaded: CN=localhost (serial " + renewed + "), expires " +
                           r.message.substr(r.message.find("expires ") + 8));
  EXPECT_EQ(log.matching("info: TLS certificate reloaded: CN=localhost (serial " + renewed).size(), 1u);
  EXPECT_EQ(serial_served_now(server.port()), renewed);

  std::string error;
  EXPECT_EQ(echo_round_trip(open.transport, "still open", error), "still open") << error;
}

TEST_F(ContextReload, BadNewFilesKeepTheOldCertificate) {
  LogCapture log;
  TlsTestAgent server(settings());
  const std::string first = spop::test::certificate_serial(test_certs().server_cert());

  std::ofstream(cert_path(), std::ios::trunc) << "-----BEGIN CERT";  // half-written
  auto r = server.reload();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("TLS reload failed, still serving CN=localhost (serial " + first + ")"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("cert.pem: no PEM certificate in this file"), std::string::npos) << r.message;
  EXPECT_EQ(log.matching("warning: TLS reload failed, still serving CN=localhost (serial " + first).size(), 1u);
  EXPECT_EQ(serial_served_now(server.port()), first);

  // The renewed certificate with the old key: refused too.
  fs::copy_file(test_certs().file("server2.pem"), cert_path(), fs::copy_options::overwrite_existing);
  r = server.reload();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("key.pem does not match the certificate in"), std::string::npos) << r.message;
  EXPECT_EQ(serial_served_now(server.port()), first);

  // Once both files are renewed, the next reload takes them.
  install("server2.pem", "server2.key");
  EXPECT_TRUE(server.reload().ok);
  EXPECT_EQ(serial_served_now(server.port()), spop::test::certificate_serial(test_certs().file("server2.pem")));
}

TEST_F(ContextReload, UnusableFilesAtStartAreAnError) {
  Options o;
  o.cert = dir_ / "missing.pem";
  o.key = key_path();
  try {
    ContextHolder holder(o);
    FAIL() << "built a context from a missing file";
  } catch (const spop::tls::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read " + (dir_ / "missing.pem").string() + ": No such file"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace spoa::tls::test
