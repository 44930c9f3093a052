#include "simulator/haproxy_config.hpp"

#include <array>

#include "simulator/cfg_time.hpp"

namespace spop::sim {

namespace {

bool is_section_keyword(std::string_view w) {
  static constexpr std::array<std::string_view, 17> sections = {
      "global", "defaults", "frontend", "backend", "listen", "userlist", "peers", "resolvers", "mailers",
      "program", "http-errors", "ring", "cache", "fcgi-app", "log-forward", "crt-store", "traces"};
  for (std::string_view s : sections)
    if (w == s) return true;
  return false;
}

bool parse_port(std::string_view s, std::uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// Splits a server address the way HAProxy reads it: an optional family prefix, then host and a port
// after the last colon. Returns false when the port is not a number.
bool parse_server_address(std::string_view text, HaproxyServer& s) {
  if (text.starts_with("unix@") || text.starts_with("/")) {
    s.unix_socket = true;
    s.host = std::string(text.starts_with("unix@") ? text.substr(5) : text);
    return true;
  }
  if (text.starts_with("ipv4@") || text.starts_with("ipv6@")) text.remove_prefix(5);
  if (text.starts_with("[")) {  // "[::1]:12345"
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    s.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return true;
    return rest.front() == ':' && parse_port(rest.substr(1), s.port);
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    s.host = std::string(text);
    return true;
  }
  s.host = std::string(text.substr(0, colon));
  return parse_port(text.substr(colon + 1), s.port);
}

// What a proxy section inherits from `defaults`.
struct Inherited {
  std::string mode = "tcp";
  std::optional<std::chrono::milliseconds> timeout_connect;
  std::optional<std::chrono::milliseconds> timeout_server;
  bool spop_check = false;
};

class HaproxyReader {
 public:
  HaproxyReader(const std::string& file, const std::filesystem::path& base_dir, DiagnosticLog& log)
      : file_(file), base_dir_(base_dir), log_(log) {}

  HaproxyConfig read(const std::vector<ConfigLine>& lines) {
    for (const ConfigLine& line : lines) {
      if (line.scope) continue;
      where_ = {file_, line.number};
      on_line(line.words);
    }
    end_section();
    return std::move(config_);
  }

 private:
  enum class Kind : std::uint8_t { other, defaults, frontend, backend, listen };

  void error(std::string message) { log_.error(where_, std::move(message)); }

  void on_line(const std::vector<std::string>& w) {
    if (is_section_keyword(w[0])) return start_section(w);
    if (kind_ == Kind::other) return;
    const bool negated = w[0] == "no";
    const std::size_t k = negated ? 1 : 0;
    const std::string_view kw = k < w.size() ? std::string_view(w[k]) : std::string_view{};
    const std::string_view arg1 = k + 1 < w.size() ? std::string_view(w[k + 1]) : std::string_view{};
    if (kw == "mode" && !negated) {
      if (arg1 != "tcp" && arg1 != "http" && arg1 != "spop" && arg1 != "health")
        return error("unknown proxy mode '" + std::string(arg1) + "'");
      settings().mode = std::string(arg1);
    } else if (kw == "timeout" && !negated && (arg1 == "connect" || arg1 == "server")) {
      on_timeout(w, arg1);
    } else if (kw == "option" && arg1 == "spop-check") {
      settings().spop_check = !negated;
    } else if (kw == "filter" && !negated && arg1 == "spoe") {
      on_filter(w);
    } else if (kw == "server" && !negated) {
      on_server(w);
    }
  }

  Inherited& settings() { return kind_ == Kind::defaults ? defaults_ : current_; }

  void start_section(const std::vector<std::string>& w) {
    end_section();
    const std::string& kw = w[0];
    name_ = w.size() > 1 ? w[1] : std::string{};
    if (kw == "defaults") {
      kind_ = Kind::defaults;
      defaults_ = Inherited{};  // each defaults section starts afresh
      return;
    }
    kind_ = kw == "frontend" ? Kind::frontend
            : kw == "backend" ? Kind::backend
            : kw == "listen"  ? Kind::listen
                              : Kind::other;
    current_ = defaults_;
    // HAProxy refuses a nameless proxy; its filters and servers would belong to nothing.
    if (kind_ != Kind::other && name_.empty()) error("'" + kw + "' expects <name> as an argument");
    if (kind_ == Kind::backend || kind_ == Kind::listen) {
      HaproxyBackend b;
      b.name = name_;
      b.kind = kind_ == Kind::listen ? ProxyKind::listen : ProxyKind::backend;
      b.where = where_;
      config_.backends.push_back(std::move(b));
      in_backend_ = true;
    }
  }

  // The settings of a backend are final only at its end: `mode` may come after the servers.
  void end_section() {
    if (!in_backend_) return;
    HaproxyBackend& b = config_.backends.back();
    b.mode = current_.mode;
    b.timeout_connect = current_.timeout_connect;
    b.timeout_server = current_.timeout_server;
    b.spop_check = current_.spop_check;
    in_backend_ = false;
  }

  void on_timeout(const std::vector<std::string>& w, std::string_view which) {
    const std::string value = w.size() > 2 ? w[2] : std::string{};
    const ParsedTime t = parse_time(value);
    if (t.error != ParsedTime::Error::none)
      return error("'timeout " + std::string(which) + "' expects a time value, got '" + value + "'");
    const std::chrono::milliseconds ms = to_timeout_ms(t.value);
    auto& slot = which == "connect" ? settings().timeout_connect : settings().timeout_server;
    slot = ms.count() == 0 ? std::nullopt : std::optional(ms);
  }

  void on_filter(const std::vector<std::string>& w) {
    if (kind_ == Kind::defaults) return;
    SpoeFilter f;
    f.proxy = name_;
    f.proxy_kind = kind_ == Kind::backend ? ProxyKind::backend
                   : kind_ == Kind::listen ? ProxyKind::listen
                                           : ProxyKind::frontend;
    f.where = where_;
    std::optional<std::string> config;
    for (std::size_t i = 2; i < w.size(); i += 2) {
      if (w[i] != "config" && w[i] != "engine") return error("'filter spoe' : unknown keyword '" + w[i] + "'");
      if (i + 1 >= w.size() || w[i + 1].empty())
        return error("'filter spoe' : '" + w[i] + "' option without value");
      (w[i] == "config" ? config : f.engine) = w[i + 1];
    }
    if (!config) return error("'filter spoe' : missing config file");
    const std::filesystem::path path(*config);
    f.config = path.is_absolute() ? path : (base_dir_ / path).lexically_normal();
    config_.filters.push_back(std::move(f));
  }

  void on_server(const std::vector<std::string>& w) {
    if (!in_backend_) return;  // servers only matter in backends
    HaproxyServer s;
    s.name = w.size() > 1 ? w[1] : std::string{};
    s.address = w.size() > 2 ? w[2] : std::string{};
    s.where = where_;
    if (s.address.empty()) return error("'server' expects <name> and <addr>[:<port>] as arguments");
    if (!parse_server_address(s.address, s))
      return error("server '" + s.name + "': invalid address '" + s.address + "'");
    for (std::size_t i = 3; i < w.size(); ++i) {
      if (w[i] == "check") s.check = true;
      else if (!on_server_tls(w, i, s.tls)) return;
    }
    config_.backends.back().servers.push_back(std::move(s));
  }

  // One TLS parameter of a server line at w[i] (moving i past its value). False after an error.
  bool on_server_tls(const std::vector<std::string>& w, std::size_t& i, ServerTls& tls) {
    const std::string& kw = w[i];
    if (kw == "ssl" || kw == "no-ssl") {
      tls.ssl = kw == "ssl";
      return true;
    }
    if (kw != "verify" && kw != "ca-file" && kw != "crt" && kw != "sni" && kw != "verifyhost") return true;
    if (i + 1 >= w.size()) {
      error("server: '" + kw + "' expects an argument");
      return false;
    }
    const std::string& value = w[++i];
    const auto path = [&] {
      const std::filesystem::path p(value);
      return p.is_absolute() ? p : (base_dir_ / p).lexically_normal();
    };
    if (kw == "verify") {
      if (value != "none" && value != "required") {
        error("server: 'verify' expects 'none' or 'required', not '" + value + "'");
        return false;
      }
      tls.verify = value == "required";
    } else if (kw == "ca-file") {
      tls.ca_file = path();
    } else if (kw == "crt") {
      tls.crt = path();
    } else if (kw == "verifyhost") {
      tls.verifyhost = value;
    } else if (value.starts_with("str(") && value.ends_with(")") && value.size() > 5) {
      tls.sni = value.substr(4, value.size() - 5);
    } else {
      tls.sni_expression = value;
    }
    return true;
  }

  const std::string& file_;
  const std::filesystem::path& base_dir_;
  DiagnosticLog& log_;
  SourceLocation where_;
  HaproxyConfig config_;
  Kind kind_ = Kind::other;
  bool in_backend_ = false;
  std::string name_;
  Inherited defaults_;
  Inherited current_;
};

}  // namespace

const HaproxyBackend* HaproxyConfig::find_backend(std::string_view name) const {
  for (const HaproxyBackend& b : backends)
    if (b.name == name) return &b;
  return nullptr;
}

HaproxyConfig parse_haproxy_config(std::string_view text, const std::string& file_name,
                                   const std::filesystem::path& base_dir, const EnvLookup& env) {
  DiagnosticLog log;
  const std::vector<ConfigLine> lines = tokenize_config(text, file_name, log, env);
  HaproxyConfig config = HaproxyReader(file_name, base_dir, log).read(lines);
  log.throw_if_errors();
  config.warnings = log.warnings();
  return config;
}

HaproxyConfig load_haproxy_config(const std::filesystem::path& file, const EnvLookup& env) {
  return parse_haproxy_config(read_config_file(file), file.string(), std::filesystem::absolute(file).parent_path(), env);
}

}  // namespace spop::sim

