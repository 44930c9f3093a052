// The shared state that script handlers reach through spoa.state_get/set/incr/del: an abstract key-value
// store that every engine (Lua, Python, PHP) binds to, with no Asio and no knowledge of where data lives.
//
// Two implementations live in agent/state/: the embedded store (a table in memory shared by the workers
// of one agent) and the Redis store (shared by several agents). Both keep the same rules, listed here, and
// this base class applies the parts they share once, below every binding: the argument checks, the key
// prefix (--state-prefix) and the counting of calls and errors (--metrics-address).
//
// A language binding takes the store from EngineOptions::state (null: raise "no shared store is
// configured"), converts its arguments (state_ttl_from_seconds for TTLs), calls the store and turns a
// StateError into the language's error with the text "<function>: <what()>". Bindings: Lua
// (lua/lua_state_api.cpp), Python (python/python_state_api.cpp), PHP (php/php_state_api.cpp: spoa\state_*
// throwing spoa\StateError).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "agent/engines/state_counters.hpp"

namespace boost::asio {
class io_context;
}

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
inline constexpr std::size_t max_key = 250;     ///< bytes of a script's key; an empty key is refused too
inline constexpr std::size_t max_prefix = 64;   ///< bytes of --state-prefix (not counted in max_key)
inline constexpr std::size_t max_value = 1000;  ///< bytes of a text or bytes value
/// Longest TTL (about 24 days), so that deadlines stay far from any overflow.
inline constexpr std::chrono::milliseconds max_ttl{std::int64_t{1} << 31};
}  // namespace state_limits

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

/// A TTL given in (possibly fractional) seconds by a script, as milliseconds rounded up (0.0001 s is 1 ms,
/// not "no expiry"). nullopt when negative, not finite or above state_limits::max_ttl.
inline std::optional<std::chrono::milliseconds> state_ttl_from_seconds(double seconds) {
  if (!(seconds >= 0.0) || seconds > static_cast<double>(state_limits::max_ttl.count()) / 1000.0) return std::nullopt;
  const double ms = seconds * 1000.0;
  auto whole = static_cast<std::int64_t>(ms);
  if (static_cast<double>(whole) < ms) ++whole;
  return std::chrono::milliseconds{whole};
}

/// What SharedStore::check() found out about a store before any script ran (start-up and --check).
struct StoreCheck {
  enum class Verdict : std::uint8_t {
    ok,           ///< usable now
    unreachable,  ///< not reachable now; calls fail until it is (the agent starts anyway and retries)
    refused,      ///< reachable but it refuses this configuration (wrong password, unknown db or master)
  };
  Verdict verdict = Verdict::ok;
  std::string text;  ///< what a person reads: the store, and what was found (never a password)
};

/// What an asynchronous store call produced (see SharedStore::start()).
struct StateOutcome {
  std::optional<StateError> error;  ///< set: the call failed (the other fields mean nothing)
  std::optional<StateValue> value;  ///< get: the value, or nullopt for an absent key
  std::int64_t integer = 0;         ///< incr: the new value
  bool existed = false;             ///< del: the key existed
};

/// Where an asynchronous store call reports, once, on its event loop's thread (never from start()).
class StateCompletion {
 public:
  virtual ~StateCompletion() = default;
  virtual void state_done(StateOutcome outcome) noexcept = 0;
  /// Runs `fn(arg)` in the context of the call that waits, so that what the store logs while it reports
  /// (an outage that begins or ends) names that call, as the blocking calls' records do.
  virtual void in_context(void (*fn)(void*), void* arg) { fn(arg); }
};

/// One store call, for SharedStore::start(). The views need only live until start() returns.
struct StateRequest {
  StateOp op = StateOp::get;
  std::string_view key;
  const StateValue* value = nullptr;  ///< set
  std::int64_t delta = 0;             ///< incr
  std::chrono::milliseconds ttl{0};   ///< set, incr
};

/// A key-value store shared beyond one worker.
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
/// * Calls may come from several threads of one process at once (executor threads): implementations are
///   thread-safe. set_key_prefix() and count_into() are set up before the first call, on one thread.
/// * A key is stored as prefix + key; errors name the key as the script gave it.
class SharedStore {
 public:
  virtual ~SharedStore() = default;

  /// "embedded store", "redis 127.0.0.1:6379/0": the prefix of every error text. Never holds a secret.
  virtual std::string describe() const = 0;

  /// Its calls may wait on the network (Redis): callers that must not block (an event loop) run them
  /// on a thread of their own. The embedded store answers at once (false).
  virtual bool blocks() const noexcept { return false; }

  /// Checks now that the store can serve (Redis: connects, authenticates, selects the database). The
  /// embedded store is always ok.
  virtual StoreCheck check() { return {StoreCheck::Verdict::ok, describe()}; }

  /// --state-prefix: prepended to every key, at most state_limits::max_prefix bytes (else
  /// std::invalid_argument).
  void set_key_prefix(std::string prefix) {
    if (prefix.size() > state_limits::max_prefix) {
      throw std::invalid_argument("key prefix too long (" + std::to_string(prefix.size()) + " bytes, limit " +
                                  std::to_string(state_limits::max_prefix) + ")");
    }
    prefix_ = std::move(prefix);
  }
  const std::string& key_prefix() const noexcept { return prefix_; }

  /// Where calls, errors and connection events are counted (a worker's metrics slot); null: nowhere.
  void count_into(StateCounters* counters) noexcept { counters_ = counters; }

  std::optional<StateValue> get(std::string_view key) {
    return counted(StateOp::get, key, nullptr, std::chrono::milliseconds{0}, [&](const StateKey& k) { return do_get(k); });
  }
  void set(std::string_view key, const StateValue& value, std::chrono::milliseconds ttl) {
    counted(StateOp::set, key, &value, ttl, [&](const StateKey& k) { do_set(k, value, ttl); });
  }
  std::int64_t incr(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) {
    return counted(StateOp::incr, key, nullptr, ttl, [&](const StateKey& k) { return do_incr(k, delta, ttl); });
  }
  /// True if the key existed (and had not expired).
  bool del(std::string_view key) {
    return counted(StateOp::del, key, nullptr, std::chrono::milliseconds{0}, [&](const StateKey& k) { return do_del(k); });
  }

  /// The same calls without blocking, for handlers that wait on an event loop (Lua coroutines): starts
  /// `request` on `loop` and returns true; `done` then gets the outcome on that loop's thread. False
  /// when this store has no asynchronous form (the embedded store, whose calls never wait: call it
  /// directly). Argument errors throw StateError at once, as the blocking calls do. The store must
  /// outlive the loops it runs calls on.
  bool start(boost::asio::io_context& loop, const StateRequest& request, std::shared_ptr<StateCompletion> done) {
    if (!has_async()) return false;
    counted(request.op, request.key, request.value, request.ttl, [&](const StateKey& k) {
      do_start(loop, request, k, std::move(done));
      return 0;
    });
    return true;
  }

 protected:
  /// A key as the store keeps it (`stored`: prefix + name) and as the script gave it (`name`, for messages).
  struct StateKey {
    std::string_view name;
    std::string_view stored;
  };

  // The store's own work, called after the arguments passed the shared checks.
  virtual std::optional<StateValue> do_get(const StateKey& key) = 0;
  virtual void do_set(const StateKey& key, const StateValue& value, std::chrono::milliseconds ttl) = 0;
  virtual std::int64_t do_incr(const StateKey& key, std::int64_t delta, std::chrono::milliseconds ttl) = 0;
  virtual bool do_del(const StateKey& key) = 0;

  /// The metrics slot, or null.
  StateCounters* counters() const noexcept { return counters_; }

  /// Whether start() works (do_start() is implemented).
  virtual bool has_async() const noexcept { return false; }
  /// The asynchronous call behind start(), after the shared checks. `key.stored` lives only until it
  /// returns. Never calls `done` from within.
  virtual void do_start(boost::asio::io_context& loop, const StateRequest& request, const StateKey& key,
                        std::shared_ptr<StateCompletion> done) {
    (void)loop, (void)request, (void)key, (void)done;
  }
  /// Counts a failure of an asynchronous call (the blocking ones are counted by the base class).
  void count_error(StateErrc code) noexcept {
    if (counters_ != nullptr) add_one(counters_->errors[static_cast<std::size_t>(code)]);
  }

 private:
  /// Checks the shared argument rules, builds the stored key, runs `body` and counts the outcome.
  template <typename Body>
  auto counted(StateOp op, std::string_view key, const StateValue* value, std::chrono::milliseconds ttl, Body&& body)
      -> decltype(body(std::declval<const StateKey&>())) {
    if (counters_ != nullptr) add_one(counters_->calls[static_cast<std::size_t>(op)]);
    try {
      check_arguments(key, value, ttl);
      if (prefix_.empty()) return body(StateKey{key, key});
      std::string stored;
      stored.reserve(prefix_.size() + key.size());
      stored.append(prefix_).append(key);
      return body(StateKey{key, stored});
    } catch (const StateError& e) {
      if (counters_ != nullptr) add_one(counters_->errors[static_cast<std::size_t>(e.code())]);
      throw;
    }
  }

  void check_arguments(std::string_view key, const StateValue* value, std::chrono::milliseconds ttl) const {
    if (key.empty()) throw StateError(StateErrc::bad_key, describe() + ": empty key");
    if (key.size() > state_limits::max_key) {
      throw StateError(StateErrc::bad_key, describe() + ": key too long (" + std::to_string(key.size()) +
                                               " bytes, limit " + std::to_string(state_limits::max_key) + ")");
    }
    if (value != nullptr && !value->is_integer() && value->data.size() > state_limits::max_value) {
      throw StateError(StateErrc::bad_value, describe() + ": value too long (" + std::to_string(value->data.size()) +
                                                 " bytes, limit " + std::to_string(state_limits::max_value) + ")");
    }
    if (ttl.count() < 0 || ttl > state_limits::max_ttl) {
      throw StateError(StateErrc::bad_ttl, describe() + ": bad TTL " + std::to_string(ttl.count()) + " ms (0.." +
                                               std::to_string(state_limits::max_ttl.count()) + ")");
    }
  }

  std::string prefix_;
  StateCounters* counters_ = nullptr;
};

}  // namespace spoa
