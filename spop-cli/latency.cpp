#include "spop-cli/latency.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace spop_cli {

double to_ms(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

namespace {

// Nearest rank: the smallest sample with at least p% of the samples at or below it.
double percentile(const std::vector<std::chrono::nanoseconds>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return to_ms(sorted[std::max<std::size_t>(rank, 1) - 1]);
}

}  // namespace

LatencySummary summarize(std::vector<std::chrono::nanoseconds> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min_ms = to_ms(samples.front());
  s.max_ms = to_ms(samples.back());
  double total = 0;
  for (auto d : samples) total += to_ms(d);
  s.mean_ms = total / static_cast<double>(samples.size());
  s.p50_ms = percentile(samples, 50);
  s.p90_ms = percentile(samples, 90);
  s.p99_ms = percentile(samples, 99);
  return s;
}

std::string to_text(const LatencySummary& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "min %.3f  mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f (ms)", s.min_ms,
                s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms);
  return buf;
}

nlohmann::json to_json(const LatencySummary& s) {
  return {{"count", s.count},   {"min_ms", s.min_ms}, {"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms},
          {"p90_ms", s.p90_ms}, {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}};
}

}  // namespace spop_cli
