// RESP2, the Redis wire protocol, without any I/O: commands become bytes, received bytes become replies.
//
// The blocking client of the Redis store uses it, and so can any client that moves the bytes itself (a Lua
// coroutine on a cosocket, an asyncio transport): nothing here knows sockets, threads or clocks. Only what
// a client of RESP2 receives is parsed (no RESP3: the store never sends HELLO 3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spoa::resp {

/// One reply as Redis sent it.
struct Reply {
  enum class Type : std::uint8_t { status, error, integer, bulk, nil, array };
  Type type = Type::nil;
  std::string text;             ///< status, error and bulk: the bytes (binary-safe)
  std::int64_t integer = 0;     ///< integer
  std::vector<Reply> elements;  ///< array

  bool is_error() const noexcept { return type == Type::error; }
  /// The first word of an error ("WRONGPASS", "READONLY", "ERR"); empty for other types.
  std::string_view error_code() const noexcept;
};

/// Appends one command (an array of bulk strings: binary-safe, no quoting) to `out`.
void append_command(std::string& out, std::span<const std::string_view> args);
void append_command(std::string& out, std::initializer_list<std::string_view> args);

/// What a reply may hold at most: beyond, the peer is broken or not Redis (the store's values are small).
inline constexpr std::size_t max_bulk = std::size_t{16} << 20;
inline constexpr std::size_t max_elements = std::size_t{1} << 16;
inline constexpr int max_depth = 8;

enum class ParseStatus : std::uint8_t {
  complete,   ///< one whole reply was parsed
  need_more,  ///< the bytes end inside a reply: call again with more
  malformed,  ///< not RESP2, or beyond the limits: the connection cannot be used any further
};

/// Parses one reply from the front of `bytes` (stateless: after need_more, call again with the same bytes
/// plus the new ones). On complete, `out` holds it and `used` the bytes it took. On malformed, `why` says
/// what was wrong (when not null).
ParseStatus parse_reply(std::string_view bytes, Reply& out, std::size_t& used, std::string* why = nullptr);

/// Received bytes in, whole replies out: a buffer over parse_reply() for clients reading a stream.
class Reader {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  /// The next whole reply into `out`; need_more until enough bytes were fed. After malformed, error()
  /// says why and the reader stays malformed.
  ParseStatus next(Reply& out);
  const std::string& error() const noexcept { return error_; }
  /// Bytes fed and not yet parsed.
  std::size_t buffered() const noexcept { return buffer_.size() - start_; }

 private:
  std::string buffer_;
  std::size_t start_ = 0;
  std::string error_;
};

}  // namespace spoa::resp
