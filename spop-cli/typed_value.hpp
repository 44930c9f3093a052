// An owned TYPED-DATA value for the command line: parsed from "TYPE:VALUE" text, printed back, and
// viewed as a spop::Value when it goes on the wire. spop::Value only holds a view of STRING/BINARY bytes,
// and a command line needs values that outlive the text they came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spop/value.hpp"

namespace spop_cli {

/// A spop::Value that owns its STRING/BINARY bytes. Copy and move keep the bytes valid (view() rebuilds
/// the view each time, so no dangling pointer survives a move of the std::string).
class TypedValue {
 public:
  TypedValue() = default;  ///< NULL
  /// Copies `v` (and its bytes).
  explicit TypedValue(const spop::Value& v);

  /// The value as the codec sees it; valid while this object is alive and unchanged.
  spop::Value view() const noexcept;
  spop::DataType type() const noexcept { return scalar_.type(); }

  friend bool operator==(const TypedValue& a, const TypedValue& b) noexcept { return a.view() == b.view(); }

 private:
  spop::Value scalar_;  // everything except the bytes
  std::string bytes_;   // STRING/BINARY contents
};

/// Parses the typed syntax of --arg, --kv and --set-var values:
///   null | bool:true|false|1|0 | int32:N | uint32:N | int64:N | uint64:N | int:N (= int64, what HAProxy
///   sends for every integer sample) | ipv4:A.B.C.D | ipv6:ADDR | ip:ADDR (v4 or v6) | str:TEXT |
///   bin:hex:HEX | bin:base64:B64
/// Integers are decimal or 0x-prefixed hex and must fit their type. Returns an empty string on success,
/// otherwise a one-line reason naming what was wrong ("int32 value 3000000000 is out of range ...").
std::string parse_typed_value(std::string_view text, TypedValue& out);

/// The type names accepted by parse_typed_value(), for help texts.
inline constexpr std::string_view typed_value_syntax =
    "null, bool:true|false, int32:N, uint32:N, int64:N, uint64:N, int:N (=int64), ipv4:A.B.C.D, ipv6:ADDR, "
    "ip:ADDR, str:TEXT, bin:hex:HEX, bin:base64:B64";

/// Parses a decimal or 0x-hex integer. `min`/`max` bound the accepted value. Empty string on success.
std::string parse_signed(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out);
std::string parse_unsigned(std::string_view text, std::uint64_t max, std::uint64_t& out);

/// Hex digits (no separators) <-> bytes. decode_hex returns false on an odd count or a non-hex character.
bool decode_hex(std::string_view hex, std::string& out);
std::string encode_hex(std::string_view bytes);
/// RFC 4648 base64 (padding optional on input). decode_base64 returns false on bad input.
bool decode_base64(std::string_view text, std::string& out);
std::string encode_base64(std::string_view bytes);

/// True when `s` is well-formed UTF-8 (JSON output can then carry it as text).
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace spop_cli
