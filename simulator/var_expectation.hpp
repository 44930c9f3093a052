// What a scenario accepts for one HAProxy variable after a request, written as a short spec:
//
//   present | absent                 set to anything / not set (a NULL set-var unsets, as in HAProxy)
//   <type>                           any value of that type
//   <type>:<value>                   exactly that value: int32:1234, bool:true, ipv4:127.0.0.1, ipv6:1::f,
//                                    str:"1::f" (quoted, with \" \\ \xNN) or str:abc, bin:"1::f" or bin:313a3a66 (hex)
//   <int type>:<lo>..<hi>            an integer in [lo, hi]; either end may be left out (int:..100)
//
// Types: int (any of the four integer types), int32, uint32, int64, uint64, bool, ipv4, ipv6, str, bin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spop/value.hpp"

namespace spop::sim {

class VarMatcher {
 public:
  /// Parses a spec; nullopt with `error` set when it is malformed.
  static std::optional<VarMatcher> parse(std::string_view spec, std::string& error);

  /// Whether the variable's value matches; `value` is nullptr when the variable is not set.
  /// A NULL value counts as not set.
  bool matches(const spop::Value* value) const;

  const std::string& spec() const noexcept { return spec_; }

 private:
  enum class Kind : std::uint8_t { present, absent, type, exact, range };
  enum class Type : std::uint8_t { any_int, int32, uint32, int64, uint64, boolean, ipv4, ipv6, string, binary };

  // An integer as sign and magnitude, so that uint64 and int64 values compare without overflow.
  struct Int {
    bool negative = false;
    std::uint64_t magnitude = 0;
    friend bool operator<(const Int& a, const Int& b) {
      if (a.negative != b.negative) return a.negative;
      return a.negative ? a.magnitude > b.magnitude : a.magnitude < b.magnitude;
    }
    friend bool operator==(const Int&, const Int&) = default;
  };

  static std::optional<Type> parse_type(std::string_view name);
  static bool parse_int(std::string_view text, Int& out);
  static Int int_of(const spop::Value& v);
  bool type_matches(const spop::Value& v) const;
  std::string parse_value(std::string_view text);

  std::string spec_;
  Kind kind_ = Kind::present;
  Type type_ = Type::any_int;
  std::optional<Int> low_, high_;  ///< range bounds; exact integers use low_
  bool boolean_ = false;
  std::string bytes_;              ///< exact str/bin
  spop::Value address_;            ///< exact ipv4/ipv6
};

}  // namespace spop::sim
