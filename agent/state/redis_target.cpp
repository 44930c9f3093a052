// The --state URL forms and credentials (see redis_target.hpp).
#include "agent/state/redis_target.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace spoa {

namespace {

constexpr std::string_view tcp_scheme = "redis://";
constexpr std::string_view unix_scheme = "unix://";
constexpr std::string_view sentinel_scheme = "redis-sentinel://";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

template <typename T>
bool whole_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// "host", "host:port", "[v6]", "[v6]:port".
std::optional<RedisEndpoint> parse_host_port(std::string_view text, std::uint16_t default_port, std::string& why) {
  RedisEndpoint e;
  e.port = default_port;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      why = "unclosed '[' in the host";
      return std::nullopt;
    }
    e.host = std::string(text.substr(1, close - 1));
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "unexpected text after ']'";
        return std::nullopt;
      }
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = text.find(':');
    e.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (e.host.empty() || e.host.find_first_of("@/ ?,") != std::string::npos) {
    why = "missing or bad host";
    return std::nullopt;
  }
  if (has_port) {
    unsigned p = 0;
    if (!whole_number(port, p) || p == 0 || p > 65535) {
      why = "bad port '" + std::string(port) + "' (1..65535)";
      return std::nullopt;
    }
    e.port = static_cast<std::uint16_t>(p);
  }
  return e;
}

bool parse_db(std::string_view text, int& db, std::string& why) {
  if (!whole_number(text, db) || db < 0) {
    why = "bad database number '" + std::string(text) + "' (0, 1, 2, ...)";
    return false;
  }
  return true;
}

// Splits "[user[:password]@]rest" off the text after the scheme; the user info ends at the last '@'
// before the first '/' (so that unix://user:pw@/path works).
bool take_credentials(std::string_view& rest, RedisCredentials& out, std::string& why) {
  const std::string_view authority = rest.substr(0, rest.find('/'));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return true;
  const std::string_view info = authority.substr(0, at);
  rest.remove_prefix(at + 1);
  const auto colon = info.find(':');
  auto user = percent_decoded(info.substr(0, colon));
  std::optional<std::string> password;
  if (colon != std::string_view::npos) password = percent_decoded(info.substr(colon + 1));
  if (!user || (colon != std::string_view::npos && !password)) {
    why = "bad %-escape in the user or password";
    return false;
  }
  if (user->empty() && (!password || password->empty())) {
    why = "empty user and password before '@'";
    return false;
  }
  out.user = std::move(*user);
  if (password && !password->empty()) out.password = std::move(password);
  return true;
}

std::variant<RedisTarget, std::string> parse_tcp(std::string_view rest, RedisTarget t) {
  std::string why;
  const auto slash = rest.find('/');
  auto e = parse_host_port(rest.substr(0, slash), redis_default_port, why);
  if (!e) return why;
  t.servers.push_back(std::move(*e));
  if (slash != std::string_view::npos && !parse_db(rest.substr(slash + 1), t.db, why)) return why;
  return t;
}

std::variant<RedisTarget, std::string> parse_unix(std::string_view rest, RedisTarget t) {
  std::string why;
  const auto question = rest.find('?');
  RedisEndpoint e;
  e.unix_path = std::string(rest.substr(0, question));
  if (e.unix_path.empty() || e.unix_path.front() != '/') return std::string("the socket path must be absolute (unix:///run/redis/redis.sock)");
  t.servers.push_back(std::move(e));
  if (question != std::string_view::npos) {
    const std::string_view query = rest.substr(question + 1);
    if (!starts_with(query, "db=")) return std::string("the only parameter is ?db=N");
    if (!parse_db(query.substr(3), t.db, why)) return why;
  }
  return t;
}

std::variant<RedisTarget, std::string> parse_sentinel(std::string_view rest, RedisTarget t) {
  std::string why;
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::string("missing /master-name after the sentinels");
  std::string_view hosts = rest.substr(0, slash);
  for (;;) {
    const auto comma = hosts.find(',');
    auto e = parse_host_port(hosts.substr(0, comma), sentinel_default_port, why);
    if (!e) return why;
    t.servers.push_back(std::move(*e));
    if (comma == std::string_view::npos) break;
    hosts.remove_prefix(comma + 1);
  }
  std::string_view path = rest.substr(slash + 1);
  const auto db_slash = path.find('/');
  t.master_name = std::string(path.substr(0, db_slash));
  if (t.master_name.empty()) return std::string("missing master name");
  if (db_slash != std::string_view::npos && !parse_db(path.substr(db_slash + 1), t.db, why)) return why;
  return t;
}

}  // namespace

std::string RedisEndpoint::display() const {
  if (is_unix()) return "unix:" + unix_path;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string RedisTarget::describe() const {
  std::string out;
  if (uses_sentinel()) {
    out = "redis-sentinel " + master_name;
  } else {
    out = "redis " + (servers.empty() ? std::string("?") : servers.front().display());
  }
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

bool is_redis_url(std::string_view url) {
  return starts_with(url, tcp_scheme) || starts_with(url, unix_scheme) || starts_with(url, sentinel_scheme);
}

std::variant<RedisTarget, std::string> parse_redis_target(std::string_view url) {
  std::string_view rest;
  enum { tcp, unix_socket, sentinel } kind;
  if (starts_with(url, tcp_scheme)) {
    kind = tcp;
    rest = url.substr(tcp_scheme.size());
  } else if (starts_with(url, unix_scheme)) {
    kind = unix_socket;
    rest = url.substr(unix_scheme.size());
  } else if (starts_with(url, sentinel_scheme)) {
    kind = sentinel;
    rest = url.substr(sentinel_scheme.size());
  } else {
    return std::string("not a redis://, unix:// or redis-sentinel:// URL");
  }
  RedisTarget t;
  std::string why;
  if (!take_credentials(rest, t.credentials, why)) return why;
  switch (kind) {
    case tcp: return parse_tcp(rest, std::move(t));
    case unix_socket: return parse_unix(rest, std::move(t));
    case sentinel: return parse_sentinel(rest, std::move(t));
  }
  return std::string("unreachable");
}

std::optional<std::pair<std::size_t, std::size_t>> find_url_password(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::size_t start = scheme_end + 3;
  const std::string_view rest = url.substr(start);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return std::make_pair(start + colon + 1, at - colon - 1);
}

std::string redact_redis_url(std::string_view url) {
  const auto password = find_url_password(url);
  if (!password) return std::string(url);
  return std::string(url.substr(0, password->first)) + "***" + std::string(url.substr(password->first + password->second));
}

std::string read_password_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(err != 0 ? err : ENOENT));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string password = contents.str();
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw std::runtime_error(file.string() + " is empty (it should hold the password)");
  if (password.find('\n') != std::string::npos) {
    throw std::runtime_error(file.string() + " has more than one line (it should hold the password alone)");
  }
  return password;
}

}  // namespace spoa
