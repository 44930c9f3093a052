// Listening sockets (TCP over IPv4/IPv6, unix), opened by the supervisor before it forks workers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace spoa {

struct Options;

/// Binding or listening failed; what() names the address and the system error.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One bound, listening, non-blocking socket.
struct ListenSocket {
  int fd = -1;
  int family = 0;          ///< AF_INET, AF_INET6 or AF_UNIX
  std::string host;        ///< numeric address, or the unix socket path
  std::uint16_t port = 0;  ///< the actual port (also when 0 was asked for)

  /// "127.0.0.1:12345", "[::]:12345", "unix:/run/spoa.sock": for log lines.
  std::string display() const;
  /// "127.0.0.1 12345" or "unix /run/spoa.sock": one line of --ready-file.
  std::string ready_line() const;
};

/// The listening sockets of the agent. Closing them (destructor) does not remove a unix socket file:
/// workers hold copies after fork, so only the supervisor calls remove_unix_socket() when it exits.
class Listeners {
 public:
  /// Binds every address of `options` (TCP on --address or 0.0.0.0 and ::, plus --unix). With port 0
  /// every TCP socket gets the same ephemeral port. IPv6 missing on the host is tolerated for the
  /// default addresses. Throws ListenError.
  explicit Listeners(const Options& options);
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;
  ~Listeners();

  const std::vector<ListenSocket>& sockets() const noexcept { return sockets_; }
  void remove_unix_socket() noexcept;
  /// Closes every socket (a worker stops accepting; the files stay for the other workers).
  void close_all() noexcept;

 private:
  std::vector<ListenSocket> sockets_;
  std::filesystem::path unix_path_;
};

}  // namespace spoa
