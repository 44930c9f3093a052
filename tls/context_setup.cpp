#include "tls/context_setup.hpp"

#include "tls/errors.hpp"
#include "tls/openssl_ptr.hpp"

namespace spop::tls {

std::optional<Version> parse_version(std::string_view text) {
  if (text == "1.2" || text == "TLSv1.2" || text == "tls1.2" || text == "TLS1.2") return Version::tls1_2;
  if (text == "1.3" || text == "TLSv1.3" || text == "tls1.3" || text == "TLS1.3") return Version::tls1_3;
  return std::nullopt;
}

std::string_view version_name(Version v) noexcept { return v == Version::tls1_3 ? "1.3" : "1.2"; }

void set_versions(SSL_CTX* ctx, Version min) {
  const int lowest = min == Version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, lowest) != 1 || SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    throw Error("cannot limit the TLS versions: " + take_openssl_errors());
  }
  // Renegotiation lets a peer make us redo the expensive part of a handshake at will.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

void set_ciphers(SSL_CTX* ctx, const std::string& ciphers, const std::string& ciphersuites) {
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    throw Error("--tls-ciphers '" + ciphers + "': no usable cipher (" + take_openssl_errors() + ")");
  }
  if (!ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, ciphersuites.c_str()) != 1) {
    throw Error("--tls-ciphersuites '" + ciphersuites + "': no usable suite (" + take_openssl_errors() + ")");
  }
}

namespace {

// A throw-away context to try a cipher setting on.
SslCtxPtr scratch_context() { return SslCtxPtr(SSL_CTX_new(TLS_method())); }

}  // namespace

std::optional<std::string> check_ciphers(const std::string& ciphers) {
  SslCtxPtr ctx = scratch_context();
  // OpenSSL accepts a list that selects only TLS 1.3 suites; TLS 1.2 would then have none.
  if (ctx && SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) == 1) return std::nullopt;
  const std::string why = take_openssl_errors();
  return "an OpenSSL cipher list selecting at least one cipher, e.g. " + std::string(default_ciphers) +
         (why.empty() ? "" : "; OpenSSL: " + why);
}

std::optional<std::string> check_ciphersuites(const std::string& ciphersuites) {
  SslCtxPtr ctx = scratch_context();
  if (ctx && SSL_CTX_set_ciphersuites(ctx.get(), ciphersuites.c_str()) == 1) return std::nullopt;
  const std::string why = take_openssl_errors();
  return "TLS 1.3 suites such as TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256" +
         (why.empty() ? "" : "; OpenSSL: " + why);
}

KeyPair load_key_pair(const std::filesystem::path& cert, const std::filesystem::path& key) {
  KeyPair pair;
  pair.chain = load_certificates(cert);
  pair.key = load_private_key(key);
  ERR_clear_error();
  if (X509_check_private_key(pair.chain.front().get(), pair.key.get()) != 1) {
    ERR_clear_error();
    throw Error("the private key in " + key.string() + " does not match the certificate in " + cert.string());
  }
  return pair;
}

void use_key_pair(SSL_CTX* ctx, const KeyPair& pair) {
  ERR_clear_error();
  bool ok = SSL_CTX_use_certificate(ctx, pair.chain.front().get()) == 1;
  SSL_CTX_clear_chain_certs(ctx);
  for (std::size_t i = 1; ok && i < pair.chain.size(); ++i) ok = SSL_CTX_add1_chain_cert(ctx, pair.chain[i].get()) == 1;
  ok = ok && SSL_CTX_use_PrivateKey(ctx, pair.key.get()) == 1;
  if (!ok) throw Error("cannot use the certificate: " + take_openssl_errors());
}

void trust(SSL_CTX* ctx, const CaBundle& ca) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& c : ca.certs) X509_STORE_add_cert(store, c.get());  // duplicates are ignored
  ERR_clear_error();
}

}  // namespace spop::tls
