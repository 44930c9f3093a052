// spoa's TLS settings (--tls-cert, --tls-key, --tls-ca, --tls-ciphers, --tls-ciphersuites,
// --tls-min-version) and their TCLAP arguments. With a certificate and key, every TCP listener serves
// TLS 1.2/1.3; with a CA as well, clients must present a certificate that it signed (mutual TLS).
// Unix sockets stay plaintext: they never leave the host.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "agent/option_group.hpp"
#include "tls/context_setup.hpp"

namespace spoa::tls {

using spop::tls::Version;

struct Options {
  std::filesystem::path cert;  ///< --tls-cert: PEM, leaf first, chain allowed; empty = plaintext
  std::filesystem::path key;   ///< --tls-key: PEM, unencrypted (may be the --tls-cert file)
  std::filesystem::path ca;    ///< --tls-ca: PEM file or directory; empty = no client certificate asked
  std::string ciphers{spop::tls::default_ciphers};  ///< --tls-ciphers: TLS 1.2 (OpenSSL cipher list)
  std::string ciphersuites;    ///< --tls-ciphersuites: TLS 1.3; empty = OpenSSL's defaults
  Version min_version = Version::tls1_2;  ///< --tls-min-version

  bool enabled() const noexcept { return !cert.empty(); }
  /// Client certificates required and verified.
  bool mutual() const noexcept { return !ca.empty(); }
};

/// The six TCLAP arguments, added to `cmd` on construction (they must outlive cmd.parse()).
class Args {
 public:
  explicit Args(TCLAP::CmdLine& cmd);
  ~Args();
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;

  /// Checks the parsed values into `out` (the files are read later: at start, by --check, on SIGHUP).
  std::optional<OptionError> apply(Options& out) const;

 private:
  std::unique_ptr<TCLAP::ValueArg<std::string>> cert_, key_, ca_, ciphers_, ciphersuites_, min_version_;
};

}  // namespace spoa::tls
