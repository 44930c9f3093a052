// Test helper: a throw-away redis-server on 127.0.0.1 (free port, no persistence), stopped by its destructor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace spoa::test {

/// True if a redis-server binary is on PATH (tests needing one skip otherwise).
bool redis_server_available();

class RedisServer {
 public:
  /// Starts redis-server on `port` (0: a free one) and waits (bounded) until it answers PING.
  explicit RedisServer(std::uint16_t port = 0);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool running() const noexcept { return pid_ > 0 && ready_; }
  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  /// SIGKILL and reap: the server vanishes without a goodbye, as in a crash.
  void kill();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
};

/// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

}  // namespace spoa::test
