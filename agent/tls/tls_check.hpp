// `spoa --check` for TLS: reads the certificate, key and CA as the agent would and says what it would
// serve, or what is wrong: a file unreadable or without PEM data, a key that does not match the
// certificate, a certificate expired or not yet valid, a chain in the wrong order or whose signatures
// or dates do not verify, a CA file that holds no CA.
#pragma once

#include <string>
#include <vector>

#include "agent/tls/tls_options.hpp"

namespace spoa::tls {

struct CheckReport {
  std::vector<std::string> lines;     ///< "tls: ..." lines for the report, label padded like check.cpp's
  std::vector<std::string> problems;  ///< empty when the files are usable
  bool ok() const noexcept { return problems.empty(); }
};

/// Checks the files of `options` (TLS enabled). `unix_socket`: the agent also listens on one (said to
/// stay plaintext).
CheckReport check_tls(const Options& options, bool unix_socket);

}  // namespace spoa::tls
