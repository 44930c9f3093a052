// One stream type for every connection of the agent, plaintext or TLS, so that the connection code
// is written once. Over TLS it is an Asio ssl::stream on the accepted socket; plaintext it is the
// socket itself. Either way:
//
//  * async_read_some / async_write_some / async_shutdown are Asio operations (any completion token);
//  * read_now() takes what can be had without waiting (bytes TLS already decrypted, then what the kernel
//    holds), so that the connection can gather a whole batch of pipelined NOTIFYs before it answers, and
//    then write all the ACKs of the batch in one write: one TLS record then carries many ACKs;
//  * socket() is the socket underneath, for cancel() (timeouts wake a pending read), close(),
//    available() and shutdown(). Unix sockets are always served plaintext.
//
// The stream keeps the SSL context it was created with alive, so that a reload (ContextHolder) may
// replace the worker's context while older connections still use theirs. OpenSSL's buffers are kept
// for the connection's life (SSL_MODE_RELEASE_BUFFERS is cleared): no allocation per record, about
// 70 KB per TLS connection. Not movable: the TLS layer refers to the socket member.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

namespace spoa::tls {

namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;
using Context = asio::ssl::context;

class AgentStream {
 public:
  using TlsLayer = asio::ssl::stream<Socket&>;

  /// A plaintext connection.
  explicit AgentStream(Socket socket) : socket_(std::move(socket)) { init_socket(); }

  /// A TLS connection, server side, with `context`; the handshake is still to be done
  /// (server_handshake() in handshake.hpp). A null `context` makes a plaintext stream, so that the
  /// connection code can write `AgentStream(socket, tls_enabled && !unix ? holder.current() : nullptr)`.
  AgentStream(Socket socket, std::shared_ptr<Context> context)
      : socket_(std::move(socket)), context_(std::move(context)) {
    init_socket();
    if (!context_) return;
    tls_.emplace(socket_, *context_);
    SSL_clear_mode(tls_->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  }

  AgentStream(const AgentStream&) = delete;
  AgentStream& operator=(const AgentStream&) = delete;

  bool is_tls() const noexcept { return tls_.has_value(); }
  /// The socket under the TLS layer (or the plaintext socket).
  Socket& socket() noexcept { return socket_; }
  /// The TLS layer; only when is_tls().
  TlsLayer& tls() noexcept { return *tls_; }
  /// The OpenSSL session (version, cipher, peer certificate); nullptr when plaintext.
  SSL* ssl() noexcept { return tls_ ? tls_->native_handle() : nullptr; }

  using executor_type = Socket::executor_type;
  executor_type get_executor() noexcept { return socket_.get_executor(); }

  /// Reads at least one byte (waits), at most `buffer.size()`: plaintext bytes either way.
  template <class Token>
  auto async_read_some(const asio::mutable_buffer& buffer, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const asio::mutable_buffer& b) {
          if (tls_) tls_->async_read_some(b, std::move(handler));
          else socket_.async_read_some(b, std::move(handler));
        },
        token, buffer);
  }

  /// Writes some of `buffer` (over TLS: up to one record of 16 KB per call).
  template <class Token>
  auto async_write_some(const asio::const_buffer& buffer, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const asio::const_buffer& b) {
          if (tls_) tls_->async_write_some(b, std::move(handler));
          else socket_.async_write_some(b, std::move(handler));
        },
        token, buffer);
  }

  /// Ends our side: over TLS, sends close_notify and completes when the peer's close_notify or EOF
  /// arrives (bound it: the worker's linger deadline cancels the socket); plaintext, shuts the socket
  /// down for sending and completes at once. The socket stays open for reading either way.
  template <class Token>
  auto async_shutdown(Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          if (tls_) {
            tls_->async_shutdown(std::move(handler));
            return;
          }
          boost::system::error_code ec;
          socket_.shutdown(asio::socket_base::shutdown_send, ec);
          asio::post(socket_.get_executor(), [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
        },
        token);
  }

  /// Reads without waiting: over TLS the bytes already decrypted or decryptable from what the
  /// kernel holds, plaintext what the kernel holds. 0 with `ec` = would_block when there is nothing;
  /// eof or another error when the connection ended. Over TLS a read may have to write (the answer to a
  /// KeyUpdate the peer requested; HAProxy sends none): should the socket's send buffer be full then,
  /// the connection fails with an error rather than stall.
  /// Never write to socket() directly over TLS (a raw send would bypass the records): only through
  /// async_write_some.
  std::size_t read_now(const asio::mutable_buffer& buffer, boost::system::error_code& ec) {
    if (tls_) return tls_->read_some(buffer, ec);
    return socket_.read_some(buffer, ec);
  }

  /// Bytes already taken from the socket and waiting inside the TLS layer (not visible to poll or
  /// available()): decrypted ones of the current record plus received records not yet decrypted.
  /// Non-zero: read_now() has something without a system call. 0 when plaintext.
  std::size_t buffered() const noexcept {
    if (!tls_) return 0;
    SSL* ssl = const_cast<TlsLayer&>(*tls_).native_handle();
    return static_cast<std::size_t>(SSL_pending(ssl)) + BIO_ctrl_pending(SSL_get_rbio(ssl));
  }

 private:
  // Non-blocking for read_now(); Asio's async operations work the same either way.
  void init_socket() {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  Socket socket_;
  std::shared_ptr<Context> context_;
  std::optional<TlsLayer> tls_;
};

}  // namespace spoa::tls
