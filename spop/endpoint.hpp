// Where an SPOP peer listens: a TCP host and port, or a unix socket. Shared by spop-cli and spop-sim.
#pragma once

#include <cstdint>
#include <string>

namespace spop {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 12345;
  std::string unix_path;  ///< when set, host and port are not used

  /// "127.0.0.1:12345", "[::1]:12345" (IPv6 in brackets), "unix:/run/spoa.sock".
  std::string to_string() const;
};

}  // namespace spop
