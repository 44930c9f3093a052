#include "simulator/run/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace spop::sim {

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() noexcept { *this = LatencyHistogram(); }

std::uint64_t LatencyHistogram::bucket_low(std::size_t index) noexcept {
  if (index < 128) return index;
  const std::size_t shift = index / 64 - 1;
  return static_cast<std::uint64_t>(index % 64 + 64) << shift;
}

std::uint64_t LatencyHistogram::bucket_high(std::size_t index) noexcept {
  if (index < 128) return index;
  const std::size_t shift = index / 64 - 1;
  return ((static_cast<std::uint64_t>(index % 64 + 65) << shift) - 1);
}

std::uint64_t LatencyHistogram::value_at(double quantile) const noexcept {
  if (count_ == 0) return 0;
  quantile = std::clamp(quantile, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(quantile * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucket_high(i), min_, max_);
  }
  return max_;
}

}  // namespace spop::sim
