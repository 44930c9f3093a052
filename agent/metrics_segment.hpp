// The shared memory segment behind --metrics-address: mapped by the supervisor before it forks, so
// every worker writes its own slot and the supervisor reads them all when Prometheus scrapes.
#pragma once

#include <cstddef>

#include "agent/metrics_layout.hpp"

namespace spoa::metrics {

/// One anonymous MAP_SHARED mapping holding SupervisorCounters and one WorkerCounters per worker,
/// zero-initialised. A forked child shares it; each process unmaps its own view on destruction.
class Segment {
 public:
  /// Maps the counters of `workers` worker slots. Throws std::system_error when mmap fails.
  explicit Segment(unsigned workers);
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  unsigned workers() const noexcept { return workers_; }
  SupervisorCounters& supervisor() const noexcept { return *supervisor_; }
  WorkerCounters& worker(unsigned index) const noexcept { return workers_base_[index]; }

 private:
  void* base_ = nullptr;
  std::size_t size_ = 0;
  unsigned workers_ = 0;
  SupervisorCounters* supervisor_ = nullptr;
  WorkerCounters* workers_base_ = nullptr;
};

}  // namespace spoa::metrics
