#include "agent/tls/server_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls/context_setup.hpp"
#include "tls/errors.hpp"
#include "tls/x509_text.hpp"

namespace spoa::tls {

namespace {

// Session resumption with client certificates needs an id context, or OpenSSL fails the resumed
// handshake instead of falling back to a full one.
constexpr unsigned char session_id_context[] = "spoa";

void require_client_certificates(SSL_CTX* ctx, const spop::tls::CaBundle& ca) {
  spop::tls::trust(ctx, ca);
  // The CertificateRequest names the accepted CAs: a client with several certificates picks the right one.
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  for (const auto& c : ca.certs) {
    X509_NAME* name = X509_NAME_dup(X509_get_subject_name(c.get()));
    if (name != nullptr && sk_X509_NAME_push(names, name) <= 0) X509_NAME_free(name);
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // A certificate made for servers only must not open the door as a client.
  SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
}

}  // namespace

ServerContext make_server_context(const Options& options) {
  if (!options.enabled()) throw spop::tls::Error("TLS is not configured (no --tls-cert)");
  ServerContext out;
  out.context = std::make_shared<Context>(Context::tls_server);
  SSL_CTX* ctx = out.context->native_handle();
  spop::tls::set_versions(ctx, options.min_version);
  spop::tls::set_ciphers(ctx, options.ciphers, options.ciphersuites);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof session_id_context - 1);

  const auto pair = spop::tls::load_key_pair(options.cert, options.key);
  spop::tls::use_key_pair(ctx, pair);
  if (options.mutual()) require_client_certificates(ctx, spop::tls::load_ca(options.ca));

  const X509* leaf = pair.chain.front().get();
  out.certificate = spop::tls::subject_text(leaf) + " (serial " + spop::tls::serial_text(leaf) + "), expires " +
                    spop::tls::time_text(X509_get0_notAfter(leaf));
  return out;
}

}  // namespace spoa::tls
