// The Redis store's commands and the meaning of their replies (see redis_commands.hpp).
#include "agent/state/redis_commands.hpp"

#include <array>
#include <charconv>

namespace spoa::redis {

namespace {

// Applies the TTL only when the key has none, in the same atomic step as the increment (see SharedStore).
constexpr std::string_view incr_with_ttl_script =
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return v";

// Error codes after which the server cannot serve any command for now.
constexpr std::array<std::string_view, 10> unusable_codes{"READONLY", "LOADING",  "MASTERDOWN",  "BUSY",  "NOAUTH",
                                                         "WRONGPASS", "MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN"};

std::optional<std::int64_t> canonical_integer(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (std::to_string(v) != text) return std::nullopt;  // "+1", "01", "-0" are not what we write
  return v;
}

std::string reply_detail(const resp::Reply& r) {
  switch (r.type) {
    case resp::Reply::Type::error: return r.text;
    case resp::Reply::Type::status: return "status '" + r.text + "'";
    case resp::Reply::Type::integer: return "integer " + std::to_string(r.integer);
    case resp::Reply::Type::bulk: return "a string";
    case resp::Reply::Type::nil: return "nil";
    case resp::Reply::Type::array: return "an array";
  }
  return "?";
}

[[noreturn]] void unexpected(const ReplyContext& ctx, std::string_view command, const resp::Reply& r) {
  throw StateError(StateErrc::unavailable,
                   std::string(ctx.store) + ": unexpected answer to " + std::string(command) + ": " + reply_detail(r));
}

std::string quoted(std::string_view key) { return "'" + std::string(key) + "'"; }

}  // namespace

std::string encode_value(const StateValue& value) {
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

StateValue decode_value(std::string_view stored) {
  if (auto v = canonical_integer(stored)) return StateValue::of_integer(*v);
  if (!stored.empty() && stored.front() == 's') return StateValue::of_text(stored.substr(1));
  if (!stored.empty() && stored.front() == 'b') return StateValue::of_bytes(stored.substr(1));
  return StateValue::of_bytes(stored);
}

void append_get(std::string& out, std::string_view stored_key) { resp::append_command(out, {"GET", stored_key}); }

void append_set(std::string& out, std::string_view stored_key, const StateValue& value, std::chrono::milliseconds ttl) {
  const std::string encoded = encode_value(value);
  if (ttl.count() > 0) {
    resp::append_command(out, {"SET", stored_key, encoded, "PX", std::to_string(ttl.count())});
  } else {
    resp::append_command(out, {"SET", stored_key, encoded});
  }
}

void append_incr(std::string& out, std::string_view stored_key, std::int64_t delta, std::chrono::milliseconds ttl) {
  const std::string by = std::to_string(delta);
  if (ttl.count() > 0) {
    resp::append_command(out, {"EVAL", incr_with_ttl_script, "1", stored_key, by, std::to_string(ttl.count())});
  } else {
    resp::append_command(out, {"INCRBY", stored_key, by});
  }
}

void append_del(std::string& out, std::string_view stored_key) { resp::append_command(out, {"DEL", stored_key}); }

std::optional<StateValue> get_result(const resp::Reply& reply, const ReplyContext& ctx) {
  if (reply.type == resp::Reply::Type::nil) return std::nullopt;
  if (reply.type != resp::Reply::Type::bulk) unexpected(ctx, "GET", reply);
  return decode_value(reply.text);
}

void set_result(const resp::Reply& reply, const ReplyContext& ctx) {
  if (reply.type != resp::Reply::Type::status) unexpected(ctx, "SET", reply);
}

std::int64_t incr_result(const resp::Reply& reply, const ReplyContext& ctx, std::int64_t delta) {
  if (reply.type == resp::Reply::Type::integer) return reply.integer;
  if (reply.is_error()) {
    if (reply.text.find("overflow") != std::string::npos) {
      throw StateError(StateErrc::overflow, std::string(ctx.store) + ": incrementing key " + quoted(ctx.key) + " by " +
                                                std::to_string(delta) + " would overflow int64");
    }
    if (reply.text.find("not an integer") != std::string::npos) {
      throw StateError(StateErrc::not_integer,
                       std::string(ctx.store) + ": value of key " + quoted(ctx.key) + " is not an integer");
    }
  }
  unexpected(ctx, "INCRBY", reply);
}

bool del_result(const resp::Reply& reply, const ReplyContext& ctx) {
  if (reply.type != resp::Reply::Type::integer) unexpected(ctx, "DEL", reply);
  return reply.integer > 0;
}

std::optional<std::string> server_unusable(const resp::Reply& reply) {
  const std::string_view code = reply.error_code();
  if (code.empty()) return std::nullopt;
  for (std::string_view c : unusable_codes) {
    if (code == c) return code == "READONLY" ? "the server is a read-only replica now (" + reply.text + ")" : reply.text;
  }
  return std::nullopt;
}

std::size_t append_handshake(std::string& out, const RedisCredentials& credentials, int db, bool check_master) {
  std::size_t n = 0;
  if (credentials.password) {
    if (credentials.user.empty()) {
      resp::append_command(out, {"AUTH", *credentials.password});
    } else {
      resp::append_command(out, {"AUTH", credentials.user, *credentials.password});
    }
    ++n;
  }
  if (db != 0) {
    resp::append_command(out, {"SELECT", std::to_string(db)});
    ++n;
  }
  resp::append_command(out, {check_master ? "ROLE" : "PING"});
  return n + 1;
}

namespace {

std::optional<SetupProblem> first_handshake_problem(std::span<const resp::Reply> replies,
                                                    const RedisCredentials& credentials, int db, bool check_master) {
  std::size_t i = 0;
  if (credentials.password) {
    if (replies.size() <= i) return SetupProblem{false, "no answer to AUTH"};
    const resp::Reply& auth = replies[i++];
    if (auth.is_error()) {
      std::string who = credentials.user.empty() ? "" : " as user '" + credentials.user + "'";
      return SetupProblem{true, "authentication" + who + " failed: " + auth.text};
    }
  }
  if (db != 0) {
    if (replies.size() <= i) return SetupProblem{false, "no answer to SELECT"};
    const resp::Reply& select = replies[i++];
    if (select.is_error()) {
      if (select.error_code() == "NOAUTH") {
        return SetupProblem{true, "the server requires a password (" + select.text +
                                      "): give it in the URL or with --state-password-file"};
      }
      if (auto why = server_unusable(select)) return SetupProblem{false, *why};
      return SetupProblem{true, "SELECT " + std::to_string(db) + " refused: " + select.text};
    }
  }
  if (replies.size() <= i) return SetupProblem{false, "no answer to " + std::string(check_master ? "ROLE" : "PING")};
  const resp::Reply& last = replies[i];
  if (last.is_error()) {
    if (last.error_code() == "NOAUTH") {
      return SetupProblem{true, "the server requires a password (" + last.text +
                                    "): give it in the URL or with --state-password-file"};
    }
    if (auto why = server_unusable(last)) return SetupProblem{false, *why};
    return SetupProblem{true, std::string(check_master ? "ROLE" : "PING") + " refused: " + last.text};
  }
  if (check_master) {
    const bool is_array = last.type == resp::Reply::Type::array && !last.elements.empty();
    const std::string role = is_array ? last.elements.front().text : "?";
    if (role != "master") return SetupProblem{false, "the server is a " + role + ", not the master"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<SetupProblem> handshake_problem(std::span<const resp::Reply> replies, const RedisCredentials& credentials,
                                              int db, bool check_master) {
  auto problem = first_handshake_problem(replies, credentials, db, check_master);
  // Whatever the server echoed, the password stays out of every message.
  if (problem) problem->text = without_secret(std::move(problem->text), credentials.password);
  return problem;
}

std::size_t append_sentinel_query(std::string& out, std::string_view master, const RedisCredentials* credentials) {
  std::size_t n = 0;
  if (credentials != nullptr && credentials->password) {
    if (credentials->user.empty()) {
      resp::append_command(out, {"AUTH", *credentials->password});
    } else {
      resp::append_command(out, {"AUTH", credentials->user, *credentials->password});
    }
    ++n;
  }
  resp::append_command(out, {"SENTINEL", "get-master-addr-by-name", master});
  return n + 1;
}

std::variant<RedisEndpoint, SetupProblem> sentinel_query_result(std::span<const resp::Reply> replies,
                                                                std::string_view master) {
  if (replies.empty()) return SetupProblem{false, "no answer"};
  for (std::size_t i = 0; i + 1 < replies.size(); ++i) {
    if (replies[i].is_error()) return SetupProblem{true, "authentication failed: " + replies[i].text};
  }
  const resp::Reply& r = replies.back();
  if (r.type == resp::Reply::Type::nil) {
    return SetupProblem{true, "does not know a master named '" + std::string(master) + "'"};
  }
  if (r.is_error()) return SetupProblem{r.error_code() == "NOAUTH", r.text};
  if (r.type != resp::Reply::Type::array || r.elements.size() != 2 ||
      r.elements[0].type != resp::Reply::Type::bulk || r.elements[1].type != resp::Reply::Type::bulk) {
    return SetupProblem{false, "unexpected answer to SENTINEL get-master-addr-by-name: " + reply_detail(r)};
  }
  RedisEndpoint e;
  e.host = r.elements[0].text;
  unsigned port = 0;
  const std::string& p = r.elements[1].text;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (e.host.empty() || ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535) {
    return SetupProblem{false, "unusable master address '" + e.host + ":" + p + "'"};
  }
  e.port = static_cast<std::uint16_t>(port);
  return e;
}

std::string without_secret(std::string text, const std::optional<std::string>& secret) {
  if (!secret || secret->empty()) return text;
  for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at + 3)) {
    text.replace(at, secret->size(), "***");
  }
  return text;
}

}  // namespace spoa::redis
