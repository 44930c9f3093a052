// The --tls-* arguments (see tls_options.hpp).
#include "agent/tls/tls_options.hpp"

#include <tclap/CmdLine.h>

namespace spoa::tls {

Args::Args(TCLAP::CmdLine& cmd) {
  // Declared bottom-up, like options.cpp, so that the usage lists --tls-cert first.
  using Value = TCLAP::ValueArg<std::string>;
  min_version_ = std::make_unique<Value>("", "tls-min-version",
                                         "Lowest TLS version accepted: 1.2 or 1.3 (default: 1.2; 1.3 is always allowed)",
                                         false, "1.2", "version", cmd);
  ciphersuites_ = std::make_unique<Value>("", "tls-ciphersuites",
                                          "TLS 1.3 cipher suites, e.g. TLS_AES_128_GCM_SHA256 (default: OpenSSL's)",
                                          false, "", "suites", cmd);
  ciphers_ = std::make_unique<Value>("", "tls-ciphers",
                                     "TLS 1.2 ciphers, an OpenSSL cipher list (default: " +
                                         std::string(spop::tls::default_ciphers) + ")",
                                     false, std::string(spop::tls::default_ciphers), "list", cmd);
  ca_ = std::make_unique<Value>("", "tls-ca",
                                "Require a client certificate signed by a CA of this PEM file or directory "
                                "(mutual TLS); reloaded on SIGHUP",
                                false, "", "file|dir", cmd);
  key_ = std::make_unique<Value>("", "tls-key", "Private key of --tls-cert (PEM, unencrypted); reloaded on SIGHUP",
                                 false, "", "file", cmd);
  cert_ = std::make_unique<Value>("", "tls-cert",
                                  "Serve TLS on every TCP listener with this certificate (PEM, leaf first, chain "
                                  "allowed; unix sockets stay plaintext); reloaded on SIGHUP",
                                  false, "", "file", cmd);
}

Args::~Args() = default;

std::optional<OptionError> Args::apply(Options& out) const {
  const bool cert = cert_->isSet(), key = key_->isSet();
  if (cert && cert_->getValue().empty()) return OptionError{"--tls-cert", "", "a PEM file"};
  if (key && key_->getValue().empty()) return OptionError{"--tls-key", "", "a PEM file"};
  if (cert && !key) return OptionError{"--tls-cert", cert_->getValue(), "needs --tls-key too"};
  if (key && !cert) return OptionError{"--tls-key", key_->getValue(), "needs --tls-cert too"};
  if (ca_->isSet() && (!cert || ca_->getValue().empty())) {
    return OptionError{"--tls-ca", ca_->getValue(),
                       "a PEM file or directory, with --tls-cert and --tls-key: client certificates are asked for "
                       "over TLS only"};
  }
  auto version = spop::tls::parse_version(min_version_->getValue());
  if (!version) return OptionError{"--tls-min-version", min_version_->getValue(), "1.2 or 1.3"};
  if (auto problem = spop::tls::check_ciphers(ciphers_->getValue())) {
    return OptionError{"--tls-ciphers", ciphers_->getValue(), *problem};
  }
  if (!ciphersuites_->getValue().empty()) {
    if (auto problem = spop::tls::check_ciphersuites(ciphersuites_->getValue())) {
      return OptionError{"--tls-ciphersuites", ciphersuites_->getValue(), *problem};
    }
  }
  out.cert = cert_->getValue();
  out.key = key_->getValue();
  out.ca = ca_->getValue();
  out.ciphers = ciphers_->getValue();
  out.ciphersuites = ciphersuites_->getValue();
  out.min_version = *version;
  return std::nullopt;
}

}  // namespace spoa::tls
