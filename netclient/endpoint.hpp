// Where an SPOP peer listens (a TCP host and port, or a unix socket) and how the tools reach it:
// a connect within a deadline and a bounded wait on a socket. Shared by spop-cli and spop-sim
// (transport.hpp adds TLS on top).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace spop::netclient {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 12345;
  std::string unix_path;  ///< when set, host and port are not used

  /// "127.0.0.1:12345", "[::1]:12345" (IPv6 in brackets), "unix:/run/spoa.sock".
  std::string to_string() const;
};

/// Why a connect failed.
enum class ConnectError { none, resolve, refused, unreachable, timeout, tls };

struct Connected {
  int fd = -1;  ///< non-blocking, close-on-exec, TCP_NODELAY over TCP; -1 when `error` is set
  ConnectError error = ConnectError::none;
  std::string message;  ///< e.g. "cannot connect to 127.0.0.1:1: connection refused"
};

/// Connects to `endpoint`, trying every address of a host name in turn, all before `deadline`.
Connected connect_endpoint(const Endpoint& endpoint, std::chrono::steady_clock::time_point deadline);

/// Waits for `events` (poll flags) on `fd` until `deadline`: >0 ready (`revents` set when given),
/// 0 timed out, <0 error (errno set). Never returns early because poll() rounds its timeout down.
int wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline, short* revents = nullptr);

}  // namespace spop::netclient
