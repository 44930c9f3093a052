// A small log-linear latency histogram in the spirit of HdrHistogram: exact below 128 ns, then 64
// buckets per power of two (every value within 1/64, about 1.6%, of its bucket's top). Recording is
// an index computation and one increment, so measuring does not disturb what is measured.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spop::sim {

class LatencyHistogram {
 public:
  /// Buckets: 128 exact values, then 64 per power of two up to 2^63.
  static constexpr std::size_t bucket_count = 128 + 57 * 64;

  void record(std::uint64_t nanoseconds) noexcept {
    ++counts_[index_of(nanoseconds)];
    ++count_;
    sum_ += nanoseconds;
    if (nanoseconds < min_) min_ = nanoseconds;
    if (nanoseconds > max_) max_ = nanoseconds;
  }
  void record(std::chrono::nanoseconds d) noexcept {
    record(d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count()));
  }

  /// Adds every sample of `other`.
  void merge(const LatencyHistogram& other) noexcept;
  void clear() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_); }

  /// The value at `quantile` in [0, 1] by nearest rank: the top of the bucket that holds the
  /// ceil(q * count)-th smallest sample, capped at max() (so 1.0 gives max() exactly). 0 when empty.
  std::uint64_t value_at(double quantile) const noexcept;

  /// The bucket of a value, and the values a bucket holds ([low, high]).
  static std::size_t index_of(std::uint64_t v) noexcept {
    if (v < 128) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - 6;  // keeps the 7 top bits: 64..127
    return static_cast<std::size_t>((shift + 1) * 64) + static_cast<std::size_t>((v >> shift) - 64);
  }
  static std::uint64_t bucket_low(std::size_t index) noexcept;
  static std::uint64_t bucket_high(std::size_t index) noexcept;

  /// Per-bucket counts (for charts); index with index_of().
  const std::array<std::uint64_t, bucket_count>& counts() const noexcept { return counts_; }

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace spop::sim
