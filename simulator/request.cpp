#include "simulator/request.hpp"

#include "simulator/text_util.hpp"

namespace spop::sim {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// End of the element that starts at `s`: the first comma outside a quoted string, where a backslash
// escapes the next character (the rule HAProxy applies to list-based headers).
std::size_t element_end(std::string_view s) {
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      return i;
    }
  }
  return s.size();
}

}  // namespace

bool parse_ip(std::string_view text, IpAddress& out) {
  spop::Ipv4Address v4;
  if (spop::parse_ipv4(text, v4)) {
    out = v4;
    return true;
  }
  spop::Ipv6Address v6;
  if (spop::parse_ipv6(text, v6)) {
    out = v6;
    return true;
  }
  return false;
}

std::string to_string(const IpAddress& address) {
  return std::visit([](const auto& a) { return spop::to_string(a); }, address);
}

IpAddress loopback_v4() { return spop::Ipv4Address{{127, 0, 0, 1}}; }

std::optional<std::string_view> Request::path() const {
  std::string_view target = url;
  // Absolute form: skip "scheme://authority" (HAProxy's path starts at the first slash after it).
  if (const std::size_t scheme = target.find("://"); scheme != std::string_view::npos &&
                                                     target.find('/') > scheme) {
    target.remove_prefix(scheme + 3);
    const std::size_t slash = target.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    target.remove_prefix(slash);
  }
  if (target.empty() || target.front() != '/') return std::nullopt;
  return target.substr(0, target.find('?'));
}

std::vector<std::string_view> Request::header_values(std::string_view name, HeaderSplit split) const {
  std::vector<std::string_view> values;
  for (const Header& h : headers) {
    if (!name.empty() && !iequals(h.name, name)) continue;
    std::string_view line = trim(h.value);
    if (split == HeaderSplit::full_lines) {
      values.push_back(line);
      continue;
    }
    while (true) {
      const std::size_t end = element_end(line);
      values.push_back(trim(line.substr(0, end)));
      if (end == line.size()) break;
      line.remove_prefix(end + 1);
    }
  }
  return values;
}

std::optional<std::string_view> Request::header(std::string_view name, std::int64_t occurrence,
                                                HeaderSplit split) const {
  const std::vector<std::string_view> values = header_values(name, split);
  const auto count = static_cast<std::int64_t>(values.size());
  if (occurrence == 0) occurrence = -1;
  const std::int64_t index = occurrence > 0 ? occurrence - 1 : count + occurrence;
  if (index < 0 || index >= count) return std::nullopt;
  return values[static_cast<std::size_t>(index)];
}

}  // namespace spop::sim
