// Test helper: a throw-away HTTP server made with Debian's python3-aiohttp, on 127.0.0.1 (a free port
// the server picks itself), started and waited for by polling, always killed by its destructor.
// It answers GET /score/<a.b.c.d> with the address's last number as text, and counts requests.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

namespace spoa::test {

/// True if python3 can import aiohttp (tests needing it skip otherwise).
bool aiohttp_available();

class AiohttpServer {
 public:
  /// Starts the server and waits (bounded) until it listens; check running().
  AiohttpServer();
  ~AiohttpServer();
  AiohttpServer(const AiohttpServer&) = delete;
  AiohttpServer& operator=(const AiohttpServer&) = delete;

  bool running() const noexcept { return port_ != 0; }
  std::uint16_t port() const noexcept { return port_; }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace spoa::test
