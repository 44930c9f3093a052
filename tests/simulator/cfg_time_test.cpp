#include "simulator/cfg_time.hpp"

#include <gtest/gtest.h>

namespace spop::sim {
namespace {

using std::chrono::microseconds;
using Error = ParsedTime::Error;

microseconds ok(std::string_view text) {
  const ParsedTime t = parse_time(text);
  EXPECT_EQ(t.error, Error::none) << text;
  EXPECT_FALSE(t.trailing) << text;
  return t.value;
}

TEST(CfgTime, UnitsWithMillisecondsByDefault) {
  EXPECT_EQ(ok("10"), microseconds(10'000));
  EXPECT_EQ(ok("1us"), microseconds(1));
  EXPECT_EQ(ok("1ms"), microseconds(1'000));
  EXPECT_EQ(ok("2s"), microseconds(2'000'000));
  EXPECT_EQ(ok("1m"), microseconds(60'000'000));
  EXPECT_EQ(ok("1h"), microseconds(3'600'000'000));
  EXPECT_EQ(ok("1d"), microseconds(86'400'000'000));
  EXPECT_EQ(ok("0"), microseconds(0));
  EXPECT_EQ(parse_time("7", 1).value, microseconds(7));  // another default unit
}

TEST(CfgTime, HaproxyRoundsMicrosecondsUpToMilliseconds) {
  EXPECT_EQ(to_timeout_ms(ok("1us")).count(), 1);
  EXPECT_EQ(to_timeout_ms(ok("1000us")).count(), 1);
  EXPECT_EQ(to_timeout_ms(ok("1001us")).count(), 2);
}

// The limits HAProxy 2.6.12 enforces: 2147483647 ms, compared after rounding up.
TEST(CfgTime, Overflow) {
  EXPECT_EQ(ok("2147483647"), microseconds(2'147'483'647'000));
  EXPECT_EQ(ok("24d"), microseconds(24LL * 86'400'000'000));
  EXPECT_EQ(ok("2147483647000us"), microseconds(2'147'483'647'000));
  EXPECT_EQ(parse_time("2147483648").error, Error::overflow);
  EXPECT_EQ(parse_time("2147483647001us").error, Error::overflow);
  EXPECT_EQ(parse_time("25d").error, Error::overflow);
  EXPECT_EQ(parse_time("99999999999999999999").error, Error::overflow);
}

TEST(CfgTime, BadCharacters) {
  for (auto [text, bad] : {std::pair{"1.5s", '.'}, {"5S", 'S'}, {"-1", '-'}, {"1u", 'u'}, {"1x", 'x'}, {"s", 's'}}) {
    const ParsedTime t = parse_time(text);
    EXPECT_EQ(t.error, Error::bad_char) << text;
    EXPECT_EQ(t.bad, bad) << text;
  }
  EXPECT_EQ(parse_time("").error, Error::empty);
}

// HAProxy 2.6 only warns about characters after a unit, and keeps the value.
TEST(CfgTime, TrailingCharactersAreAWarning) {
  const ParsedTime t = parse_time("10ms5");
  EXPECT_EQ(t.error, Error::none);
  EXPECT_TRUE(t.trailing);
  EXPECT_EQ(t.bad, '5');
  EXPECT_EQ(t.value, microseconds(10'000));
  EXPECT_EQ(parse_time("1sec").value, microseconds(1'000'000));
  EXPECT_EQ(parse_time("1mn").value, microseconds(60'000'000));
  EXPECT_EQ(trailing_time_warning("1sec", 'e'),
            "unexpected character 'e' after the timer value '1sec', only "
            "(us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. "
            "This will be reported as an error in next versions");
}

}  // namespace
}  // namespace spop::sim
