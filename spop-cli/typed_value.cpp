#include "spop-cli/typed_value.hpp"

#include <array>
#include <charconv>
#include <limits>

#include "spop/hex_digit.hpp"

namespace spop_cli {

TypedValue::TypedValue(const spop::Value& v) : scalar_(v) {
  if (v.type() == spop::DataType::string || v.type() == spop::DataType::binary) {
    bytes_.assign(v.as_bytes());
    // Keep only the type: view() rebuilds the byte view from bytes_.
    scalar_ = v.type() == spop::DataType::string ? spop::Value::string({}) : spop::Value::binary({});
  }
}

spop::Value TypedValue::view() const noexcept {
  switch (scalar_.type()) {
    case spop::DataType::string:
      return spop::Value::string(bytes_);
    case spop::DataType::binary:
      return spop::Value::binary(bytes_);
    default:
      return scalar_;
  }
}

namespace {

// Splits "0x1f" / "1f" style text into digits and base; `negative` is set by a leading '-'.
struct NumberText {
  bool negative = false;
  int base = 10;
  std::string_view digits;
};

bool split_number(std::string_view text, NumberText& n) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    n.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    n.base = 16;
    text.remove_prefix(2);
  }
  n.digits = text;
  return !text.empty();
}

// Magnitude of the digits; false when they are not all digits of the base or overflow 64 bits.
bool magnitude(const NumberText& n, std::uint64_t& out) {
  const char* end = n.digits.data() + n.digits.size();
  auto [ptr, ec] = std::from_chars(n.digits.data(), end, out, n.base);
  return ec == std::errc{} && ptr == end;
}

}  // namespace

std::string parse_signed(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  NumberText n;
  std::uint64_t mag = 0;
  if (!split_number(text, n) || !magnitude(n, mag)) return "'" + std::string(text) + "' is not an integer";
  // The magnitude of INT64_MIN is 2^63, one more than INT64_MAX.
  constexpr std::uint64_t int64_min_magnitude = std::uint64_t{1} << 63;
  if (n.negative) {
    if (mag > int64_min_magnitude) return "'" + std::string(text) + "' is out of range";
    out = mag == int64_min_magnitude ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(mag);
  } else {
    if (mag > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return "'" + std::string(text) + "' is out of range";
    }
    out = static_cast<std::int64_t>(mag);
  }
  if (out < min || out > max) {
    return "'" + std::string(text) + "' is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  }
  return {};
}

std::string parse_unsigned(std::string_view text, std::uint64_t max, std::uint64_t& out) {
  NumberText n;
  if (!split_number(text, n) || !magnitude(n, out)) return "'" + std::string(text) + "' is not an integer";
  if (n.negative && out != 0) return "'" + std::string(text) + "' is negative, the type is unsigned";
  if (out > max) return "'" + std::string(text) + "' is out of range [0, " + std::to_string(max) + "]";
  return {};
}

namespace {

std::string parse_integer(std::string_view type, std::string_view body, spop::Value& v) {
  std::string err;
  if (type == "int32") {
    std::int64_t x = 0;
    err = parse_signed(body, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), x);
    if (err.empty()) v = spop::Value::int32(static_cast<std::int32_t>(x));
  } else if (type == "uint32") {
    std::uint64_t x = 0;
    err = parse_unsigned(body, std::numeric_limits<std::uint32_t>::max(), x);
    if (err.empty()) v = spop::Value::uint32(static_cast<std::uint32_t>(x));
  } else if (type == "int64" || type == "int") {
    std::int64_t x = 0;
    err = parse_signed(body, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), x);
    if (err.empty()) v = spop::Value::int64(x);
  } else {  // uint64
    std::uint64_t x = 0;
    err = parse_unsigned(body, std::numeric_limits<std::uint64_t>::max(), x);
    if (err.empty()) v = spop::Value::uint64(x);
  }
  return err.empty() ? err : std::string(type) + " value " + err;
}

std::string parse_bool(std::string_view body, spop::Value& v) {
  if (body == "true" || body == "1") {
    v = spop::Value::boolean(true);
  } else if (body == "false" || body == "0") {
    v = spop::Value::boolean(false);
  } else {
    return "bool value '" + std::string(body) + "' is not true, false, 1 or 0";
  }
  return {};
}

std::string parse_address(std::string_view type, std::string_view body, spop::Value& v) {
  spop::Ipv4Address a4;
  spop::Ipv6Address a6;
  if (type != "ipv6" && spop::parse_ipv4(body, a4)) {
    v = spop::Value::ipv4(a4);
  } else if (type != "ipv4" && spop::parse_ipv6(body, a6)) {
    v = spop::Value::ipv6(a6);
  } else {
    return std::string(type) + " value '" + std::string(body) + "' is not a valid " +
           (type == "ip"     ? "IPv4 or IPv6"
            : type == "ipv4" ? "IPv4"
                             : "IPv6") +
           " address";
  }
  return {};
}

std::string parse_binary(std::string_view body, std::string& bytes) {
  if (body.starts_with("hex:")) {
    if (!decode_hex(body.substr(4), bytes)) return "bin:hex: value is not an even number of hex digits";
  } else if (body.starts_with("base64:") || body.starts_with("b64:")) {
    if (!decode_base64(body.substr(body.find(':') + 1), bytes)) return "bin:base64: value is not valid base64";
  } else {
    return "bin value must start with hex: or base64: (bin:hex:00ff, bin:base64:AP8=)";
  }
  return {};
}

}  // namespace

std::string parse_typed_value(std::string_view text, TypedValue& out) {
  if (text == "null" || text == "null:") {
    out = TypedValue{};
    return {};
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return "'" + std::string(text) + "' has no type: write TYPE:VALUE (" + std::string(typed_value_syntax) + ")";
  }
  const std::string_view type = text.substr(0, colon);
  const std::string_view body = text.substr(colon + 1);
  spop::Value v;
  std::string err;
  std::string bytes;
  if (type == "bool") {
    err = parse_bool(body, v);
  } else if (type == "int32" || type == "uint32" || type == "int64" || type == "uint64" || type == "int") {
    err = parse_integer(type, body, v);
  } else if (type == "ipv4" || type == "ipv6" || type == "ip") {
    err = parse_address(type, body, v);
  } else if (type == "str" || type == "string") {
    v = spop::Value::string(body);
  } else if (type == "bin" || type == "binary") {
    err = parse_binary(body, bytes);
    v = spop::Value::binary(bytes);
  } else {
    return "unknown type '" + std::string(type) + "' (types: " + std::string(typed_value_syntax) + ")";
  }
  if (err.empty()) out = TypedValue(v);
  return err;
}

bool decode_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = spop::hex_digit(hex[i]);
    const int lo = spop::hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string encode_hex(std::string_view bytes) { return spop::hex_string(bytes); }

namespace {
constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

bool decode_base64(std::string_view text, std::string& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;  // one leftover character cannot carry a whole byte
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const auto idx = base64_alphabet.find(c);
    if (idx == std::string_view::npos) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(idx);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::string encode_base64(std::string_view bytes) {
  std::string s;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      s += base64_alphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) s += base64_alphabet[(acc << (6 - bits)) & 0x3F];
  while (s.size() % 4 != 0) s += '=';
  return s;
}

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // the sequence is cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::array<std::uint32_t, 4> min_for_length = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace spop_cli
