// Test helpers: throw-away redis-server and redis-sentinel processes on 127.0.0.1 (free ports, scratch
// directories), started and waited for by polling, and always killed by their destructors; and a way to
// send them commands directly (to check what the store wrote, or to configure them).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/state/redis_store.hpp"
#include "agent/state/resp.hpp"

namespace spoa::test {

/// True if a redis-server binary is on PATH (tests needing one skip otherwise).
bool redis_server_available();
/// True if a redis-sentinel binary is on PATH (Debian package redis-sentinel).
bool redis_sentinel_available();

/// Sends one command to 127.0.0.1:port (after AUTH when `password` is set) and returns its reply;
/// nullopt when the server does not answer within a few seconds.
std::optional<resp::Reply> redis_command(std::uint16_t port, std::initializer_list<std::string_view> args,
                                         const std::string& password = {});

struct RedisServerOptions {
  std::uint16_t port = 0;                 ///< 0: a free one
  std::vector<std::string> args;          ///< more redis-server options, e.g. {"--requirepass", "pw"}
  bool persistent = false;                ///< AOF with fsync on every write: acknowledged writes survive SIGKILL
  bool unix_socket = false;               ///< also listen on <dir>/redis.sock
  std::string password;                   ///< what readiness checks and command() authenticate with

  /// A server with `requirepass` set to `secret` (and command() logging in with it).
  static RedisServerOptions requiring_password(const std::string& secret) {
    RedisServerOptions o;
    o.args = {"--requirepass", secret};
    o.password = secret;
    return o;
  }
};

class RedisServer {
 public:
  /// Starts redis-server on `port` (0: a free one) and waits (bounded) until it answers.
  explicit RedisServer(std::uint16_t port = 0);
  explicit RedisServer(RedisServerOptions options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool running() const noexcept { return pid_ > 0 && ready_; }
  std::uint16_t port() const noexcept { return options_.port; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(options_.port); }
  std::filesystem::path unix_path() const { return dir_ / "redis.sock"; }
  pid_t pid() const noexcept { return pid_; }

  /// SIGKILL and reap: the server vanishes without a goodbye, as in a crash.
  void kill();
  /// SIGTERM and reap: a clean shutdown (with persistent, the AOF is complete).
  void stop();
  /// Starts it again on the same port, with the same options and directory (persistent: same data).
  bool restart();
  /// SIGSTOP / SIGCONT: a server that stalls (connections stay open, nothing is answered). pause() returns
  /// once the server is stopped.
  void pause();
  void resume();
  /// Bytes clients have sent that the server has not read yet, over its TCP connections (from
  /// /proc/net/tcp): what a paused server leaves in its receive queues.
  std::size_t unread_bytes() const;

  std::optional<resp::Reply> command(std::initializer_list<std::string_view> args) const {
    return redis_command(options_.port, args, options_.password);
  }

 private:
  bool start_once();

  RedisServerOptions options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

/// A redis-sentinel watching the master `master` on 127.0.0.1:`master_port` with quorum 2, short
/// timeouts (down after 500 ms, failover timeout 2 s) so that a failover takes a few seconds.
class RedisSentinel {
 public:
  /// `auth_pass`: the master's password; `own_password`: the sentinel's own (requirepass).
  RedisSentinel(std::uint16_t master_port, const std::string& master, const std::string& auth_pass = {},
                const std::string& own_password = {});
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  bool running() const noexcept { return pid_ > 0 && ready_; }
  std::uint16_t port() const noexcept { return port_; }
  std::optional<resp::Reply> command(std::initializer_list<std::string_view> args) const {
    return redis_command(port_, args, password_);
  }

 private:
  std::string password_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
};

/// Forks and execs `args` (argv[0] looked up in PATH) with stdout and stderr on /dev/null; the child's pid.
pid_t spawn_quietly(const std::vector<std::string>& args);

/// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

/// Store options for a server on 127.0.0.1:port (`url_tail` appended to the URL, e.g. "/3"), with a
/// generous timeout (the CI machine is busy) and short back-offs.
RedisStoreOptions redis_store_options(std::uint16_t port, const std::string& url_tail = {});
/// The same for any --state URL.
RedisStoreOptions redis_store_options_for(const std::string& url);

}  // namespace spoa::test
