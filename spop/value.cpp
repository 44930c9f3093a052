#include "spop/value.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace spop {

bool parse_ipv4(std::string_view text, Ipv4Address& out) {
  char buf[INET_ADDRSTRLEN];
  if (text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(AF_INET, buf, out.bytes.data()) == 1;
}

bool parse_ipv6(std::string_view text, Ipv6Address& out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(AF_INET6, buf, out.bytes.data()) == 1;
}

std::string to_string(const Ipv4Address& a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string to_string(const Ipv6Address& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
  return buf;
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case DataType::null: return true;
    case DataType::boolean: return a.boolean_ == b.boolean_;
    case DataType::int32:
    case DataType::uint32:
    case DataType::int64:
    case DataType::uint64: return a.bits_ == b.bits_;
    case DataType::ipv4: return a.v4_ == b.v4_;
    case DataType::ipv6: return a.v6_ == b.v6_;
    case DataType::string:
    case DataType::binary: return a.bytes_ == b.bytes_;
  }
  return false;
}

std::string hex_string(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    s += digits[c >> 4];
    s += digits[c & 0xF];
  }
  return s;
}

namespace {

std::string quoted(std::string_view bytes) {
  std::string s = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      s += '\\';
      s += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      static constexpr char digits[] = "0123456789abcdef";
      s += "\\x";
      s += digits[c >> 4];
      s += digits[c & 0xF];
    } else {
      s += static_cast<char>(c);
    }
  }
  s += '"';
  return s;
}

}  // namespace

std::string describe(const Value& v) {
  std::string type(to_string(v.type()));
  switch (v.type()) {
    case DataType::null: return "null";
    case DataType::boolean: return v.as_bool() ? "bool:true" : "bool:false";
    case DataType::int32:
    case DataType::int64: return type + ":" + std::to_string(v.as_int64());
    case DataType::uint32:
    case DataType::uint64: return type + ":" + std::to_string(v.as_uint64());
    case DataType::ipv4: return type + ":" + to_string(v.as_ipv4());
    case DataType::ipv6: return type + ":" + to_string(v.as_ipv6());
    case DataType::string: return type + ":" + quoted(v.as_bytes());
    case DataType::binary: return type + ":" + hex_string(v.as_bytes());
  }
  return type;
}

}  // namespace spop
