// A blocking connection to one Redis server (TCP or unix socket) in which every step has a time limit:
// connecting, writing a request, reading its replies. The Redis store's calling threads each use one at a
// time; asynchronous clients bring their own I/O and reuse resp.hpp and redis_commands.hpp instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "agent/state/redis_target.hpp"
#include "agent/state/resp.hpp"

namespace spoa {

/// Why a Redis server could not be used. The text never holds a password.
class RedisFailure : public std::runtime_error {
 public:
  enum class Kind : std::uint8_t {
    io,       ///< cannot connect, connection lost, malformed reply, or a server that cannot serve now
    timeout,  ///< no connection or no answer within the time limit
    refused,  ///< the server refuses this configuration (password, database, master name)
  };
  RedisFailure(Kind kind, const std::string& text) : std::runtime_error(text), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class RedisConnection {
 public:
  /// Connects to `server` within `timeout` (messages do not repeat its address) (a host name is resolved first, without a time limit of its own:
  /// getaddrinfo has none). Throws RedisFailure (io or timeout).
  static RedisConnection open(const RedisEndpoint& server, std::chrono::milliseconds timeout);

  RedisConnection(RedisConnection&& other) noexcept;
  RedisConnection& operator=(RedisConnection&& other) noexcept;
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;
  ~RedisConnection();

  /// Writes `request` (one or more commands) and reads `count` replies, all within `timeout`. Throws
  /// RedisFailure (io or timeout); the connection is then unusable (a late answer would be mistaken for
  /// the next one's), so drop it.
  std::vector<resp::Reply> exchange(std::string_view request, std::size_t count, std::chrono::milliseconds timeout);

  int fd() const noexcept { return fd_; }

 private:
  explicit RedisConnection(int fd) noexcept : fd_(fd) {}
  using Deadline = std::chrono::steady_clock::time_point;
  /// Waits until fd_ is ready for `events` or the deadline passes (then false).
  bool wait(short events, Deadline deadline) const;

  int fd_ = -1;
  resp::Reader reader_;
};

}  // namespace spoa
