// What spop-sim's latency measurement costs per request: recording a round trip in the log-linear
// histogram, with and without reading the clock, and a percentile query over a full histogram.
#include <benchmark/benchmark.h>

#include <chrono>

#include "simulator/run/histogram.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void BM_HistogramRecord(benchmark::State& state) {
  spop::sim::LatencyHistogram h;
  std::uint64_t v = 1000;
  for (auto _ : state) {
    h.record(v);
    v = v * 2862933555777941757ull + 3037000493ull;  // spread over every bucket range
    v >>= 40;
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_HistogramRecord);

// The whole measurement on spop-sim's ACK path: the clock read when the ACK is handled, the
// subtraction from the send time, and the record.
void BM_ClockAndRecord(benchmark::State& state) {
  spop::sim::LatencyHistogram h;
  const auto sent = Clock::now();
  for (auto _ : state) h.record(Clock::now() - sent);
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_ClockAndRecord);

void BM_Percentile(benchmark::State& state) {
  spop::sim::LatencyHistogram h;
  for (std::uint64_t i = 1; i < 1'000'000; i += 7) h.record(i * 13);
  for (auto _ : state) benchmark::DoNotOptimize(h.value_at(0.999));
}
BENCHMARK(BM_Percentile);

}  // namespace

BENCHMARK_MAIN();
