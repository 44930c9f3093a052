#include "simulator/var_expectation.hpp"

#include <array>
#include <utility>

#include "simulator/text_util.hpp"

namespace spop::sim {

namespace {

// "\"1::f\"" -> 1::f, with \" \\ and \xNN; false when the quotes or an escape are broken.
bool unquote(std::string_view text, std::string& out) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return false;
  text = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') return false;
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size()) return false;
    const char n = text[++i];
    if (n == '"' || n == '\\') {
      out += n;
    } else if (n == 'x' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

bool unhex(std::string_view text, std::string& out) {
  if (text.empty() || text.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

constexpr std::string_view type_names = "int, int32, uint32, int64, uint64, bool, ipv4, ipv6, str, bin";

}  // namespace

std::optional<VarMatcher::Type> VarMatcher::parse_type(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, Type>, 10> types = {{
      {"int", Type::any_int},   {"int32", Type::int32}, {"uint32", Type::uint32}, {"int64", Type::int64},
      {"uint64", Type::uint64}, {"bool", Type::boolean}, {"ipv4", Type::ipv4},    {"ipv6", Type::ipv6},
      {"str", Type::string},    {"bin", Type::binary},
  }};
  for (const auto& [n, t] : types)
    if (n == name) return t;
  return std::nullopt;
}

bool VarMatcher::parse_int(std::string_view text, Int& out) {
  out = Int{};
  if (!text.empty() && text.front() == '-') {
    out.negative = true;
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (out.magnitude > (UINT64_MAX - d) / 10) return false;
    out.magnitude = out.magnitude * 10 + d;
  }
  if (out.negative && out.magnitude > (1ULL << 63)) return false;
  if (out.magnitude == 0) out.negative = false;
  return true;
}

VarMatcher::Int VarMatcher::int_of(const spop::Value& v) {
  // Unsigned types keep all 64 bits as a magnitude; signed ones are read as two's complement.
  if (v.type() == spop::DataType::uint32 || v.type() == spop::DataType::uint64) return {false, v.as_uint64()};
  const std::int64_t s = v.as_int64();
  if (s >= 0) return {false, static_cast<std::uint64_t>(s)};
  return {true, ~static_cast<std::uint64_t>(s) + 1};
}

bool VarMatcher::type_matches(const spop::Value& v) const {
  switch (type_) {
    case Type::any_int: return v.is_integer();
    case Type::int32: return v.type() == spop::DataType::int32;
    case Type::uint32: return v.type() == spop::DataType::uint32;
    case Type::int64: return v.type() == spop::DataType::int64;
    case Type::uint64: return v.type() == spop::DataType::uint64;
    case Type::boolean: return v.type() == spop::DataType::boolean;
    case Type::ipv4: return v.type() == spop::DataType::ipv4;
    case Type::ipv6: return v.type() == spop::DataType::ipv6;
    case Type::string: return v.type() == spop::DataType::string;
    case Type::binary: return v.type() == spop::DataType::binary;
  }
  return false;
}

// The part after "<type>:". Returns an error text, or "".
std::string VarMatcher::parse_value(std::string_view text) {
  const bool integer = type_ == Type::any_int || type_ == Type::int32 || type_ == Type::uint32 ||
                       type_ == Type::int64 || type_ == Type::uint64;
  if (integer) {
    if (const std::size_t dots = text.find(".."); dots != std::string_view::npos) {
      kind_ = Kind::range;
      const std::string_view lo = text.substr(0, dots), hi = text.substr(dots + 2);
      Int v;
      if (!lo.empty()) {
        if (!parse_int(lo, v)) return "bad lower bound '" + std::string(lo) + "'";
        low_ = v;
      }
      if (!hi.empty()) {
        if (!parse_int(hi, v)) return "bad upper bound '" + std::string(hi) + "'";
        high_ = v;
      }
      if (!low_ && !high_) return "a range needs at least one bound";
      if (low_ && high_ && *high_ < *low_) return "empty range (the lower bound is above the upper bound)";
      return {};
    }
    kind_ = Kind::exact;
    Int v;
    if (!parse_int(text, v)) return "'" + std::string(text) + "' is not an integer";
    low_ = v;
    return {};
  }
  kind_ = Kind::exact;
  switch (type_) {
    case Type::boolean:
      if (text != "true" && text != "false") return "bool expects true or false";
      boolean_ = text == "true";
      return {};
    case Type::ipv4: {
      spop::Ipv4Address a;
      if (!spop::parse_ipv4(text, a)) return "'" + std::string(text) + "' is not an IPv4 address";
      address_ = spop::Value::ipv4(a);
      return {};
    }
    case Type::ipv6: {
      spop::Ipv6Address a;
      if (!spop::parse_ipv6(text, a)) return "'" + std::string(text) + "' is not an IPv6 address";
      address_ = spop::Value::ipv6(a);
      return {};
    }
    case Type::string:
      if (!text.empty() && text.front() == '"') {
        if (!unquote(text, bytes_)) return "bad quoted string " + std::string(text);
      } else {
        bytes_ = std::string(text);
      }
      return {};
    case Type::binary:
      if (!text.empty() && text.front() == '"') {
        if (!unquote(text, bytes_)) return "bad quoted string " + std::string(text);
      } else if (!unhex(text, bytes_)) {
        return "bin expects hex digits in pairs or a quoted string";
      }
      return {};
    default: return "no value expected";
  }
}

std::optional<VarMatcher> VarMatcher::parse(std::string_view spec, std::string& error) {
  VarMatcher m;
  m.spec_ = std::string(spec);
  if (spec == "present" || spec == "absent") {
    m.kind_ = spec == "present" ? Kind::present : Kind::absent;
    return m;
  }
  const std::size_t colon = spec.find(':');
  const std::string_view type = spec.substr(0, colon);
  const std::optional<Type> t = parse_type(type);
  if (!t) {
    error = "unknown value spec '" + std::string(spec) + "': expected present, absent or <type>[:<value>] with a type among " +
            std::string(type_names);
    return std::nullopt;
  }
  m.type_ = *t;
  if (colon == std::string_view::npos) {
    m.kind_ = Kind::type;
    return m;
  }
  if (std::string e = m.parse_value(spec.substr(colon + 1)); !e.empty()) {
    error = "bad value spec '" + std::string(spec) + "': " + e;
    return std::nullopt;
  }
  return m;
}

bool VarMatcher::matches(const spop::Value* value) const {
  const bool set = value != nullptr && !value->is_null();
  if (kind_ == Kind::absent) return !set;
  if (!set) return false;
  if (kind_ == Kind::present) return true;
  if (!type_matches(*value)) return false;
  switch (kind_) {
    case Kind::type: return true;
    case Kind::range: {
      const Int v = int_of(*value);
      return !(low_ && v < *low_) && !(high_ && *high_ < v);
    }
    case Kind::exact:
      switch (type_) {
        case Type::boolean: return value->as_bool() == boolean_;
        case Type::ipv4:
        case Type::ipv6: return *value == address_;
        case Type::string:
        case Type::binary: return value->as_bytes() == bytes_;
        default: return int_of(*value) == *low_;
      }
    default: return false;
  }
}

}  // namespace spop::sim
