// The short latency summary of `send --repeat`: count, min, mean, percentiles and max of round trips.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spop_cli {

struct LatencySummary {
  std::size_t count = 0;
  double min_ms = 0, mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

/// A duration in (fractional) milliseconds, the unit of every report.
double to_ms(std::chrono::nanoseconds d);

/// Percentiles by the nearest-rank method (p50 of 1..100 is 50). An empty input gives all zeros.
LatencySummary summarize(std::vector<std::chrono::nanoseconds> samples);

/// "min 0.081  mean 0.210  p50 0.190  p90 0.301  p99 0.520  max 0.611 (ms)"
std::string to_text(const LatencySummary& s);
nlohmann::json to_json(const LatencySummary& s);

}  // namespace spop_cli
