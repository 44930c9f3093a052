// TLS for the tools' connections to an agent (spop-cli, spop-sim): the client settings, the SSL
// context built from them, and a non-blocking TLS session over a connected socket that the tools'
// own poll loops drive (OpenSSL directly: the tools use raw non-blocking descriptors, not Asio).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "tls/openssl_ptr.hpp"

namespace spop::netclient {

/// --tls, --tls-ca, --tls-cert, --tls-key, --tls-server-name, --tls-insecure; or, for spop-sim run,
/// `ssl verify ... ca-file ... crt ... sni ...` on HAProxy's server line.
struct TlsClientOptions {
  bool enabled = false;
  std::filesystem::path ca;    ///< trusted CAs, file or directory; empty: the system's store
  std::filesystem::path cert;  ///< our certificate for mutual TLS (may hold the key too); empty: none
  std::filesystem::path key;   ///< its key; empty: read from `cert`
  /// SNI sent; nullopt: the host name connected to, unless it is an IP address.
  std::optional<std::string> sni;
  /// DNS name or IP address the agent's certificate must carry; nullopt: the SNI if any, else the host
  /// connected to; "": no name check (HAProxy's `verify required` without `sni` or `verifyhost`).
  std::optional<std::string> verify_name;
  bool insecure = false;  ///< accept any certificate from the agent (tests; HAProxy's `verify none`)
};

/// An SSL context for connections to agents.
class ClientContext {
 public:
  /// Reads the CA, certificate and key now. Throws spop::tls::Error naming the file and the problem.
  explicit ClientContext(TlsClientOptions options);

  SSL_CTX* native() const noexcept { return ctx_.get(); }
  const TlsClientOptions& options() const noexcept { return options_; }

 private:
  TlsClientOptions options_;
  tls::SslCtxPtr ctx_;
};

/// What a step of a non-blocking session needs before it can go on.
enum class TlsStep { done, want_read, want_write, closed, failed };

/// One TLS session over a connected, non-blocking socket (not owned).
class TlsSession {
 public:
  /// `host`: the name or address connected to, for the default SNI and name check.
  TlsSession(const ClientContext& context, int fd, const std::string& host);

  /// Advances the handshake: done, want_read/want_write (poll, then call again) or failed (error()).
  TlsStep handshake();
  /// Reads decrypted bytes into `out`; `n` is set when done. closed: the agent ended the TLS session or
  /// the connection (EOF).
  TlsStep read(std::span<std::byte> out, std::size_t& n);
  /// Writes some of `in` (one record per call at most 16 KB); `n` is set when done. After want_write, the
  /// next call must offer at least retry_size() bytes (the same bytes first), as OpenSSL requires.
  TlsStep write(std::span<const std::byte> in, std::size_t& n);
  std::size_t retry_size() const noexcept { return retry_size_; }
  /// Decrypted bytes waiting in the session: readable without polling the socket.
  std::size_t buffered() const noexcept;
  /// Sends close_notify, best effort (never waits).
  void close_notify() noexcept;

  /// Why the last step failed: "the agent's certificate does not verify: ..." and such.
  const std::string& error() const noexcept { return error_; }
  /// "TLSv1.3 TLS_AES_256_GCM_SHA384, agent certificate CN=localhost"
  std::string summary() const;
  /// The OpenSSL session (the agent's certificate, the version agreed...).
  SSL* native_handle() const noexcept { return ssl_.get(); }

 private:
  TlsStep step_of(int ret, const char* what);

  tls::SslPtr ssl_;
  std::string error_;
  std::size_t retry_size_ = 0;
};

}  // namespace spop::netclient
