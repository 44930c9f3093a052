#include "spop-cli/arg_parse.hpp"

#include <limits>

namespace spop_cli {

std::string parse_named_value(std::string_view text, NamedValue& out) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return "'" + std::string(text) + "' has no '=': write NAME=TYPE:VALUE, or =TYPE:VALUE for an unnamed argument";
  }
  NamedValue nv;
  nv.name.assign(text.substr(0, eq));
  if (std::string err = parse_typed_value(text.substr(eq + 1), nv.value); !err.empty()) {
    return "'" + std::string(text) + "': " + err;
  }
  out = std::move(nv);
  return {};
}

std::optional<spop::Scope> parse_scope(std::string_view text) noexcept {
  for (auto s : {spop::Scope::proc, spop::Scope::sess, spop::Scope::txn, spop::Scope::req, spop::Scope::res}) {
    if (text == spop::to_string(s)) return s;
  }
  return std::nullopt;
}

namespace {

// "SCOPE.NAME" -> scope and name; "" on success.
std::string split_scoped_name(std::string_view text, std::string_view whole, ActionSpec& out) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot + 1 == text.size()) {
    return "'" + std::string(whole) + "': write SCOPE.NAME with SCOPE one of proc, sess, txn, req, res";
  }
  const auto scope = parse_scope(text.substr(0, dot));
  if (!scope) {
    return "'" + std::string(whole) + "': unknown scope '" + std::string(text.substr(0, dot)) +
           "' (proc, sess, txn, req, res)";
  }
  out.scope = *scope;
  out.name.assign(text.substr(dot + 1));
  return {};
}

}  // namespace

std::string parse_set_var(std::string_view text, ActionSpec& out) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) return "'" + std::string(text) + "': write SCOPE.NAME=TYPE:VALUE";
  ActionSpec a;
  a.type = spop::ActionType::set_var;
  if (std::string err = split_scoped_name(text.substr(0, eq), text, a); !err.empty()) return err;
  if (std::string err = parse_typed_value(text.substr(eq + 1), a.value); !err.empty()) {
    return "'" + std::string(text) + "': " + err;
  }
  out = std::move(a);
  return {};
}

std::string parse_unset_var(std::string_view text, ActionSpec& out) {
  ActionSpec a;
  a.type = spop::ActionType::unset_var;
  if (std::string err = split_scoped_name(text, text, a); !err.empty()) return err;
  out = std::move(a);
  return {};
}

namespace {

bool is_integer_type_name(std::string_view t) {
  return t == "int" || t == "int32" || t == "uint32" || t == "int64" || t == "uint64";
}

spop::DataType integer_type_of(std::string_view t) {
  if (t == "int32") return spop::DataType::int32;
  if (t == "uint32") return spop::DataType::uint32;
  if (t == "uint64") return spop::DataType::uint64;
  return spop::DataType::int64;
}

// "LO..HI" with optional ends, into e.low / e.high.
std::string parse_range(std::string_view body, Expectation& e) {
  const auto dots = body.find("..");
  constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
  constexpr auto highest = std::numeric_limits<std::int64_t>::max();
  const std::string_view lo = body.substr(0, dots);
  const std::string_view hi = body.substr(dots + 2);
  if (lo.empty() && hi.empty()) return "a range needs at least one bound (LO..HI, ..HI or LO..)";
  std::int64_t v = 0;
  if (!lo.empty()) {
    if (std::string err = parse_signed(lo, lowest, highest, v); !err.empty()) return "range bound " + err;
    e.low = v;
  }
  if (!hi.empty()) {
    if (std::string err = parse_signed(hi, lowest, highest, v); !err.empty()) return "range bound " + err;
    e.high = v;
  }
  if (e.low && e.high && *e.low > *e.high) return "empty range: " + std::string(lo) + " > " + std::string(hi);
  return {};
}

}  // namespace

std::string parse_expectation(std::string_view text, Expectation& out) {
  Expectation e;
  e.text.assign(text);
  const auto fail = [&](const std::string& why) { return "--expect '" + std::string(text) + "': " + why; };
  if (text.starts_with('!')) {
    e.kind = Expectation::Kind::absent;
    e.variable.assign(text.substr(1));
    if (e.variable.empty() || e.variable.find('=') != std::string::npos) {
      return fail("write !VAR (for example !txn.iprep.blocked)");
    }
    out = std::move(e);
    return {};
  }
  const auto eq = text.find('=');
  e.variable.assign(text.substr(0, eq));
  if (e.variable.empty()) return fail("the variable name is missing (VAR=TYPE:VALUE)");
  if (eq == std::string_view::npos) {
    e.kind = Expectation::Kind::present;
    out = std::move(e);
    return {};
  }
  const std::string_view rhs = text.substr(eq + 1);
  if (rhs == "null" || rhs == "null:") {
    e.kind = Expectation::Kind::absent;
    out = std::move(e);
    return {};
  }
  const auto colon = rhs.find(':');
  const std::string_view type = rhs.substr(0, colon);
  const std::string_view body = colon == std::string_view::npos ? std::string_view{} : rhs.substr(colon + 1);
  if (is_integer_type_name(type) && body.find("..") != std::string_view::npos) {
    e.kind = Expectation::Kind::int_range;
    e.any_integer = type == "int";
    e.integer_type = integer_type_of(type);
    if (std::string err = parse_range(body, e); !err.empty()) return fail(err);
    out = std::move(e);
    return {};
  }
  e.kind = Expectation::Kind::equals;
  e.any_integer = type == "int";
  if (std::string err = parse_typed_value(rhs, e.value); !err.empty()) return fail(err);
  out = std::move(e);
  return {};
}

}  // namespace spop_cli
