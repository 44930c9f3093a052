// The log-linear latency histogram: bucket layout, nearest-rank percentiles within the bucket
// precision, exact extremes, merging.
#include "simulator/run/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace spop::sim {
namespace {

TEST(LatencyHistogram, BucketsAreContiguousAndHoldTheirValues) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 255ull, 256ull, 1000ull, 123456789ull, 1ull << 40,
                          (1ull << 63) + 12345}) {
    const std::size_t i = LatencyHistogram::index_of(v);
    ASSERT_LT(i, LatencyHistogram::bucket_count) << v;
    EXPECT_LE(LatencyHistogram::bucket_low(i), v) << v;
    EXPECT_GE(LatencyHistogram::bucket_high(i), v) << v;
  }
  for (std::size_t i = 0; i + 1 < LatencyHistogram::bucket_count; ++i)
    ASSERT_EQ(LatencyHistogram::bucket_high(i) + 1, LatencyHistogram::bucket_low(i + 1)) << i;
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.value_at(0.5), 50u);
  EXPECT_EQ(h.value_at(0.9), 90u);
  EXPECT_EQ(h.value_at(0.99), 99u);
  EXPECT_EQ(h.value_at(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, PercentilesAreWithinOneSixtyFourthOfTheExactRank) {
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  std::uint64_t x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const std::uint64_t v = 1000 + (x >> 33) % 5'000'000;  // 1 us .. 5 ms in ns
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(h.value_at(q));
    EXPECT_GE(got, exact) << q;  // the top of the bucket, never below
    EXPECT_LE(got, exact * (1 + 1.0 / 64)) << q;
  }
  EXPECT_EQ(h.value_at(1.0), values.back());  // max is exact
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogram, EmptyGivesZerosAndMergeAddsCounts) {
  LatencyHistogram a, b;
  EXPECT_EQ(a.value_at(0.99), 0u);
  EXPECT_EQ(a.min(), 0u);
  a.record(std::chrono::microseconds(10));
  b.record(std::chrono::microseconds(30));
  b.record(std::chrono::nanoseconds(-5));  // clamped to 0, never a huge value
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 0u);
  EXPECT_EQ(a.max(), 30000u);
}

}  // namespace
}  // namespace spop::sim
