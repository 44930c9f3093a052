// The settings every SSL_CTX of the project gets, agent and tools alike: TLS 1.2 and 1.3 only (from a
// chosen minimum), no compression, no renegotiation, a certificate chain with its key, trusted CAs, and
// cipher lists checked before use.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/pem.hpp"

namespace spop::tls {

enum class Version : std::uint8_t { tls1_2, tls1_3 };

/// "1.2", "1.3" (also "TLSv1.2", "tls1.3"); nullopt otherwise.
std::optional<Version> parse_version(std::string_view text);
/// "1.2" or "1.3".
std::string_view version_name(Version v) noexcept;

/// TLS 1.2 cipher list spoa and the tools use unless told otherwise: forward secrecy and AEAD only
/// (what HAProxy 2.6 and every current OpenSSL offer by default).
inline constexpr std::string_view default_ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

/// Protocol versions `min`..1.3; compression and renegotiation off. Throws Error.
void set_versions(SSL_CTX* ctx, Version min);
/// The TLS 1.2 cipher list and (when not empty) the TLS 1.3 suites. Throws Error naming the option.
void set_ciphers(SSL_CTX* ctx, const std::string& ciphers, const std::string& ciphersuites);
/// "" when `ciphers` (TLS 1.2, an OpenSSL cipher list) selects at least one cipher, else why not.
std::optional<std::string> check_ciphers(const std::string& ciphers);
/// The same for TLS 1.3 suites ("TLS_AES_128_GCM_SHA256:...").
std::optional<std::string> check_ciphersuites(const std::string& ciphersuites);

/// A certificate chain (leaf first) and its key, checked to belong together.
struct KeyPair {
  std::vector<X509Ptr> chain;
  PkeyPtr key;
};

/// Reads the chain from `cert` and the key from `key` (may be the same file) and checks that the key
/// matches the leaf. Throws Error.
KeyPair load_key_pair(const std::filesystem::path& cert, const std::filesystem::path& key);
/// Installs the pair (leaf, chain certificates, key) in `ctx`. Throws Error.
void use_key_pair(SSL_CTX* ctx, const KeyPair& pair);
/// Adds the bundle's certificates to the trust store of `ctx`.
void trust(SSL_CTX* ctx, const CaBundle& ca);

}  // namespace spop::tls
