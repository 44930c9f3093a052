// Where the Redis store's data lives and how to log in: the --state URL forms (redis://, unix://,
// redis-sentinel://), the credentials (in the URL or read from --state-password-file), and the texts
// that name a store without ever showing its password. No I/O besides reading the password file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace spoa {

/// One server: a TCP host and port, or a unix socket path.
struct RedisEndpoint {
  std::string host;       ///< name or address (IPv6 without brackets); empty for a unix socket
  std::uint16_t port = 0;
  std::string unix_path;  ///< set for a unix socket

  bool is_unix() const noexcept { return !unix_path.empty(); }
  /// "127.0.0.1:6379", "[::1]:6379", "unix:/run/redis/redis.sock".
  std::string display() const;
  friend bool operator==(const RedisEndpoint&, const RedisEndpoint&) = default;
};

struct RedisCredentials {
  std::string user;                     ///< ACL user; empty: Redis' default user
  std::optional<std::string> password;  ///< none: no AUTH is sent
};

/// A parsed --state URL.
struct RedisTarget {
  std::vector<RedisEndpoint> servers;  ///< the server; with Sentinel, the sentinels to ask, in order
  std::string master_name;             ///< set: ask the sentinels where this master is
  int db = 0;
  RedisCredentials credentials;

  bool uses_sentinel() const noexcept { return !master_name.empty(); }
  /// The name every message gives the store, without credentials: "redis 127.0.0.1:6379/2",
  /// "redis unix:/run/redis/redis.sock", "redis-sentinel mymaster".
  std::string describe() const;
};

inline constexpr std::uint16_t redis_default_port = 6379;
inline constexpr std::uint16_t sentinel_default_port = 26379;

/// Parses a --state URL:
///   redis://[user[:password]@]host[:port][/db]
///   unix://[user[:password]@]/path/to/redis.sock[?db=N]
///   redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/master[/db]
/// A host may be an [IPv6] literal; user and password are percent-decoded (%40 for '@'); ":password@"
/// alone is a password for requirepass. Returns the target, or what is wrong (never the password).
std::variant<RedisTarget, std::string> parse_redis_target(std::string_view url);

/// True for the schemes above: such a value is a Redis store, even if malformed.
bool is_redis_url(std::string_view url);

/// Where the password of `url`'s user info is (offset, length), if it has one.
std::optional<std::pair<std::size_t, std::size_t>> find_url_password(std::string_view url);

/// `url` with the password part of its user info replaced by "***", for messages that echo a value.
std::string redact_redis_url(std::string_view url);

/// The password in `file`: its contents without a final line end (one "\n" or "\r\n"). Throws
/// std::runtime_error naming the file (never its contents) when it cannot be read or is empty.
std::string read_password_file(const std::filesystem::path& file);

}  // namespace spoa
