// The --tls-* options on the command line and in the YAML config file (no process started).
#include "agent/tls/tls_options.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "agent/options.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoa::tls {
namespace {

ParseResult parse(std::vector<std::string> args, std::string* err = nullptr) {
  return spoa::test::parse_args(std::move(args), err);
}

TEST(TlsOptions, OffByDefaultWithSafeDefaults) {
  auto r = parse({});
  ASSERT_TRUE(r.options);
  const Options& t = r.options->tls;
  EXPECT_FALSE(t.enabled());
  EXPECT_FALSE(t.mutual());
  EXPECT_EQ(t.min_version, Version::tls1_2);
  EXPECT_EQ(t.ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20");
  EXPECT_TRUE(t.ciphersuites.empty());
}

TEST(TlsOptions, AllOptionsOnTheCommandLine) {
  auto r = parse({"--tls-cert", "/etc/spoa/cert.pem", "--tls-key", "/etc/spoa/key.pem", "--tls-ca", "/etc/spoa/ca",
                  "--tls-ciphers", "ECDHE+AESGCM", "--tls-ciphersuites", "TLS_AES_128_GCM_SHA256",
                  "--tls-min-version", "1.3"});
  ASSERT_TRUE(r.options);
  const Options& t = r.options->tls;
  EXPECT_TRUE(t.enabled());
  EXPECT_TRUE(t.mutual());
  EXPECT_EQ(t.cert, "/etc/spoa/cert.pem");
  EXPECT_EQ(t.key, "/etc/spoa/key.pem");
  EXPECT_EQ(t.ca, "/etc/spoa/ca");
  EXPECT_EQ(t.ciphers, "ECDHE+AESGCM");
  EXPECT_EQ(t.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(t.min_version, Version::tls1_3);
  // The files are read at start, by --check and on SIGHUP, not while parsing.
}

TEST(TlsOptions, VersionSpellings) {
  for (const char* v : {"1.2", "TLSv1.2", "tls1.2"}) {
    auto r = parse({"--tls-cert", "c", "--tls-key", "k", "--tls-min-version", v});
    ASSERT_TRUE(r.options) << v;
    EXPECT_EQ(r.options->tls.min_version, Version::tls1_2) << v;
  }
  auto r = parse({"--tls-cert", "c", "--tls-key", "k", "--tls-min-version", "TLSv1.3"});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->tls.min_version, Version::tls1_3);
}

struct BadCase {
  std::vector<std::string> args;
  std::string message;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  for (const auto& a : c.args) *os << a << ' ';
}

class TlsOptionErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(TlsOptionErrors, RefusedWithAPreciseMessage) {
  std::string err;
  auto r = parse(GetParam().args, &err);
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(err.find(GetParam().message), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TlsOptionErrors,
    ::testing::Values(
        BadCase{{"--tls-cert", "c.pem"}, "bad value for --tls-cert: 'c.pem' (needs --tls-key too)"},
        BadCase{{"--tls-key", "k.pem"}, "bad value for --tls-key: 'k.pem' (needs --tls-cert too)"},
        BadCase{{"--tls-ca", "ca.pem"}, "bad value for --tls-ca: 'ca.pem' (a PEM file or directory, with --tls-cert"},
        BadCase{{"--tls-cert", "", "--tls-key", "k"}, "bad value for --tls-cert: '' (a PEM file)"},
        BadCase{{"--tls-cert", "c", "--tls-key", "k", "--tls-min-version", "1.1"},
                "bad value for --tls-min-version: '1.1' (1.2 or 1.3)"},
        BadCase{{"--tls-cert", "c", "--tls-key", "k", "--tls-ciphers", "NOPE"},
                "bad value for --tls-ciphers: 'NOPE' (an OpenSSL cipher list selecting at least one cipher"},
        BadCase{{"--tls-cert", "c", "--tls-key", "k", "--tls-ciphersuites", "TLS_NOPE"},
                "bad value for --tls-ciphersuites: 'TLS_NOPE' (TLS 1.3 suites such as"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return "case" + std::to_string(i.index); });

TEST(TlsOptions, SameKeysInTheConfigFile) {
  const auto dir = spop::test::scratch_dir("tls-options");
  std::ofstream(dir / "spoa.yaml") << "tls-cert: /etc/spoa/cert.pem\n"
                                      "tls-key: /etc/spoa/key.pem\n"
                                      "tls-ca: /etc/spoa/clients-ca.pem\n"
                                      "tls-min-version: \"1.3\"\n"
                                      "tls-ciphers: ECDHE+CHACHA20\n";
  auto r = parse({"--config", (dir / "spoa.yaml").string()});
  ASSERT_TRUE(r.options);
  const Options& t = r.options->tls;
  EXPECT_EQ(t.cert, "/etc/spoa/cert.pem");
  EXPECT_EQ(t.key, "/etc/spoa/key.pem");
  EXPECT_EQ(t.ca, "/etc/spoa/clients-ca.pem");
  EXPECT_EQ(t.min_version, Version::tls1_3);
  EXPECT_EQ(t.ciphers, "ECDHE+CHACHA20");

  // The command line wins over the file, as for every option.
  auto over = parse({"--config", (dir / "spoa.yaml").string(), "--tls-cert", "/other/cert.pem"});
  ASSERT_TRUE(over.options);
  EXPECT_EQ(over.options->tls.cert, "/other/cert.pem");
  EXPECT_EQ(over.options->tls.key, "/etc/spoa/key.pem");

  // A value from the file is checked like the same value on the command line.
  std::ofstream(dir / "bad.yaml") << "tls-key: /etc/spoa/key.pem\n";
  std::string err;
  auto bad = parse({"--config", (dir / "bad.yaml").string()}, &err);
  EXPECT_FALSE(bad.options);
  EXPECT_NE(err.find("bad value for --tls-key"), std::string::npos) << err;
}

}  // namespace
}  // namespace spoa::tls
