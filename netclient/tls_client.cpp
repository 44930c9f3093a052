#include "netclient/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "tls/context_setup.hpp"
#include "tls/errors.hpp"
#include "tls/x509_text.hpp"

namespace spop::netclient {

namespace {

bool is_ip_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The reason OpenSSL gives for a failed step, with what the agent's alert or the verification says.
std::string describe_failure(SSL* ssl, const char* what) {
  const long verify = SSL_get_verify_result(ssl);
  const int reason = ERR_GET_REASON(ERR_peek_last_error());
  std::string openssl = tls::take_openssl_errors();
  // The agent's alerts: it refused us, mostly for our certificate.
  if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED || reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE) {
    return "the agent refused the TLS connection (" + openssl + "): it requires a client certificate (--tls-cert)";
  }
  if (reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
      reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN || reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR) {
    return "the agent refused our client certificate (" + openssl + "): it must be signed by a CA of its --tls-ca";
  }
  if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL) {
    return "no TLS version in common with the agent (" + openssl + ")";
  }
  if (verify != X509_V_OK) {
    std::string text = std::string("the agent's certificate does not verify: ") + X509_verify_cert_error_string(verify);
    if (X509* peer = SSL_get0_peer_certificate(ssl)) text += " (" + tls::subject_text(peer) + ")";
    return text;
  }
  if (openssl.empty()) openssl = std::strerror(errno);
  return std::string("TLS ") + what + " failed: " + openssl;
}

}  // namespace

ClientContext::ClientContext(TlsClientOptions options) : options_(std::move(options)) {
  // OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL): a record written to a connection
  // the agent has closed would kill the tool with SIGPIPE. Ignored, it comes back as EPIPE, an error
  // like any other. (The plaintext path already sends with MSG_NOSIGNAL.)
  std::signal(SIGPIPE, SIG_IGN);
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) throw tls::Error("cannot create a TLS context: " + tls::take_openssl_errors());
  SSL_CTX* ctx = ctx_.get();
  tls::set_versions(ctx, tls::Version::tls1_2);
  // An agent that closes without close_notify (after AGENT-DISCONNECT, or on a reset) has just closed:
  // treat it as the end of the stream, as the plaintext path sees an EOF.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options_.insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (options_.ca.empty()) SSL_CTX_set_default_verify_paths(ctx);
    else tls::trust(ctx, tls::load_ca(options_.ca));
  }
  if (!options_.cert.empty()) {
    tls::use_key_pair(ctx, tls::load_key_pair(options_.cert, options_.key.empty() ? options_.cert : options_.key));
  }
}

TlsSession::TlsSession(const ClientContext& context, int fd, const std::string& host)
    : ssl_(SSL_new(context.native())) {
  if (!ssl_) throw tls::Error("cannot create a TLS session: " + tls::take_openssl_errors());
  SSL_set_fd(ssl_.get(), fd);
  SSL_set_connect_state(ssl_.get());
  const TlsClientOptions& o = context.options();
  const std::string sni = o.sni.value_or(is_ip_address(host) ? std::string() : host);
  // SSL_set_tlsext_host_name() is a macro with a C cast.
  if (!sni.empty()) {
    SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(sni.c_str()));
  }
  if (o.insecure) return;
  const std::string name = o.verify_name.value_or(sni.empty() ? host : sni);
  if (name.empty()) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
  if (is_ip_address(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl_.get(), name.c_str());
  }
}

TlsStep TlsSession::step_of(int ret, const char* what) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return TlsStep::want_read;
    case SSL_ERROR_WANT_WRITE:
      return TlsStep::want_write;
    case SSL_ERROR_ZERO_RETURN:
      return TlsStep::closed;
    case SSL_ERROR_SYSCALL:
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return TlsStep::want_read;
      if (errno == 0 || errno == ECONNRESET || errno == EPIPE) {
        error_ = std::string("the agent closed the connection during the TLS ") + what;
        ERR_clear_error();
        return TlsStep::closed;
      }
      error_ = std::string("TLS ") + what + " failed: " + std::strerror(errno);
      ERR_clear_error();
      return TlsStep::failed;
    default:
      error_ = describe_failure(ssl_.get(), what);
      return TlsStep::failed;
  }
}

TlsStep TlsSession::handshake() {
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) return TlsStep::done;
  TlsStep step = step_of(ret, "handshake");
  if (step == TlsStep::closed) {
    // Closed mid-handshake: the agent refused us (our certificate, the version...), or is not TLS.
    if (error_.empty()) error_ = "the agent closed the connection during the TLS handshake";
    error_ += " (is the agent serving TLS, and does it accept our certificate?)";
    return TlsStep::failed;
  }
  return step;
}

TlsStep TlsSession::read(std::span<std::byte> out, std::size_t& n) {
  ERR_clear_error();
  errno = 0;
  n = 0;
  if (SSL_read_ex(ssl_.get(), out.data(), out.size(), &n) == 1) return TlsStep::done;
  return step_of(0, "read");
}

TlsStep TlsSession::write(std::span<const std::byte> in, std::size_t& n) {
  ERR_clear_error();
  errno = 0;
  n = 0;
  if (SSL_write_ex(ssl_.get(), in.data(), in.size(), &n) == 1) {
    retry_size_ = 0;
    return TlsStep::done;
  }
  const TlsStep step = step_of(0, "write");
  if (step == TlsStep::want_read || step == TlsStep::want_write) retry_size_ = std::max(retry_size_, in.size());
  return step;
}

std::size_t TlsSession::buffered() const noexcept { return static_cast<std::size_t>(SSL_pending(ssl_.get())); }

void TlsSession::close_notify() noexcept {
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

std::string TlsSession::summary() const {
  std::string out = std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
  if (X509* peer = SSL_get0_peer_certificate(ssl_.get())) out += ", agent certificate " + tls::subject_text(peer);
  return out;
}

}  // namespace spop::netclient
