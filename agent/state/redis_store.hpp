// The Redis store: the same SharedStore over a Redis server, for several agents (on several machines)
// behind one HAProxy backend. Synchronous hiredis calls, each bounded by a timeout; a lost connection is
// a StateError for the call and a log line, and later calls reconnect with a growing back-off.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/engines/engine.hpp"
#include "agent/engines/shared_store.hpp"

struct redisContext;

namespace spoa {

/// Where the server is: redis://host[:port][/db].
struct RedisAddress {
  std::string host;
  std::uint16_t port = 6379;
  int db = 0;
};

/// Parses "redis://host[:port][/db]" (host may be an [IPv6] literal); nullopt when malformed.
std::optional<RedisAddress> parse_redis_url(std::string_view url);

struct RedisStoreOptions {
  RedisAddress address;
  std::chrono::milliseconds timeout{50};            ///< connect, and each command
  std::chrono::milliseconds first_backoff{100};     ///< wait after the first failure before reconnecting
  std::chrono::milliseconds max_backoff{2000};      ///< the wait doubles up to this
};

class RedisStore final : public SharedStore {
 public:
  /// Does not connect: each process connects on its first call (a connection is never shared across fork).
  RedisStore(RedisStoreOptions options, LogSink log);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  std::string describe() const override { return name_; }
  std::optional<StateValue> get(std::string_view key) override;
  void set(std::string_view key, const StateValue& value, std::chrono::milliseconds ttl) override;
  std::int64_t incr(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) override;
  bool del(std::string_view key) override;

 private:
  class Reply;
  /// Sends one command and returns its reply; throws StateError(unavailable) after dropping the connection.
  Reply command(const char* const* argv, const std::size_t* lengths, int argc);
  void connect();
  [[noreturn]] void fail(const std::string& what);
  void log(LogLevel level, const std::string& text) const;

  RedisStoreOptions options_;
  LogSink log_;
  std::string name_;
  redisContext* context_ = nullptr;
  int owner_pid_ = 0;
  bool was_connected_ = false;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
};

/// How values travel through Redis: integers as decimal text (so INCRBY works on them), text as "s" + bytes,
/// bytes as "b" + bytes. A value written by another program (none of these forms) reads as bytes, unchanged.
std::string encode_redis_value(const StateValue& value);
StateValue decode_redis_value(std::string_view stored);

}  // namespace spoa
