#include "simulator/cfg_time.hpp"

namespace spop::sim {

namespace {

constexpr std::uint64_t max_timeout_us = static_cast<std::uint64_t>(max_timeout_ms) * 1000;

}  // namespace

ParsedTime parse_time(std::string_view text, std::int64_t default_unit_us) {
  ParsedTime r;
  std::size_t i = 0;
  std::uint64_t count = 0;
  bool overflow = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    count = count * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (count > max_timeout_us) {  // stop growing before the product could wrap
      overflow = true;
      count = max_timeout_us + 1;
    }
    ++i;
  }
  if (i == 0) {
    if (text.empty()) {
      r.error = ParsedTime::Error::empty;
    } else {
      r.error = ParsedTime::Error::bad_char;
      r.bad = text[0];
    }
    return r;
  }

  std::uint64_t unit_us = static_cast<std::uint64_t>(default_unit_us);
  if (i < text.size()) {
    const std::string_view rest = text.substr(i);
    std::size_t unit_len = 1;
    if (rest.starts_with("us")) { unit_us = 1; unit_len = 2; }
    else if (rest.starts_with("ms")) { unit_us = 1000; unit_len = 2; }
    else if (rest[0] == 's') unit_us = 1000 * 1000;
    else if (rest[0] == 'm') unit_us = 60ULL * 1000 * 1000;
    else if (rest[0] == 'h') unit_us = 3600ULL * 1000 * 1000;
    else if (rest[0] == 'd') unit_us = 86400ULL * 1000 * 1000;
    else {
      r.error = ParsedTime::Error::bad_char;
      r.bad = rest[0];
      return r;
    }
    if (rest.size() > unit_len) {
      r.trailing = true;
      r.bad = rest[unit_len];
    }
  }

  // The limit applies to the value in milliseconds rounded up, as HAProxy stores it:
  // ceil(us / 1000) <= max_timeout_ms exactly when us <= max_timeout_us.
  if (overflow || count > max_timeout_us / unit_us) {
    r.error = ParsedTime::Error::overflow;
    return r;
  }
  const std::uint64_t us = count * unit_us;
  r.value = std::chrono::microseconds(static_cast<std::int64_t>(us));
  return r;
}

std::chrono::milliseconds to_timeout_ms(std::chrono::microseconds v) {
  return std::chrono::milliseconds((v.count() + 999) / 1000);
}

std::string trailing_time_warning(std::string_view text, char bad) {
  return std::string("unexpected character '") + bad + "' after the timer value '" + std::string(text) +
         "', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. "
         "This will be reported as an error in next versions";
}

}  // namespace spop::sim
