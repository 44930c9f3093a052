// The server handshake with its deadline, and the one log line of each failure (see handshake.hpp).
#include "agent/tls/handshake.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <memory>

#include "agent/asio_tuple.hpp"
#include "agent/logging.hpp"
#include "tls/x509_text.hpp"

namespace spoa::tls {

// Not in the anonymous namespace: the coroutine frame of server_handshake() holds one, and GCC
// warns about a frame type with internal linkage members.
namespace detail {

// The timer's handler may run after the handshake has ended (both ready in the same turn of the
// loop): it touches the socket only while the handshake is still running. On expiry it closes the
// socket: the connection is over anyway.
struct HandshakeDeadline {
  bool done = false;
  bool expired = false;
  Socket* socket = nullptr;
};

}  // namespace detail

namespace {

using boost::system::error_code;


// The TLS record type of a handshake message: every ClientHello starts with it.
constexpr unsigned char tls_handshake_record = 0x16;
constexpr unsigned char spop_haproxy_hello = 1;
constexpr unsigned char spop_haproxy_disconnect = 2;
constexpr unsigned char spop_notify = 3;

std::string hex_bytes(const unsigned char* data, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{}{:02x}", i == 0 ? "" : " ", data[i]);
  return out;
}

// Names what a client that did not start with a TLS record sent.
HandshakeResult classify_plaintext(const unsigned char* head, std::size_t n) {
  // An SPOP frame: a 4-byte length (< 16 MB, so a zero first byte) then a frame type HAProxy sends.
  if (n >= 5 && head[0] == 0 &&
      (head[4] == spop_haproxy_hello || head[4] == spop_notify || head[4] == spop_haproxy_disconnect)) {
    return {HandshakeFailure::plaintext_spop,
            std::string("plaintext SPOP (") + (head[4] == spop_haproxy_hello ? "a HAPROXY-HELLO" : "an SPOP frame") +
                ") on a TLS port: add 'ssl' (with 'verify required ca-file ...') to HAProxy's server line, or "
                "serve this agent without --tls-cert"};
  }
  return {HandshakeFailure::not_tls, "not a TLS ClientHello (first bytes: " + hex_bytes(head, n) + ")"};
}

int failure_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Verification callback: remembers which certificate failed and why, for the log line.
int remember_verify_failure(int preverify_ok, X509_STORE_CTX* ctx) {
  if (preverify_ok == 1) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* out = ssl != nullptr ? static_cast<std::string*>(SSL_get_ex_data(ssl, failure_index())) : nullptr;
  if (out != nullptr && out->empty()) {
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    *out = (cert != nullptr ? spop::tls::subject_text(cert) + ": " : std::string()) +
           X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  }
  return 0;
}

HandshakeResult classify_tls_error(const error_code& ec, const std::string& verify_failure) {
  namespace ssl_error = asio::ssl::error;
  if (ec == ssl_error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe) {
    return {HandshakeFailure::closed, "the peer closed the connection during the handshake"};
  }
  if (ec.category() != asio::error::get_ssl_category()) return {HandshakeFailure::other, ec.message()};
  const auto code = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
  const char* text = ERR_reason_error_string(code);
  const std::string openssl = text != nullptr ? text : ec.message();
  switch (ERR_GET_REASON(code)) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return {HandshakeFailure::no_client_certificate,
              "no client certificate (mutual TLS: --tls-ca requires one; HAProxy's server line needs 'crt')"};
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return {HandshakeFailure::bad_client_certificate,
              "client certificate refused: " + (verify_failure.empty() ? openssl : verify_failure) +
                  " (it must be signed by a CA of --tls-ca)"};
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return {HandshakeFailure::no_common_parameters, "no TLS version in common (" + openssl + "; see --tls-min-version)"};
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
      return {HandshakeFailure::no_common_parameters, "no cipher in common (" + openssl + "; see --tls-ciphers)"};
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return {HandshakeFailure::certificate_rejected,
              "the client rejected our certificate (" + openssl +
                  "): its CA file must hold the CA that signed --tls-cert, and the name it checks must match"};
    default:
      return {HandshakeFailure::other, openssl};
  }
}

spdlog::level::level_enum failure_log_level(HandshakeFailure f) {
  switch (f) {
    case HandshakeFailure::none:
    case HandshakeFailure::closed_silently:
      return spdlog::level::debug;
    case HandshakeFailure::closed:
    case HandshakeFailure::timeout:
      return spdlog::level::info;
    default:
      return spdlog::level::warn;
  }
}

std::string agreed_parameters(SSL* ssl) {
  std::string out = fmt::format("{} {}", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
  if (X509* peer = SSL_get0_peer_certificate(ssl)) out += ", client " + spop::tls::subject_text(peer);
  return out;
}

// Waits for the first bytes, tells a ClientHello from anything else, then handshakes.
asio::awaitable<HandshakeResult> handshake_steps(AgentStream& stream, const detail::HandshakeDeadline& deadline,
                                     std::chrono::milliseconds timeout) {
  const int fd = stream.socket().native_handle();
  unsigned char head[8];
  ssize_t n = -1;
  while (n < 0) {
    auto [wait_ec] = co_await stream.socket().async_wait(asio::socket_base::wait_read, use_tuple);
    if (wait_ec) {
      if (deadline.expired) {
        co_return HandshakeResult{HandshakeFailure::timeout,
                                  fmt::format("no TLS handshake: nothing received within {} ms", timeout.count())};
      }
      co_return HandshakeResult{HandshakeFailure::other, wait_ec.message()};
    }
    n = ::recv(fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      co_return HandshakeResult{HandshakeFailure::closed,
                                std::string("the peer reset the connection before the handshake: ") + std::strerror(errno)};
    }
  }
  if (n == 0) co_return HandshakeResult{HandshakeFailure::closed_silently, "the peer closed without sending anything"};
  if (head[0] != tls_handshake_record) co_return classify_plaintext(head, static_cast<std::size_t>(n));

  SSL* ssl = stream.ssl();
  std::string verify_failure;
  if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
    SSL_set_ex_data(ssl, failure_index(), &verify_failure);
    SSL_set_verify(ssl, SSL_get_verify_mode(ssl), remember_verify_failure);
  }
  auto [ec] = co_await stream.tls().async_handshake(asio::ssl::stream_base::server, use_tuple);
  SSL_set_ex_data(ssl, failure_index(), nullptr);
  if (!ec) co_return HandshakeResult{HandshakeFailure::none, agreed_parameters(ssl)};
  if (deadline.expired) {
    co_return HandshakeResult{HandshakeFailure::timeout,
                              fmt::format("the TLS handshake did not complete within {} ms", timeout.count())};
  }
  ERR_clear_error();
  co_return classify_tls_error(ec, verify_failure);
}

}  // namespace

std::string_view to_string(HandshakeFailure f) noexcept {
  switch (f) {
    case HandshakeFailure::none: return "none";
    case HandshakeFailure::closed_silently: return "closed_silently";
    case HandshakeFailure::closed: return "closed";
    case HandshakeFailure::timeout: return "timeout";
    case HandshakeFailure::plaintext_spop: return "plaintext_spop";
    case HandshakeFailure::not_tls: return "not_tls";
    case HandshakeFailure::no_client_certificate: return "no_client_certificate";
    case HandshakeFailure::bad_client_certificate: return "bad_client_certificate";
    case HandshakeFailure::certificate_rejected: return "certificate_rejected";
    case HandshakeFailure::no_common_parameters: return "no_common_parameters";
    case HandshakeFailure::other: return "other";
  }
  return "?";
}

asio::awaitable<HandshakeResult> server_handshake(AgentStream& stream, std::chrono::milliseconds timeout,
                                                 std::string peer, std::uint64_t connection_id) {
  auto deadline = std::make_shared<detail::HandshakeDeadline>();
  deadline->socket = &stream.socket();
  asio::steady_timer timer(stream.get_executor());
  if (timeout.count() > 0) {
    timer.expires_after(timeout);
    timer.async_wait([deadline](const error_code& ec) {
      if (ec || deadline->done) return;
      deadline->expired = true;
      // Closing, not cancelling: a cancel() that falls between two steps of the handshake (one
      // completed, the next not yet started) would be lost and the handshake would stall for good.
      error_code ignored;
      deadline->socket->close(ignored);
    });
  }
  HandshakeResult r;
  try {
    r = co_await handshake_steps(stream, *deadline, timeout);
  } catch (const std::exception& e) {
    r = {HandshakeFailure::other, e.what()};
  }
  deadline->done = true;
  timer.cancel();

  LogScope scope(LogContext::of_connection(connection_id));
  if (r.ok()) {
    spdlog::debug("TLS handshake with {} done: {}", peer, r.reason);
  } else {
    spdlog::log(failure_log_level(r.failure), "TLS handshake with {} failed: {}; closing", peer, r.reason);
  }
  co_return r;
}

std::string peer_name(const Socket& socket) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(const_cast<Socket&>(socket).native_handle(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return "unknown peer";
  }
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(in->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(in6->sin6_port));
  }
  if (addr.ss_family == AF_UNIX) return "unix socket";
  return "unknown peer";
}

}  // namespace spoa::tls
