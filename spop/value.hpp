// A typed SPOP value (TYPED-DATA): small, copyable, and a view for STRING/BINARY bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "spop/types.hpp"

namespace spop {

struct Ipv4Address {
  std::array<std::uint8_t, 4> bytes{};  // network order
  friend bool operator==(const Ipv4Address&, const Ipv4Address&) = default;
};

struct Ipv6Address {
  std::array<std::uint8_t, 16> bytes{};  // network order
  friend bool operator==(const Ipv6Address&, const Ipv6Address&) = default;
};

/// Parses dotted IPv4 / RFC 4291 IPv6 text; false on bad text.
bool parse_ipv4(std::string_view text, Ipv4Address& out);
bool parse_ipv6(std::string_view text, Ipv6Address& out);
/// Canonical text ("127.0.0.1", "::55").
std::string to_string(const Ipv4Address& a);
std::string to_string(const Ipv6Address& a);

/// One TYPED-DATA value.
///
/// Integers keep the 64 wire bits whatever their declared type (HAProxy decodes all four integer types
/// into one int64): as_int64()/as_uint64() read them either way. STRING and BINARY hold a view: the
/// bytes belong to whoever built the value (for decoded values: the receive buffer, valid until the
/// caller discards the frame). Not allocating.
class Value {
 public:
  constexpr Value() noexcept = default;  ///< NULL

  static Value null() noexcept { return Value{}; }
  static Value boolean(bool v) noexcept;
  static Value int32(std::int32_t v) noexcept;
  static Value uint32(std::uint32_t v) noexcept;
  static Value int64(std::int64_t v) noexcept;
  static Value uint64(std::uint64_t v) noexcept;
  /// An integer with an explicit type id (2-5) and raw 64 bits, as decoded from the wire.
  static Value integer(DataType type, std::uint64_t bits) noexcept;
  static Value ipv4(const Ipv4Address& a) noexcept;
  static Value ipv6(const Ipv6Address& a) noexcept;
  static Value string(std::string_view bytes) noexcept;
  static Value binary(std::string_view bytes) noexcept;

  DataType type() const noexcept { return type_; }
  bool is_null() const noexcept { return type_ == DataType::null; }
  bool is_integer() const noexcept;

  bool as_bool() const noexcept { return boolean_; }
  std::int64_t as_int64() const noexcept { return static_cast<std::int64_t>(bits_); }
  std::uint64_t as_uint64() const noexcept { return bits_; }
  const Ipv4Address& as_ipv4() const noexcept { return v4_; }
  const Ipv6Address& as_ipv6() const noexcept { return v6_; }
  std::string_view as_bytes() const noexcept { return bytes_; }  ///< STRING or BINARY

  /// Same type and same value (bytes compared by content).
  friend bool operator==(const Value& a, const Value& b) noexcept;

 private:
  DataType type_ = DataType::null;
  bool boolean_ = false;
  std::uint64_t bits_ = 0;
  Ipv4Address v4_{};
  Ipv6Address v6_{};
  std::string_view bytes_{};
};

// The constructors are inline: decoders build one Value per argument.

inline Value Value::boolean(bool v) noexcept {
  Value r;
  r.type_ = DataType::boolean;
  r.boolean_ = v;
  return r;
}

inline Value Value::integer(DataType type, std::uint64_t bits) noexcept {
  Value r;
  r.type_ = type;
  r.bits_ = bits;
  return r;
}

// Signed values are stored sign-extended so that the wire carries the 64-bit two's complement.
inline Value Value::int32(std::int32_t v) noexcept {
  return integer(DataType::int32, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
}
inline Value Value::uint32(std::uint32_t v) noexcept { return integer(DataType::uint32, v); }
inline Value Value::int64(std::int64_t v) noexcept { return integer(DataType::int64, static_cast<std::uint64_t>(v)); }
inline Value Value::uint64(std::uint64_t v) noexcept { return integer(DataType::uint64, v); }

inline Value Value::ipv4(const Ipv4Address& a) noexcept {
  Value r;
  r.type_ = DataType::ipv4;
  r.v4_ = a;
  return r;
}

inline Value Value::ipv6(const Ipv6Address& a) noexcept {
  Value r;
  r.type_ = DataType::ipv6;
  r.v6_ = a;
  return r;
}

inline Value Value::string(std::string_view bytes) noexcept {
  Value r;
  r.type_ = DataType::string;
  r.bytes_ = bytes;
  return r;
}

inline Value Value::binary(std::string_view bytes) noexcept {
  Value r;
  r.type_ = DataType::binary;
  r.bytes_ = bytes;
  return r;
}

inline bool Value::is_integer() const noexcept {
  return type_ == DataType::int32 || type_ == DataType::uint32 || type_ == DataType::int64 ||
         type_ == DataType::uint64;
}

/// Lower-case hex of raw bytes, two digits per byte, no separators ("00ff").
std::string hex_string(std::string_view bytes);

/// Human-readable rendering for tools and logs: `int64:-5`, `str:"abc"`, `bin:00ff`, `ipv4:127.0.0.1`, `null`.
std::string describe(const Value& v);

/// One NOTIFY argument: a raw-string name ("" for unnamed `args`) and its value.
struct Argument {
  std::string_view name;
  Value value;
};

}  // namespace spop
