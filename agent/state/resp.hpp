// RESP2, the Redis wire protocol, without any I/O: commands become bytes, received bytes become replies.
//
// The bytes are hiredis's: its command formatter writes the commands and its sans-I/O reply reader parses
// the replies (with reply functions that build Reply trees); this file adds our limits and Reply. The
// blocking client of the Redis store uses it, and so can any client that moves the bytes itself (a Lua
// coroutine on a cosocket, an asyncio transport): nothing here knows sockets, threads or clocks. Only what
// a client of RESP2 receives is parsed (no RESP3: the store never sends HELLO 3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
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
inline constexpr std::size_t max_bulk = std::size_t{16} << 20;      ///< bytes of one string
inline constexpr std::size_t max_line = std::size_t{64} << 10;      ///< bytes of a status or error line
inline constexpr std::size_t max_elements = std::size_t{1} << 16;   ///< elements of one array
/// Arrays in arrays: hiredis 0.14's own limit (it refuses a ninth level: "No support for nested multi bulk
/// replies with depth > 7").
inline constexpr int max_depth = 8;

enum class ParseStatus : std::uint8_t {
  complete,   ///< one whole reply was parsed
  need_more,  ///< the bytes end inside a reply: call again with more
  malformed,  ///< not RESP2, or beyond the limits: the connection cannot be used any further
};

namespace detail {
struct ReaderState;
}

/// Received bytes in, whole replies out (hiredis's reply reader). Feed what arrived, then call next()
/// until need_more: the limits above are checked as the bytes come, so that a reader drained after every
/// feed never holds much more than one string of max_bulk bytes.
class Reader {
 public:
  Reader() noexcept;
  ~Reader();
  Reader(Reader&& other) noexcept;
  Reader& operator=(Reader&& other) noexcept;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void feed(std::string_view bytes);
  /// The next whole reply into `out`; need_more until enough bytes were fed. After malformed, error()
  /// says why and the reader stays malformed.
  ParseStatus next(Reply& out);
  const std::string& error() const noexcept;
  /// Bytes fed and not part of a reply handed out yet.
  std::size_t buffered() const noexcept;

 private:
  detail::ReaderState& state();
  std::unique_ptr<detail::ReaderState> state_;  // created at the first feed
};

/// Parses one reply from the front of `bytes`, for callers that keep the bytes themselves: a Reader fed
/// `bytes` at once (after need_more, call again with the same bytes plus the new ones). On complete, `out`
/// holds it and `used` the bytes it took. On malformed, `why` says what was wrong (when not null).
ParseStatus parse_reply(std::string_view bytes, Reply& out, std::size_t& used, std::string* why = nullptr);

}  // namespace spoa::resp
