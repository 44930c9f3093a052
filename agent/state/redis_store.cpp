// The Redis store (see redis_store.hpp), over hiredis' blocking API with socket timeouts.
#include "agent/state/redis_store.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

namespace spoa {

namespace {

// Applies the TTL only when the key has none, in the same atomic step as the increment (see SharedStore).
constexpr const char* incr_with_ttl_script =
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return v";

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::optional<std::int64_t> canonical_integer(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (std::to_string(v) != text) return std::nullopt;  // "+1", "01", "-0" are not what we write
  return v;
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  std::string_view rest = url.substr(scheme.size());
  RedisAddress out;
  std::string_view hostport = rest.substr(0, rest.find('/'));
  std::string_view path = hostport.size() < rest.size() ? rest.substr(hostport.size() + 1) : std::string_view{};
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    auto colon = hostport.find(':');
    out.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (out.host.empty() || out.host.find_first_of("@/ ") != std::string::npos) return std::nullopt;
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(p);
  }
  if (!path.empty()) {
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), out.db);
    if (ec != std::errc{} || end != path.data() + path.size() || out.db < 0) return std::nullopt;
  }
  return out;
}

std::string encode_redis_value(const StateValue& value) {
  switch (value.kind) {
    case StateValue::Kind::integer:
      return std::to_string(value.integer);
    case StateValue::Kind::text:
      return "s" + value.data;
    case StateValue::Kind::bytes:
      return "b" + value.data;
  }
  return {};
}

StateValue decode_redis_value(std::string_view stored) {
  if (auto v = canonical_integer(stored)) return StateValue::of_integer(*v);
  if (!stored.empty() && stored.front() == 's') return StateValue::of_text(stored.substr(1));
  if (!stored.empty() && stored.front() == 'b') return StateValue::of_bytes(stored.substr(1));
  return StateValue::of_bytes(stored);
}

// Owns one hiredis reply.
class RedisStore::Reply {
 public:
  explicit Reply(redisReply* r) noexcept : r_(r) {}
  Reply(Reply&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  Reply& operator=(Reply&&) = delete;
  ~Reply() {
    if (r_ != nullptr) ::freeReplyObject(r_);
  }
  const redisReply& operator*() const noexcept { return *r_; }
  const redisReply* operator->() const noexcept { return r_; }
  std::string_view text() const noexcept { return {r_->str, r_->len}; }

 private:
  redisReply* r_;
};

RedisStore::RedisStore(RedisStoreOptions options, LogSink log) : options_(std::move(options)), log_(std::move(log)) {
  const auto& a = options_.address;
  const bool ipv6 = a.host.find(':') != std::string::npos;
  name_ = "redis " + (ipv6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
  if (a.db != 0) name_ += "/" + std::to_string(a.db);
}

RedisStore::~RedisStore() {
  if (context_ != nullptr) ::redisFree(context_);
}

void RedisStore::log(LogLevel level, const std::string& text) const {
  if (!log_) return;
  try {
    log_(level, text);
  } catch (...) {  // logging must not turn a store error into another failure
  }
}

void RedisStore::fail(const std::string& what) {
  if (context_ != nullptr) ::redisFree(context_);
  context_ = nullptr;
  backoff_ = backoff_.count() == 0 ? options_.first_backoff : std::min(backoff_ * 2, options_.max_backoff);
  next_attempt_ = std::chrono::steady_clock::now() + backoff_;
  last_error_ = what;
  if (was_connected_) {
    log(LogLevel::error, name_ + ": " + what + "; state calls fail until it is back (next attempt in " +
                             std::to_string(backoff_.count()) + " ms)");
  } else {
    log(LogLevel::warning, name_ + ": " + what + " (next attempt in " + std::to_string(backoff_.count()) + " ms)");
  }
  was_connected_ = false;
  throw StateError(StateErrc::unavailable, name_ + ": " + what);
}

void RedisStore::connect() {
  const int pid = static_cast<int>(::getpid());
  if (context_ != nullptr && owner_pid_ != pid) {
    ::redisFree(context_);  // the parent's connection: closes only our copy of the socket
    context_ = nullptr;
  }
  if (context_ != nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  if (backoff_.count() > 0 && now < next_attempt_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now).count();
    throw StateError(StateErrc::unavailable, name_ + ": unavailable (" + last_error_ + "; next attempt in " +
                                                 std::to_string(left) + " ms)");
  }
  redisContext* c = ::redisConnectWithTimeout(options_.address.host.c_str(), options_.address.port,
                                              to_timeval(options_.timeout));
  if (c == nullptr) fail("cannot connect: out of memory");
  if (c->err != 0) {
    std::string why = c->errstr;
    ::redisFree(c);
    fail("cannot connect: " + why);
  }
  ::redisSetTimeout(c, to_timeval(options_.timeout));
  context_ = c;
  owner_pid_ = pid;
  if (options_.address.db != 0) {
    const std::string db = std::to_string(options_.address.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const std::size_t lengths[] = {6, db.size()};
    Reply r = command(argv, lengths, 2);
    if (r->type == REDIS_REPLY_ERROR) fail("SELECT " + db + " failed: " + std::string(r.text()));
  }
  if (backoff_.count() > 0) log(LogLevel::info, name_ + ": connected again");
  backoff_ = std::chrono::milliseconds{0};
  was_connected_ = true;
}

RedisStore::Reply RedisStore::command(const char* const* argv, const std::size_t* lengths, int argc) {
  connect();
  auto* r = static_cast<redisReply*>(::redisCommandArgv(context_, argc, const_cast<const char**>(argv), lengths));
  if (r == nullptr) {
    const bool timed_out = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    fail(timed_out ? "no answer within " + std::to_string(options_.timeout.count()) + " ms (connection dropped)"
         : context_->err == REDIS_ERR_EOF ? std::string("connection lost: server closed the connection")
                                          : "connection lost: " + std::string(context_->errstr));
  }
  return Reply(r);
}

namespace {

[[noreturn]] void unexpected(const std::string& store, std::string_view what, const redisReply& r) {
  std::string detail = r.type == REDIS_REPLY_ERROR ? std::string(r.str, r.len) : "reply type " + std::to_string(r.type);
  throw StateError(StateErrc::unavailable, store + ": unexpected answer to " + std::string(what) + ": " + detail);
}

}  // namespace

std::optional<StateValue> RedisStore::get(std::string_view key) {
  check_state_arguments(name_, key, nullptr, std::chrono::milliseconds{0});
  const char* argv[] = {"GET", key.data()};
  const std::size_t lengths[] = {3, key.size()};
  Reply r = command(argv, lengths, 2);
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r->type != REDIS_REPLY_STRING) unexpected(name_, "GET", *r);
  return decode_redis_value(r.text());
}

void RedisStore::set(std::string_view key, const StateValue& value, std::chrono::milliseconds ttl) {
  check_state_arguments(name_, key, &value, ttl);
  const std::string encoded = encode_redis_value(value);
  const std::string ms = std::to_string(ttl.count());
  const char* argv[] = {"SET", key.data(), encoded.data(), "PX", ms.c_str()};
  const std::size_t lengths[] = {3, key.size(), encoded.size(), 2, ms.size()};
  Reply r = command(argv, lengths, ttl.count() > 0 ? 5 : 3);
  if (r->type != REDIS_REPLY_STATUS) unexpected(name_, "SET", *r);
}

std::int64_t RedisStore::incr(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) {
  check_state_arguments(name_, key, nullptr, ttl);
  const std::string by = std::to_string(delta);
  const std::string ms = std::to_string(ttl.count());
  std::optional<Reply> r;
  if (ttl.count() > 0) {
    const char* argv[] = {"EVAL", incr_with_ttl_script, "1", key.data(), by.c_str(), ms.c_str()};
    const std::size_t lengths[] = {4, std::strlen(incr_with_ttl_script), 1, key.size(), by.size(), ms.size()};
    r.emplace(command(argv, lengths, 6));
  } else {
    const char* argv[] = {"INCRBY", key.data(), by.c_str()};
    const std::size_t lengths[] = {6, key.size(), by.size()};
    r.emplace(command(argv, lengths, 3));
  }
  const redisReply& reply = **r;
  if (reply.type == REDIS_REPLY_INTEGER) return reply.integer;
  if (reply.type == REDIS_REPLY_ERROR) {
    const std::string_view text(reply.str, reply.len);
    if (text.find("overflow") != std::string_view::npos) {
      throw StateError(StateErrc::overflow, name_ + ": incrementing key '" + std::string(key) + "' by " + by +
                                                " would overflow int64");
    }
    if (text.find("not an integer") != std::string_view::npos) {
      throw StateError(StateErrc::not_integer, name_ + ": value of key '" + std::string(key) + "' is not an integer");
    }
  }
  unexpected(name_, "INCRBY", reply);
}

bool RedisStore::del(std::string_view key) {
  check_state_arguments(name_, key, nullptr, std::chrono::milliseconds{0});
  const char* argv[] = {"DEL", key.data()};
  const std::size_t lengths[] = {3, key.size()};
  Reply r = command(argv, lengths, 2);
  if (r->type != REDIS_REPLY_INTEGER) unexpected(name_, "DEL", *r);
  return r->integer > 0;
}

}  // namespace spoa
