// Reading PEM files: certificate chains, private keys and CA bundles (a file, or every file of a
// directory). Each failure is a tls::Error naming the file and what is wrong with it, so that `spoa
// --check`, the agent's start and reload, and the tools all report the same precise message.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tls/openssl_ptr.hpp"

namespace spop::tls {

/// The whole file. Throws Error("cannot read <path>: <errno text>").
std::string read_file(const std::filesystem::path& path);

/// Every certificate of a PEM file, in file order (a chain: the leaf first). Other PEM blocks (a key
/// in a combined file) are skipped. Throws Error when the file cannot be read, holds no certificate,
/// or a certificate block does not decode.
std::vector<X509Ptr> load_certificates(const std::filesystem::path& path);

/// The first private key of a PEM file (a key file, or a certificate+key file). Throws Error when the
/// file cannot be read, holds no key, or the key is encrypted (spoa and the tools take no passphrase).
PkeyPtr load_private_key(const std::filesystem::path& path);

/// Trusted CA certificates: those of one PEM file, or of every regular file of a directory (files
/// without a certificate, such as a c_rehash directory's CRLs, are skipped; dot files too).
struct CaBundle {
  std::vector<X509Ptr> certs;
  std::size_t files = 0;  ///< files that contributed a certificate
  bool directory = false;
};

/// Throws Error when the path cannot be read or holds no certificate at all.
CaBundle load_ca(const std::filesystem::path& path);

}  // namespace spop::tls
