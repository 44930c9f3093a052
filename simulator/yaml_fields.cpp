#include "simulator/yaml_fields.hpp"

#include <cctype>
#include <charconv>
#include <set>

#include "simulator/cfg_time.hpp"

namespace spop::sim {

namespace {

// 0.5 -> "0.5", 1e7 -> "10000000": the shortest plain decimal that reads back as the same double.
std::string shortest(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(v);
}

}  // namespace

bool list_contains(std::initializer_list<std::string_view> list, std::string_view s) {
  for (std::string_view x : list)
    if (x == s) return true;
  return false;
}

std::string list_join(std::initializer_list<std::string_view> list) {
  std::string s;
  for (std::string_view x : list) s += (s.empty() ? "" : ", ") + std::string(x);
  return s;
}

SourceLocation YamlFields::at(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return {file_, 0, 0};
  return {file_, m.line + 1, m.column + 1};
}

void YamlFields::error(const YAML::Node& n, std::string message) { log_.error(at(n), std::move(message)); }

bool YamlFields::check_keys(const YAML::Node& n, std::string_view what,
                            std::initializer_list<std::string_view> allowed) {
  if (!n.IsMap()) {
    error(n, std::string(what) + " must be a mapping");
    return false;
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) error(kv.first, "duplicate key '" + key + "' in " + std::string(what));
    if (!list_contains(allowed, key))
      error(kv.first, "unknown key '" + key + "' in " + std::string(what) + " (expected " + list_join(allowed) + ")");
  }
  return true;
}

std::optional<std::string> YamlFields::scalar(const YAML::Node& n, std::string_view what) {
  if (!n.IsScalar()) {
    error(n, std::string(what) + " must be a scalar");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::uint64_t> YamlFields::unsigned_value(const YAML::Node& n, std::string_view what,
                                                        std::uint64_t min, std::uint64_t max) {
  const std::optional<std::string> s = scalar(n, what);
  if (!s) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || end != s->data() + s->size() || v < min || v > max) {
    error(n, std::string(what) + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                 ", not '" + *s + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<double> YamlFields::number(const YAML::Node& n, std::string_view what, double above, double max) {
  const std::optional<std::string> s = scalar(n, what);
  if (!s) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || end != s->data() + s->size() || !(v > above) || v > max) {
    error(n, std::string(what) + " must be a number above " + shortest(above) + " and at most " + shortest(max) +
                 ", not '" + *s + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<std::chrono::microseconds> YamlFields::time(const YAML::Node& n, std::string_view what) {
  const std::optional<std::string> s = scalar(n, what);
  if (!s) return std::nullopt;
  const ParsedTime t = parse_time(*s);
  const bool has_unit = !s->empty() && std::isalpha(static_cast<unsigned char>(s->back()));
  if (t.error != ParsedTime::Error::none || t.trailing || !has_unit || t.value.count() == 0) {
    error(n, std::string(what) + " must be a positive time with a unit (us, ms, s, m, h, d), not '" + *s + "'");
    return std::nullopt;
  }
  return t.value;
}

std::optional<bool> YamlFields::boolean(const YAML::Node& n, std::string_view what) {
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    error(n, std::string(what) + " must be true or false");
    return std::nullopt;
  }
  return v;
}

}  // namespace spop::sim
