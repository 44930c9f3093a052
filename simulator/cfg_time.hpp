// HAProxy time values ("500ms", "2s", "1m"): an unsigned number and an optional unit among
// us, ms, s, m, h and d. Used by SPOE timeouts, haproxy.cfg timeouts and scenario durations.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace spop::sim {

/// Largest timeout HAProxy accepts: 2147483647 ms (~24.8 days).
inline constexpr std::int64_t max_timeout_ms = 2147483647;

/// The outcome of parse_time().
struct ParsedTime {
  enum class Error : std::uint8_t {
    none,
    empty,      ///< no digits at all
    bad_char,   ///< `bad` is not a digit or the start of a unit
    overflow,   ///< larger than max_timeout_ms
  };
  std::chrono::microseconds value{0};
  Error error = Error::none;
  char bad = 0;            ///< the offending character (bad_char, trailing)
  bool trailing = false;   ///< characters after a valid unit ("10ms5"): HAProxy 2.6 warns and ignores them
};

/// Parses `text` with `default_unit_us` microseconds per unit-less count (1000: milliseconds, as HAProxy's
/// timeouts). Values above max_timeout_ms milliseconds are an overflow.
ParsedTime parse_time(std::string_view text, std::int64_t default_unit_us = 1000);

/// Milliseconds as HAProxy stores a timeout: microseconds rounded up (1us counts as 1ms).
std::chrono::milliseconds to_timeout_ms(std::chrono::microseconds v);

/// HAProxy 2.6's warning text for trailing characters after a unit.
std::string trailing_time_warning(std::string_view text, char bad);

}  // namespace spop::sim
