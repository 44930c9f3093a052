// The shared state that script handlers reach through spoa.state_get/set/incr/del: an abstract key-value
// store that every engine (Lua, Python, PHP) binds to, with no Asio and no knowledge of where data lives.
//
// Two implementations live in agent/state/: the embedded store (a table in memory shared by the workers
// of one agent) and the Redis store (shared by several agents). Both keep the same rules, listed here.
//
// A language binding takes the store from EngineOptions::state (null: raise "no shared store is
// configured"), converts its arguments (state_ttl_from_seconds for TTLs), calls the store and turns a
// StateError into the language's error with the text "<function>: <what()>". Bindings: Lua
// (lua/lua_state_api.cpp), Python (python/python_state_api.cpp), PHP (php/php_state_api.cpp: spoa\state_*
// throwing spoa\StateError).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace spoa {

/// A stored value: an integer, or bytes tagged as text or binary, so that each language gets back what it
/// set (Python: str or bytes; Lua and PHP see both as strings).
struct StateValue {
  enum class Kind : std::uint8_t { integer = 1, text = 2, bytes = 3 };
  Kind kind = Kind::integer;
  std::int64_t integer = 0;  ///< when kind == integer
  std::string data;          ///< when kind == text or bytes

  static StateValue of_integer(std::int64_t v) { return {Kind::integer, v, {}}; }
  static StateValue of_text(std::string_view s) { return {Kind::text, 0, std::string(s)}; }
  static StateValue of_bytes(std::string_view s) { return {Kind::bytes, 0, std::string(s)}; }
  bool is_integer() const noexcept { return kind == Kind::integer; }
  friend bool operator==(const StateValue&, const StateValue&) = default;
};

/// Every limit a store enforces, the same for both stores so that they stay interchangeable.
namespace state_limits {
inline constexpr std::size_t max_key = 250;     ///< bytes; an empty key is refused too
inline constexpr std::size_t max_value = 1000;  ///< bytes of a text or bytes value
/// Longest TTL (about 24 days), so that deadlines stay far from any overflow.
inline constexpr std::chrono::milliseconds max_ttl{std::int64_t{1} << 31};
}  // namespace state_limits

/// Why a store call failed.
enum class StateErrc : std::uint8_t {
  bad_key,       ///< empty or longer than state_limits::max_key
  bad_value,     ///< text/bytes longer than state_limits::max_value
  bad_ttl,       ///< negative or above state_limits::max_ttl
  not_integer,   ///< incr on a text/bytes value
  overflow,      ///< incr would leave the int64 range
  full,          ///< embedded store: no free entry left (after dropping the expired ones)
  unavailable,   ///< Redis: not connected, connection lost, timeout, or an unexpected reply
};

/// The error every SharedStore call throws. what() is the full text a script sees, naming the store:
/// "embedded store: full (12288 entries; raise --state-size or give keys a TTL)",
/// "redis 127.0.0.1:6379: connection lost: Connection reset by peer".
class StateError : public std::runtime_error {
 public:
  StateError(StateErrc code, const std::string& text) : std::runtime_error(text), code_(code) {}
  StateErrc code() const noexcept { return code_; }

 private:
  StateErrc code_;
};

/// A key-value store shared beyond one worker. Calls are synchronous, made from the worker's thread.
///
/// Rules common to every implementation:
/// * keys are 1..max_key bytes; text/bytes values 0..max_value bytes; otherwise StateError (bad_key, bad_value).
/// * ttl 0 means "no expiry". An expired key reads as absent.
/// * incr(key, delta, ttl) adds to an integer value, creating a missing key from 0; it fails with
///   not_integer on text/bytes and with overflow outside int64 (the value is then unchanged). ttl is
///   applied only when the key has no expiry yet (a new key, or one set without TTL): a fixed window
///   counter keeps its first deadline.
/// * set replaces the value and its expiry (ttl 0 removes any expiry).
/// * Every call either completes or throws StateError; none blocks longer than the store's timeout.
class SharedStore {
 public:
  virtual ~SharedStore() = default;

  /// "embedded store", "redis 127.0.0.1:6379/0": the prefix of every error text.
  virtual std::string describe() const = 0;

  virtual std::optional<StateValue> get(std::string_view key) = 0;
  virtual void set(std::string_view key, const StateValue& value, std::chrono::milliseconds ttl) = 0;
  virtual std::int64_t incr(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) = 0;
  /// True if the key existed (and had not expired).
  virtual bool del(std::string_view key) = 0;
};

/// Checks the shared argument rules (key length, value length, ttl range) before a call reaches a store;
/// throws StateError naming `store`. Stores call it first thing, so that both give the same errors.
inline void check_state_arguments(const std::string& store, std::string_view key, const StateValue* value,
                                  std::chrono::milliseconds ttl) {
  if (key.empty()) throw StateError(StateErrc::bad_key, store + ": empty key");
  if (key.size() > state_limits::max_key) {
    throw StateError(StateErrc::bad_key, store + ": key too long (" + std::to_string(key.size()) +
                                             " bytes, limit " + std::to_string(state_limits::max_key) + ")");
  }
  if (value != nullptr && !value->is_integer() && value->data.size() > state_limits::max_value) {
    throw StateError(StateErrc::bad_value, store + ": value too long (" + std::to_string(value->data.size()) +
                                               " bytes, limit " + std::to_string(state_limits::max_value) + ")");
  }
  if (ttl.count() < 0 || ttl > state_limits::max_ttl) {
    throw StateError(StateErrc::bad_ttl, store + ": bad TTL " + std::to_string(ttl.count()) + " ms (0.." +
                                             std::to_string(state_limits::max_ttl.count()) + ")");
  }
}

/// A TTL given in (possibly fractional) seconds by a script, as milliseconds rounded up (0.0001 s is 1 ms,
/// not "no expiry"). nullopt when negative, not finite or above state_limits::max_ttl.
inline std::optional<std::chrono::milliseconds> state_ttl_from_seconds(double seconds) {
  if (!(seconds >= 0.0) || seconds > static_cast<double>(state_limits::max_ttl.count()) / 1000.0) return std::nullopt;
  const double ms = seconds * 1000.0;
  auto whole = static_cast<std::int64_t>(ms);
  if (static_cast<double>(whole) < ms) ++whole;
  return std::chrono::milliseconds{whole};
}

}  // namespace spoa
