#include "simulator/sample.hpp"

#include <array>
#include <cctype>
#include <cstring>
#include <limits>

#include "simulator/text_util.hpp"

namespace spop::sim {

namespace {

struct FetchInfo {
  Fetch fetch;
  std::string_view keyword;
};

constexpr std::array<FetchInfo, 19> fetch_table = {{
    {Fetch::src, "src"},           {Fetch::src_port, "src_port"},       {Fetch::dst, "dst"},
    {Fetch::dst_port, "dst_port"}, {Fetch::req_hdr, "req.hdr"},         {Fetch::req_fhdr, "req.fhdr"},
    {Fetch::hdr, "hdr"},           {Fetch::path, "path"},               {Fetch::method, "method"},
    {Fetch::url, "url"},           {Fetch::ssl_fc, "ssl_fc"},           {Fetch::const_int, "int"},
    {Fetch::const_str, "str"},     {Fetch::const_bool, "bool"},         {Fetch::const_ipv4, "ipv4"},
    {Fetch::const_ipv6, "ipv6"},   {Fetch::const_bin, "bin"},           {Fetch::always_true, "always_true"},
    {Fetch::always_false, "always_false"},
}};

std::string supported_list() {
  std::string s;
  for (const FetchInfo& f : fetch_table) {
    if (!s.empty()) s += ", ";
    s += f.keyword;
  }
  return s;
}

bool is_keyword_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// HAProxy reads integer arguments as an optional sign and decimal digits, and saturates.
bool parse_int64(std::string_view s, std::int64_t& out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  std::uint64_t magnitude = 0;
  constexpr std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    magnitude = magnitude > (limit - digit) / 10 ? limit : magnitude * 10 + digit;
  }
  if (negative) {
    out = magnitude == limit ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(magnitude);
  } else {
    out = magnitude >= limit ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(magnitude);
  }
  return true;
}

// The words between the parentheses, split at commas (no quoting: the config lexer already removed it).
std::vector<std::string_view> split_args(std::string_view inside) {
  std::vector<std::string_view> args;
  if (inside.empty()) return args;
  while (true) {
    const std::size_t comma = inside.find(',');
    args.push_back(inside.substr(0, comma));
    if (comma == std::string_view::npos) break;
    inside.remove_prefix(comma + 1);
  }
  return args;
}

// Checks and stores the arguments of `expr.fetch`. Returns an error text, or "" when they are fine.
class ArgReader {
 public:
  ArgReader(SampleExpr& expr, std::string_view inside) : expr_(expr), inside_(inside), args_(split_args(inside)) {}

  std::string read() {
    switch (expr_.fetch) {
      case Fetch::req_hdr:
      case Fetch::req_fhdr:
      case Fetch::hdr: return header_args();
      case Fetch::const_int: return int_arg();
      case Fetch::const_str:
        if (auto e = at_most(1); !e.empty()) return e;
        expr_.bytes = std::string(arg(0));
        return {};
      case Fetch::const_bool: return bool_arg();
      case Fetch::const_ipv4: return address_arg("IPv4 address", false);
      case Fetch::const_ipv6: return address_arg("IPv6 address", true);
      case Fetch::const_bin: return bin_arg();
      default: return at_most(0);
    }
  }

 private:
  std::string_view arg(std::size_t i) const { return i < args_.size() ? args_[i] : std::string_view{}; }

  std::string prefix() const { return "fetch method '" + std::string(keyword(expr_.fetch)) + "' : "; }

  // HAProxy reports extra arguments as the text left before the closing parenthesis.
  std::string at_most(std::size_t n) const {
    if (args_.size() <= n || (n == 0 && inside_.empty())) return {};
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) offset += args_[i].size() + 1;
    if (n > 0) --offset;  // point at the comma that starts the surplus
    return prefix() + "expected ')' before '" + std::string(inside_.substr(offset)) + ")'";
  }

  std::string header_args() {
    if (args_.size() > 2) {
      std::int64_t ignored = 0;
      if (!parse_int64(arg(1), ignored)) return integer_error(arg(1), 2);
      return at_most(2);
    }
    expr_.bytes = std::string(arg(0));
    if (args_.size() == 2 && !parse_int64(arg(1), expr_.number)) return integer_error(arg(1), 2);
    return {};
  }

  std::string integer_error(std::string_view text, int position) const {
    return prefix() + "failed to parse '" + std::string(text) + "' as type 'integer' at position " +
           std::to_string(position);
  }

  std::string missing(std::string_view type) const {
    return prefix() + "expected type '" + std::string(type) + "' at position 1, but got nothing";
  }

  std::string int_arg() {
    if (arg(0).empty()) return missing("integer");
    if (auto e = at_most(1); !e.empty()) return e;
    if (!parse_int64(arg(0), expr_.number)) return integer_error(arg(0), 1);
    return {};
  }

  std::string bool_arg() {
    const std::string_view v = arg(0);
    if (args_.size() <= 1) {
      if (v == "true" || v == "1") { expr_.boolean = true; return {}; }
      if (v == "false" || v == "0") { expr_.boolean = false; return {}; }
    }
    return "invalid args in fetch method 'bool' : Expects 'true', 'false', '0' or '1'";
  }

  std::string address_arg(std::string_view type, bool v6) {
    if (arg(0).empty()) return missing(type);
    if (auto e = at_most(1); !e.empty()) return e;
    bool ok = false;
    if (v6) {
      spop::Ipv6Address a;
      ok = spop::parse_ipv6(arg(0), a);
      expr_.address = a;
    } else {
      spop::Ipv4Address a;
      ok = spop::parse_ipv4(arg(0), a);
      expr_.address = a;
    }
    if (!ok) {
      return prefix() + "failed to parse '" + std::string(arg(0)) + "' as type '" + std::string(type) +
             "' at position 1";
    }
    return {};
  }

  std::string bin_arg() {
    if (auto e = at_most(1); !e.empty()) return e;
    const std::string_view hex = arg(0);
    const std::string head = "invalid args in fetch method 'bin' : ";
    if (hex.empty()) return head + "hex digits are expected";
    for (char c : hex)
      if (hex_digit(c) < 0) return head + "an hex digit is expected (found '" + std::string(1, c) + "')";
    if (hex.size() % 2 != 0) return head + "an even number of hex digit is expected";
    expr_.bytes.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2)
      expr_.bytes += static_cast<char>(hex_digit(hex[i]) * 16 + hex_digit(hex[i + 1]));
    return {};
  }

  SampleExpr& expr_;
  std::string_view inside_;
  std::vector<std::string_view> args_;
};

spop::Value optional_string(std::optional<std::string_view> s) {
  return s ? spop::Value::string(*s) : spop::Value::null();
}

spop::Value address_value(const IpAddress& a) {
  if (const auto* v4 = std::get_if<spop::Ipv4Address>(&a)) return spop::Value::ipv4(*v4);
  return spop::Value::ipv6(std::get<spop::Ipv6Address>(a));
}

}  // namespace

std::string_view keyword(Fetch fetch) {
  for (const FetchInfo& f : fetch_table)
    if (f.fetch == fetch) return f.keyword;
  return "?";
}

std::optional<SampleExpr> parse_sample(std::string_view text, std::string& error) {
  std::size_t end = 0;
  while (end < text.size() && is_keyword_char(text[end])) ++end;
  const std::string_view word = text.substr(0, end);
  if (word.empty()) {
    error = "missing fetch method";
    return std::nullopt;
  }
  SampleExpr expr;
  expr.text = std::string(text);
  bool known = false;
  for (const FetchInfo& f : fetch_table) {
    if (f.keyword == word) {
      expr.fetch = f.fetch;
      known = true;
    }
  }
  if (!known) {
    error = "unknown or unsupported fetch method '" + std::string(word) + "' (spop-sim supports " +
            supported_list() + ")";
    return std::nullopt;
  }

  std::string_view inside;
  std::string_view rest = text.substr(end);
  if (!rest.empty() && rest.front() == '(') {
    const std::size_t close = rest.find(')');
    if (close == std::string_view::npos) {
      error = "fetch method '" + std::string(word) + "' : expected ')'";
      return std::nullopt;
    }
    inside = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
  }
  if (!rest.empty() && rest.front() != ',') {
    error = "missing comma after fetch keyword '" + std::string(word) + "'";
    return std::nullopt;
  }
  if (rest.size() > 1) {  // a lone trailing comma is accepted by HAProxy and means nothing
    error = "converters are not supported by spop-sim ('" + std::string(text) + "')";
    return std::nullopt;
  }
  if (std::string e = ArgReader(expr, inside).read(); !e.empty()) {
    error = std::move(e);
    return std::nullopt;
  }
  return expr;
}

std::optional<SampleArg> parse_sample_arg(std::string_view item, std::string& error) {
  SampleArg arg;
  if (const std::size_t eq = item.find('='); eq != std::string_view::npos) {
    arg.name = std::string(item.substr(0, eq));
    item.remove_prefix(eq + 1);
  }
  std::optional<SampleExpr> expr = parse_sample(item, error);
  if (!expr) return std::nullopt;
  arg.expr = std::move(*expr);
  return arg;
}

bool available_at(Fetch fetch, Event event) {
  switch (fetch) {
    case Fetch::ssl_fc:
    case Fetch::method:
    case Fetch::hdr: return event != Event::on_client_session;
    case Fetch::req_hdr:
    case Fetch::req_fhdr:
    case Fetch::path:
    case Fetch::url:
      return event != Event::on_client_session && event != Event::on_tcp_response &&
             event != Event::on_http_response;
    default: return true;
  }
}

spop::Value evaluate(const SampleExpr& expr, const Request& request, Direction dir) {
  switch (expr.fetch) {
    case Fetch::src: return address_value(request.src);
    case Fetch::src_port: return spop::Value::int64(request.src_port);
    case Fetch::dst: return address_value(request.dst);
    case Fetch::dst_port: return spop::Value::int64(request.dst_port);
    case Fetch::req_hdr: return optional_string(request.header(expr.bytes, expr.number, HeaderSplit::commas));
    case Fetch::req_fhdr:
      return optional_string(request.header(expr.bytes, expr.number, HeaderSplit::full_lines));
    case Fetch::hdr:
      if (dir == Direction::response) return spop::Value::null();
      return optional_string(request.header(expr.bytes, expr.number, HeaderSplit::commas));
    case Fetch::path: return optional_string(request.path());
    case Fetch::method: return spop::Value::string(request.method);
    case Fetch::url: return spop::Value::string(request.url);
    case Fetch::ssl_fc: return spop::Value::boolean(request.ssl);
    case Fetch::const_int: return spop::Value::int64(expr.number);
    case Fetch::const_str: return spop::Value::string(expr.bytes);
    case Fetch::const_bool: return spop::Value::boolean(expr.boolean);
    case Fetch::const_ipv4:
    case Fetch::const_ipv6: return address_value(expr.address);
    case Fetch::const_bin: return spop::Value::binary(expr.bytes);
    case Fetch::always_true: return spop::Value::boolean(true);
    case Fetch::always_false: return spop::Value::boolean(false);
  }
  return spop::Value::null();
}

EvaluatedMessage::EvaluatedMessage(std::string name, std::span<const SampleArg> args, const Request& request,
                                   Direction dir)
    : name_(std::move(name)) {
  std::vector<spop::Value> values;
  values.reserve(args.size());
  std::size_t total = 0;
  for (const SampleArg& a : args) {
    values.push_back(evaluate(a.expr, request, dir));
    total += a.name.size() + values.back().as_bytes().size();
  }
  storage_ = std::make_unique<char[]>(total == 0 ? 1 : total);
  char* out = storage_.get();
  auto copy = [&out](std::string_view s) {
    if (!s.empty()) std::memcpy(out, s.data(), s.size());
    const std::string_view kept(out, s.size());
    out += s.size();
    return kept;
  };
  arguments_.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    spop::Value v = values[i];
    if (v.type() == spop::DataType::string) v = spop::Value::string(copy(v.as_bytes()));
    else if (v.type() == spop::DataType::binary) v = spop::Value::binary(copy(v.as_bytes()));
    const std::string_view arg_name = copy(args[i].name);
    arguments_.push_back({arg_name, v});
  }
}

}  // namespace spop::sim
