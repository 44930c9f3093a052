// Mapping and laying out the shared counters (see metrics_segment.hpp).
#include "agent/metrics_segment.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <new>
#include <system_error>

namespace spoa::metrics {

namespace {

constexpr std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

}  // namespace

Segment::Segment(unsigned workers) : workers_(workers) {
  const std::size_t head = align_up(sizeof(SupervisorCounters), alignof(WorkerCounters));
  size_ = head + sizeof(WorkerCounters) * workers;
  // Anonymous shared memory: inherited by fork, private to this process tree, gone with it. Pages are
  // only backed once touched, so unused message entries cost nothing.
  base_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base_ == MAP_FAILED) {
    base_ = nullptr;
    throw std::system_error(errno, std::generic_category(), "cannot map the metrics segment");
  }
  auto* bytes = static_cast<std::byte*>(base_);
  supervisor_ = new (bytes) SupervisorCounters{};
  workers_base_ = reinterpret_cast<WorkerCounters*>(bytes + head);
  for (unsigned i = 0; i < workers; ++i) new (workers_base_ + i) WorkerCounters{};
}

Segment::~Segment() {
  // The counters are trivially destructible atomics: unmapping is all the clean-up there is.
  if (base_ != nullptr) ::munmap(base_, size_);
}

}  // namespace spoa::metrics
