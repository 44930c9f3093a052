#include "simulator/scenario.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <set>

#include "simulator/cfg_lexer.hpp"
#include "simulator/spoe_event.hpp"
#include "simulator/yaml_fields.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop::sim {

namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 12> fault_names = {{
    {FaultKind::split_frames, "split_frames"},
    {FaultKind::delay_bytes, "delay_bytes"},
    {FaultKind::slow_reader, "slow_reader"},
    {FaultKind::rst_mid_frame, "rst_mid_frame"},
    {FaultKind::reconnect_storm, "reconnect_storm"},
    {FaultKind::soft_stop, "soft_stop"},
    {FaultKind::healthcheck_flood, "healthcheck_flood"},
    {FaultKind::oversize_frame, "oversize_frame"},
    {FaultKind::truncated_frame, "truncated_frame"},
    {FaultKind::invalid_frame, "invalid_frame"},
    {FaultKind::unknown_message, "unknown_message"},
    {FaultKind::batch_frames, "batch_frames"},
}};

// Parameters each fault accepts, and the ones it needs.
struct FaultRule {
  FaultKind kind;
  std::initializer_list<std::string_view> allowed;
  std::initializer_list<std::string_view> required;
  double default_probability;
};

const FaultRule& rule_of(FaultKind kind) {
  static const std::array<FaultRule, 12> rules = {{
      {FaultKind::split_frames, {"chunk", "probability"}, {}, 1.0},
      {FaultKind::delay_bytes, {"delay", "chunk", "probability"}, {"delay"}, 1.0},
      {FaultKind::slow_reader, {"rate"}, {"rate"}, 1.0},
      {FaultKind::rst_mid_frame, {"probability", "every"}, {}, 0.01},
      {FaultKind::reconnect_storm, {"interval"}, {"interval"}, 1.0},
      {FaultKind::soft_stop, {"at"}, {"at"}, 1.0},
      {FaultKind::healthcheck_flood, {"rate"}, {"rate"}, 1.0},
      {FaultKind::oversize_frame, {"probability", "every", "size"}, {}, 0.01},
      {FaultKind::truncated_frame, {"probability", "every"}, {}, 0.01},
      {FaultKind::invalid_frame, {"probability", "every"}, {}, 0.01},
      {FaultKind::unknown_message, {"probability", "every", "message"}, {}, 0.01},
      {FaultKind::batch_frames, {"count"}, {}, 1.0},
  }};
  for (const FaultRule& r : rules)
    if (r.kind == kind) return r;
  return rules[0];
}

bool is_token(std::string_view s) {  // RFC 9110 tchar
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) !=
                                                                        std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool has_control_or_space(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return true;
  return false;
}

// Reads one scenario document, reporting every problem it finds to the log.
class ScenarioReader : private YamlFields {
 public:
  ScenarioReader(const std::string& file, DiagnosticLog& log) : YamlFields(file, log) {}

  Scenario read(const YAML::Node& root) {
    Scenario s;
    s.file = file_;
    if (!root.IsMap()) {
      error(root, "a scenario is a mapping (profile, load, requests, ...)");
      return s;
    }
    check_keys(root, "the scenario",
               {"profile", "seed", "event", "load", "frontend", "clients", "client_ports", "requests", "faults",
                "expect"});
    if (const YAML::Node n = root["profile"]) read_profile(n, s);
    if (const YAML::Node n = root["seed"]) s.seed = unsigned_value(n, "seed", 0, UINT64_MAX).value_or(1);
    if (const YAML::Node n = root["event"]) {
      s.event_where = at(n);
      if (std::optional<std::string> v = scalar(n, "event")) {
        if (parse_event(*v)) s.event = *v;
        else error(n, "unknown event '" + *v + "' (known: on-client-session, on-frontend-tcp-request, "
                      "on-frontend-http-request, on-backend-tcp-request, on-backend-http-request, ...)");
      }
    }
    if (const YAML::Node n = root["load"]) read_load(n, s.load);
    else error(root, "missing 'load' (connections, in_flight or rate, duration or count)");
    if (const YAML::Node n = root["frontend"]) read_frontend(n, s);
    s.clients = AddressPool({AddressRange{loopback_v4(), 32, 1}});
    if (const YAML::Node n = root["clients"]) {
      AddressPool pool = read_pool(n, "clients");
      if (!pool.empty()) s.clients = std::move(pool);
    }
    if (const YAML::Node n = root["client_ports"]) read_ports(n, s);
    if (const YAML::Node n = root["requests"]) read_requests(n, s.requests);
    else error(root, "missing 'requests' (at least one request template)");
    if (const YAML::Node n = root["faults"]) read_faults(n, s.faults);
    if (const YAML::Node n = root["expect"]) read_expect(n, s.expect);
    return s;
  }

 private:
  void read_profile(const YAML::Node& n, Scenario& s) {
    const std::optional<std::string> v = scalar(n, "profile");
    if (!v) return;
    s.profile_set = true;
    if (const auto p = spop::parse_haproxy_profile(*v))
      s.profile = *p == spop::HaproxyProfile::v2_6 ? Profile::haproxy_2_6 : Profile::haproxy_3_1;
    else error(n, "profile must be \"2.6\" or \"3.2\" (or its alias \"3.1\"), not '" + *v + "'");
  }

  void read_load(const YAML::Node& n, LoadSpec& load) {
    if (!check_keys(n, "load", {"connections", "in_flight", "rate", "duration", "count"})) return;
    if (const YAML::Node c = n["connections"])
      load.connections = static_cast<std::uint32_t>(unsigned_value(c, "connections", 1, 100000).value_or(1));
    if (const YAML::Node c = n["in_flight"])
      load.in_flight = static_cast<std::uint32_t>(unsigned_value(c, "in_flight", 1, 100000).value_or(1));
    if (const YAML::Node r = n["rate"]) {
      load.rate = number(r, "rate", 0, 10'000'000);
      if (n["in_flight"]) error(r, "'in_flight' (closed loop) and 'rate' (open loop) exclude each other");
    }
    if (const YAML::Node d = n["duration"]) load.duration = time(d, "duration");
    if (const YAML::Node c = n["count"]) load.count = unsigned_value(c, "count", 1, UINT64_MAX);
    if (!n["duration"] && !n["count"]) error(n, "the load needs 'duration' or 'count' (or both)");
  }

  void read_frontend(const YAML::Node& n, Scenario& s) {
    if (!check_keys(n, "frontend", {"address", "port"})) return;
    if (const YAML::Node a = n["address"]) {
      const std::optional<std::string> v = scalar(a, "frontend address");
      if (v && !parse_ip(*v, s.frontend_address)) error(a, "'" + *v + "' is not an IPv4 or IPv6 address");
    }
    if (const YAML::Node p = n["port"])
      s.frontend_port = static_cast<std::uint16_t>(unsigned_value(p, "frontend port", 1, 65535).value_or(80));
  }

  void read_ports(const YAML::Node& n, Scenario& s) {
    const std::optional<std::string> v = scalar(n, "client_ports");
    if (!v) return;
    const std::size_t dots = v->find("..");
    const std::string lo = v->substr(0, dots), hi = dots == std::string::npos ? lo : v->substr(dots + 2);
    unsigned a = 0, b = 0;
    const auto r1 = std::from_chars(lo.data(), lo.data() + lo.size(), a);
    const auto r2 = std::from_chars(hi.data(), hi.data() + hi.size(), b);
    if (r1.ec != std::errc{} || r1.ptr != lo.data() + lo.size() || r2.ec != std::errc{} ||
        r2.ptr != hi.data() + hi.size() || a < 1 || b > 65535 || a > b) {
      error(n, "client_ports must be a port or a range LO..HI within 1..65535, not '" + *v + "'");
      return;
    }
    s.client_port_low = static_cast<std::uint16_t>(a);
    s.client_port_high = static_cast<std::uint16_t>(b);
  }

  AddressPool read_pool(const YAML::Node& n, std::string_view what) {
    if (!n.IsSequence() || n.size() == 0) {
      error(n, std::string(what) + " must be a non-empty list of addresses or CIDR ranges");
      return {};
    }
    std::vector<AddressRange> ranges;
    std::uint64_t total = 0;
    for (const YAML::Node& item : n) {
      // (yaml-cpp nodes are references: assigning one node to another would overwrite the document.)
      const YAML::Node text = item.IsMap() ? item["range"] : item;
      std::uint64_t weight = 1;
      if (item.IsMap()) {
        if (!check_keys(item, "a client range", {"range", "weight"})) continue;
        if (!text) {
          error(item, "a client range needs 'range' (an address or a CIDR block)");
          continue;
        }
        if (const YAML::Node w = item["weight"]) weight = unsigned_value(w, "weight", 0, 1'000'000'000).value_or(1);
      }
      const std::optional<std::string> s = scalar(text, "a client range");
      if (!s) continue;
      std::string err;
      std::optional<AddressRange> r = AddressRange::parse(*s, err);
      if (!r) {
        error(text, err);
        continue;
      }
      r->weight = weight;
      total += weight;
      ranges.push_back(*r);
    }
    if (!ranges.empty() && total == 0) error(n, std::string(what) + ": the weights add up to 0");
    return AddressPool(std::move(ranges));
  }

  std::optional<TextTemplate> text_template(const YAML::Node& n, std::string_view what) {
    const std::optional<std::string> s = scalar(n, what);
    if (!s) return std::nullopt;
    std::string err;
    std::optional<TextTemplate> t = TextTemplate::parse(*s, err);
    if (!t) error(n, err);
    return t;
  }

  void read_header(const YAML::Node& key, const YAML::Node& value, RequestTemplate& r) {
    const std::string name = key.Scalar();
    if (!is_token(name)) error(key, "'" + name + "' is not a valid header name");
    std::optional<TextTemplate> t = text_template(value, "a header value");
    if (t && (t->source().find('\r') != std::string::npos || t->source().find('\n') != std::string::npos))
      error(value, "a header value must not contain CR or LF");
    if (t) r.headers.push_back({name, std::move(*t)});
  }

  void read_headers(const YAML::Node& n, RequestTemplate& r) {
    if (n.IsMap()) {
      for (const auto& kv : n) read_header(kv.first, kv.second, r);
    } else if (n.IsSequence()) {  // a list of one-entry maps allows a header more than once
      for (const YAML::Node& item : n) {
        if (!item.IsMap() || item.size() != 1) {
          error(item, "each item of a header list is a one-entry mapping, as in '- host: example.com'");
          continue;
        }
        for (const auto& kv : item) read_header(kv.first, kv.second, r);
      }
    } else {
      error(n, "headers must be a mapping or a list of one-entry mappings");
    }
  }

  void read_request(const YAML::Node& n, std::size_t index, RequestTemplate& r) {
    r.where = at(n);
    r.name = "request-" + std::to_string(index + 1);
    if (!check_keys(n, "a request", {"name", "weight", "method", "path", "headers", "ssl", "clients", "group"})) return;
    if (const YAML::Node v = n["name"]) r.name = scalar(v, "name").value_or(r.name);
    if (const YAML::Node v = n["weight"]) r.weight = unsigned_value(v, "weight", 0, 1'000'000'000).value_or(1);
    if (const YAML::Node v = n["method"]) {
      r.method = scalar(v, "method").value_or("GET");
      if (!is_token(r.method)) error(v, "'" + r.method + "' is not a valid HTTP method");
    }
    if (const YAML::Node v = n["path"]) {
      if (std::optional<TextTemplate> t = text_template(v, "path")) {
        const std::string& src = t->source();
        if (src.empty() || has_control_or_space(src) ||
            !(src.front() == '/' || src == "*" || src.find("://") != std::string::npos))
          error(v, "path must start with '/', be '*' or an absolute URL, without spaces: '" + src + "'");
        r.url = std::move(*t);
      }
    }
    if (const YAML::Node v = n["headers"]) read_headers(v, r);
    if (const YAML::Node v = n["ssl"]) r.ssl = boolean(v, "ssl").value_or(false);
    if (const YAML::Node v = n["clients"]) r.clients = read_pool(v, "clients");
    if (const YAML::Node v = n["group"]) r.group = scalar(v, "group").value_or("");
  }

  void read_requests(const YAML::Node& n, std::vector<RequestTemplate>& out) {
    if (!n.IsSequence() || n.size() == 0) {
      error(n, "requests must be a non-empty list of request templates");
      return;
    }
    std::set<std::string, std::less<>> names;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < n.size(); ++i) {
      RequestTemplate r;
      read_request(n[i], i, r);
      if (!names.insert(r.name).second) error(n[i], "request name '" + r.name + "' is used twice");
      total += r.weight;
      out.push_back(std::move(r));
    }
    if (total == 0) error(n, "the request weights add up to 0");
  }

  void read_fault_param(const YAML::Node& key, const YAML::Node& v, FaultSpec& f) {
    const std::string k = key.Scalar();
    if (k == "probability") f.probability = number(v, "probability", 0, 1).value_or(f.probability);
    else if (k == "every") f.every = unsigned_value(v, "every", 1, UINT64_MAX);
    else if (k == "chunk") f.chunk = static_cast<std::uint32_t>(unsigned_value(v, "chunk", 1, 65536).value_or(1));
    else if (k == "delay") f.delay = time(v, "delay");
    else if (k == "interval") f.interval = time(v, "interval");
    else if (k == "at") f.at = time(v, "at");
    else if (k == "rate") f.rate = number(v, "rate", 0, 1e9).value_or(0);
    else if (k == "size")
      f.size = static_cast<std::uint32_t>(unsigned_value(v, "size", 257, 16 * 1024 * 1024).value_or(257));
    else if (k == "message") f.message = scalar(v, "message").value_or(f.message);
    else if (k == "count") f.count = static_cast<std::uint32_t>(unsigned_value(v, "count", 1, 10000).value_or(16));
  }

  // Public: parse_fault_option() reads command-line faults with the same rules.
 public:
  void read_fault(const YAML::Node& n, FaultSpec& f) {
    f.where = at(n);
    const YAML::Node name = n.IsMap() ? n["name"] : n;
    if (!name) {
      error(n, "a fault needs a 'name'");
      return;
    }
    const std::optional<std::string> s = scalar(name, "fault name");
    if (!s) return;
    const std::optional<FaultKind> kind = parse_fault_kind(*s);
    if (!kind) {
      std::string all;
      for (const auto& [k, text] : fault_names) all += (all.empty() ? "" : ", ") + std::string(text);
      error(name, "unknown fault '" + *s + "' (known: " + all + ")");
      return;
    }
    f.kind = *kind;
    const FaultRule& rule = rule_of(*kind);
    f.probability = rule.default_probability;
    if (!n.IsMap()) {
      for (std::string_view req : rule.required)
        error(n, "fault '" + *s + "' needs '" + std::string(req) + "'");
      return;
    }
    std::set<std::string, std::less<>> seen;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) error(kv.first, "duplicate key '" + key + "' in fault '" + *s + "'");
      if (key == "name") continue;
      if (!list_contains(rule.allowed, key)) {
        error(kv.first, "fault '" + *s + "' has no parameter '" + key + "' (it takes: " + list_join(rule.allowed) + ")");
        continue;
      }
      read_fault_param(kv.first, kv.second, f);
    }
    for (std::string_view req : rule.required)
      if (!n[std::string(req)]) error(n, "fault '" + *s + "' needs '" + std::string(req) + "'");
    if (n["probability"] && n["every"]) error(n, "fault '" + *s + "': use either 'probability' or 'every'");
  }


 private:
  void read_faults(const YAML::Node& n, std::vector<FaultSpec>& out) {
    if (!n.IsSequence()) {
      error(n, "faults must be a list");
      return;
    }
    for (const YAML::Node& item : n) {
      FaultSpec f;
      read_fault(item, f);
      for (const FaultSpec& other : out)
        if (other.kind == f.kind) error(item, "fault '" + std::string(to_string(f.kind)) + "' is listed twice");
      out.push_back(std::move(f));
    }
  }

  void read_variable(const YAML::Node& key, const YAML::Node& value, MessageExpectation& m) {
    VarExpectation v;
    v.variable = key.Scalar();
    v.where = at(key);
    static constexpr std::array<std::string_view, 5> scopes = {"proc.", "sess.", "txn.", "req.", "res."};
    bool scoped = false;
    for (std::string_view sc : scopes) scoped = scoped || (v.variable.starts_with(sc) && v.variable.size() > sc.size());
    if (!scoped) error(key, "variable '" + v.variable + "' must start with a scope: proc., sess., txn., req. or res.");
    auto add = [&](const YAML::Node& spec) {
      const std::optional<std::string> s = scalar(spec, "a value spec");
      if (!s) return;
      std::string err;
      if (std::optional<VarMatcher> matcher = VarMatcher::parse(*s, err)) v.any_of.push_back(std::move(*matcher));
      else error(spec, err);
    };
    if (value.IsSequence()) {
      if (value.size() == 0) error(value, "a list of accepted values must not be empty");
      for (const YAML::Node& spec : value) add(spec);
    } else {
      add(value);
    }
    m.variables.push_back(std::move(v));
  }

  void read_expect(const YAML::Node& n, Expectations& e) {
    if (!check_keys(n, "expect", {"messages", "max_error_rate", "latency"})) return;
    if (const YAML::Node msgs = n["messages"]) {
      if (!msgs.IsMap()) {
        error(msgs, "expect.messages must map message names to their variables");
      } else {
        for (const auto& kv : msgs) {
          MessageExpectation m;
          m.message = kv.first.Scalar();
          m.where = at(kv.first);
          if (!kv.second.IsMap()) {
            error(kv.second, "expectations of message '" + m.message + "' must map variable names to value specs");
            continue;
          }
          for (const auto& var : kv.second) read_variable(var.first, var.second, m);
          e.messages.push_back(std::move(m));
        }
      }
    }
    if (const YAML::Node r = n["max_error_rate"]) read_error_rate(r, e);
    if (const YAML::Node l = n["latency"]) read_latency(l, e);
  }

  void read_error_rate(const YAML::Node& n, Expectations& e) {
    const std::optional<std::string> s = scalar(n, "max_error_rate");
    if (!s) return;
    std::string_view text = *s;
    const bool percent = text.ends_with('%');
    if (percent) text.remove_suffix(1);
    double v = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (percent) v /= 100;
    if (ec != std::errc{} || end != text.data() + text.size() || v < 0 || v > 1) {
      error(n, "max_error_rate must be a fraction from 0 to 1 or a percentage (\"0.5%\"), not '" + *s + "'");
      return;
    }
    e.max_error_rate = v;
    e.max_error_rate_where = at(n);
  }

  void read_latency(const YAML::Node& n, Expectations& e) {
    if (!n.IsMap()) {
      error(n, "latency must map quantiles (p50, p99, p99.9, max) to times");
      return;
    }
    for (const auto& kv : n) {
      LatencyBound b;
      b.label = kv.first.Scalar();
      b.where = at(kv.first);
      if (b.label != "max") {
        double pct = 0;
        const char* first = b.label.data() + 1;
        const char* last = b.label.data() + b.label.size();
        const auto [end, ec] = std::from_chars(first, last, pct);
        if (b.label.size() < 2 || b.label[0] != 'p' || ec != std::errc{} || end != last || !(pct > 0) || !(pct < 100)) {
          error(kv.first, "latency key '" + b.label + "' must be pNN (0 < NN < 100, as p99 or p99.9) or max");
          continue;
        }
        b.quantile = pct / 100;
      }
      if (std::optional<std::chrono::microseconds> t = time(kv.second, "latency bound " + b.label)) {
        b.limit = *t;
        e.latency.push_back(std::move(b));
      }
    }
  }
};

}  // namespace

std::string_view to_string(Profile profile) { return profile == Profile::haproxy_2_6 ? "2.6" : "3.2"; }

std::string_view to_string(FaultKind kind) {
  for (const auto& [k, name] : fault_names)
    if (k == kind) return name;
  return "?";
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  for (const auto& [k, text] : fault_names)
    if (text == name) return k;
  return std::nullopt;
}

Scenario parse_scenario(std::string_view yaml, const std::string& file_name) {
  DiagnosticLog log;
  Scenario s;
  try {
    s = ScenarioReader(file_name, log).read(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {  // syntax errors, and conversions the reader did not foresee
    log.error({file_name, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  log.throw_if_errors();
  return s;
}

std::optional<FaultSpec> parse_fault_option(std::string_view text, std::string& error) {
  // "name:k=v,k=v" becomes the YAML mapping {name: name, k: v, ...}, read by the scenario's own rules.
  const std::size_t colon = text.find(':');
  YAML::Node node;
  if (colon == std::string_view::npos) {
    node = YAML::Node(std::string(text));
  } else {
    node["name"] = std::string(text.substr(0, colon));
    std::string_view rest = text.substr(colon + 1);
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        error = "--fault " + std::string(text) + ": expected key=value, not '" + std::string(item) + "'";
        return std::nullopt;
      }
      const std::string key(item.substr(0, eq));
      if (node[key]) {
        error = "--fault " + std::string(text) + ": '" + key + "' is given twice";
        return std::nullopt;
      }
      node[key] = std::string(item.substr(eq + 1));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  DiagnosticLog log;
  const std::string file = "--fault";
  FaultSpec f;
  ScenarioReader(file, log).read_fault(node, f);
  if (log.has_errors()) {
    error = "--fault " + std::string(text) + ": " + log.errors().front().message;
    return std::nullopt;
  }
  return f;
}

Scenario load_scenario(const std::filesystem::path& file) {
  return parse_scenario(read_config_file(file), file.string());
}

}  // namespace spop::sim
