// spoa --check for TLS: check_tls() on the test certificates, and the real binary's report and status.
#include "agent/tls/tls_check.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/agent/agent_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certs.hpp"
#include "tls/errors.hpp"
#include "tls/pem.hpp"

namespace spoa::tls {
namespace {

using spop::test::test_certs;

Options with(const std::string& cert, const std::string& key, const std::string& ca = "") {
  Options o;
  o.cert = test_certs().file(cert);
  o.key = test_certs().file(key);
  if (!ca.empty()) o.ca = test_certs().file(ca);
  return o;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(TlsCheck, SaysWhatWouldBeServed) {
  const auto r = check_tls(with("server.pem", "server.key", "ca.pem"), true);
  ASSERT_TRUE(r.ok()) << joined(r.problems);
  const std::string text = joined(r.lines);
  EXPECT_NE(text.find("would serve TLS 1.2-1.3 on TCP listeners (the unix socket stays plaintext)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("certificate CN=localhost (serial " + spop::test::certificate_serial(test_certs().server_cert())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("issued by CN=spop-test CA,O=spop-toolkit tests, expires "), std::string::npos) << text;
  EXPECT_NE(text.find("chain verifies to CN=spop-test CA"), std::string::npos) << text;
  EXPECT_NE(text.find("client certificates required, CA " + test_certs().ca().string() + " (1 certificate: CN=spop-test CA"),
            std::string::npos)
      << text;
}

TEST(TlsCheck, WithoutCaAnyClientIsAccepted) {
  auto o = with("server.pem", "server.key");
  o.min_version = Version::tls1_3;
  const auto r = check_tls(o, false);
  ASSERT_TRUE(r.ok()) << joined(r.problems);
  const std::string text = joined(r.lines);
  EXPECT_NE(text.find("would serve TLS 1.3-1.3 on TCP listeners,"), std::string::npos) << text;
  EXPECT_NE(text.find("any client (no --tls-ca"), std::string::npos) << text;
}

TEST(TlsCheck, ChainThroughAnIntermediate) {
  // Without the root at hand the chain cannot be completed here: said, not an error.
  auto alone = check_tls(with("chain.pem", "chain.key"), false);
  ASSERT_TRUE(alone.ok()) << joined(alone.problems);
  EXPECT_NE(joined(alone.lines).find("chain ends at CN=spop-test intermediate CA,O=spop-toolkit tests, issued by "
                                     "CN=spop-test CA,O=spop-toolkit tests: HAProxy's ca-file must hold that CA"),
            std::string::npos)
      << joined(alone.lines);
  // With the root as --tls-ca it verifies through the intermediate.
  auto rooted = check_tls(with("chain.pem", "chain.key", "ca.pem"), false);
  ASSERT_TRUE(rooted.ok()) << joined(rooted.problems);
  EXPECT_NE(joined(rooted.lines).find("chain verifies to CN=spop-test CA"), std::string::npos) << joined(rooted.lines);
}

struct Problem {
  std::string name;
  std::string cert, key, ca;
  std::string message;
};

void PrintTo(const Problem& p, std::ostream* os) { *os << p.name; }

class TlsCheckProblems : public ::testing::TestWithParam<Problem> {};

TEST_P(TlsCheckProblems, AreNamed) {
  const Problem& p = GetParam();
  const auto r = check_tls(with(p.cert, p.key, p.ca), false);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(joined(r.problems).find(p.message), std::string::npos) << joined(r.problems);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TlsCheckProblems,
    ::testing::Values(
        Problem{"Expired", "expired.pem", "expired.key", "", "the certificate CN=localhost expired on 2020-01-31 00:00:00 UTC"},
        Problem{"KeyOfAnotherCertificate", "server.pem", "client.key", "", "client.key does not match the certificate in"},
        Problem{"MissingFile", "missing.pem", "server.key", "", "cannot read "},
        Problem{"KeyFileIsACertificate", "server.pem", "server.pem", "", "server.pem: no PEM private key in this file"},
        Problem{"CertificateFileIsAKey", "server.key", "server.key", "", "server.key: no PEM certificate in this file"},
        Problem{"CaIsNotACa", "server.pem", "server.key", "client.pem",
                "CN=spop-test client is not a CA certificate: it cannot sign client certificates"},
        Problem{"MissingCa", "server.pem", "server.key", "no-such-ca.pem", "no-such-ca.pem: No such file or directory"}),
    [](const ::testing::TestParamInfo<Problem>& i) { return i.param.name; });

TEST(TlsCheck, ChainInTheWrongOrder) {
  const auto dir = spop::test::scratch_dir("tls-check");
  {
    std::ofstream out(dir / "reversed.pem");
    out << spop::tls::read_file(test_certs().file("inter.pem"));
    out << spop::tls::read_file(test_certs().file("chain.pem"));
  }
  Options o;
  o.cert = dir / "reversed.pem";
  o.key = test_certs().file("inter.key");
  const auto r = check_tls(o, false);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(joined(r.problems).find("is not issued by certificate 2 (CN=localhost): the chain must start with the "
                                    "server's certificate"),
            std::string::npos)
      << joined(r.problems);
}

TEST(TlsCheck, CaDirectory) {
  const auto dir = spop::test::scratch_dir("tls-ca-dir");
  std::filesystem::copy_file(test_certs().ca(), dir / "ca.pem");
  std::filesystem::copy_file(test_certs().file("other-ca.pem"), dir / "other.crt");
  std::ofstream(dir / "README") << "not a certificate\n";
  Options o = with("server.pem", "server.key");
  o.ca = dir;
  const auto r = check_tls(o, false);
  ASSERT_TRUE(r.ok()) << joined(r.problems);
  EXPECT_NE(joined(r.lines).find("(2 certificates in 2 files: CN=spop-test CA,O=spop-toolkit tests; CN=spop-test "
                                 "other CA,O=spop-toolkit tests)"),
            std::string::npos)
      << joined(r.lines);

  const auto empty = spop::test::scratch_dir("tls-ca-empty");
  std::ofstream(empty / "README") << "nothing\n";
  o.ca = empty;
  const auto none = check_tls(o, false);
  EXPECT_FALSE(none.ok());
  EXPECT_NE(joined(none.problems).find("no PEM certificate in any file of this directory"), std::string::npos);
}

TEST(TlsPem, EncryptedKeysAreRefused) {
  const auto dir = spop::test::scratch_dir("tls-encrypted");
  const std::string command = "openssl pkey -in '" + test_certs().server_key().string() + "' -aes256 -passout pass:x -out '" +
                              (dir / "enc.key").string() + "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  try {
    spop::tls::load_private_key(dir / "enc.key");
    FAIL() << "an encrypted key was loaded";
  } catch (const spop::tls::Error& e) {
    EXPECT_NE(std::string(e.what()).find("the private key is encrypted; give it unencrypted"), std::string::npos)
        << e.what();
  }
}

// The real binary: --check prints the TLS lines and exits 0, or names the problem and exits 1.
TEST(TlsCheckCommand, ReportsAndFails) {
  const auto& c = test_certs();
  auto good = spoa::test::run_spoa({"--check", "--tls-cert", c.server_cert().string(), "--tls-key",
                                    c.server_key().string(), "--tls-ca", c.ca().string()});
  EXPECT_EQ(good.exit_status, 0) << good.err;
  EXPECT_NE(good.out.find("configuration OK"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("tls:             would serve TLS 1.2-1.3"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("tls clients:     client certificates required"), std::string::npos) << good.out;

  auto plain = spoa::test::run_spoa({"--check"});
  EXPECT_EQ(plain.exit_status, 0) << plain.err;
  EXPECT_NE(plain.out.find("tls:             off (plaintext"), std::string::npos) << plain.out;

  auto expired = spoa::test::run_spoa({"--check", "--tls-cert", c.file("expired.pem").string(), "--tls-key",
                                       c.file("expired.key").string()});
  EXPECT_EQ(expired.exit_status, 1);
  EXPECT_NE(expired.err.find("spoa: check failed: the certificate CN=localhost expired on 2020-01-31"),
            std::string::npos)
      << expired.err;
  EXPECT_EQ(expired.out.find("configuration OK"), std::string::npos) << expired.out;
}

// Bad TLS files stop start-up before any worker runs, with one message naming the problem: the agent
// never serves plaintext to someone who asked for TLS.
TEST(TlsCheckCommand, BadTlsFilesStopStartup) {
  const auto& c = test_certs();
  auto r = spoa::test::run_spoa({"-p", "0", "--address", "127.0.0.1", "--tls-cert", c.server_cert().string(),
                                 "--tls-key", c.client_key().string()});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("cannot start: TLS: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not match"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spoa::tls
