// The shared table of AcceptBalance (see accept_balance.hpp).
#include "agent/accept_balance.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <limits>
#include <new>
#include <system_error>

namespace spoa {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the table is shared between processes: its atomics must not hide a lock");

AcceptBalance::AcceptBalance(unsigned workers) : workers_(workers) {
  if (workers <= 1) return;
  void* p = ::mmap(nullptr, sizeof(Slot) * workers, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap (accept balance)");
  slots_ = static_cast<Slot*>(p);
  for (unsigned i = 0; i < workers; ++i) new (&slots_[i]) Slot;
}

AcceptBalance::~AcceptBalance() {
  if (slots_ != nullptr) ::munmap(slots_, sizeof(Slot) * workers_);
}

void AcceptBalance::set_connections(unsigned index, std::size_t connections) noexcept {
  if (slots_ == nullptr || index >= workers_) return;
  constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
  slots_[index].connections.store(static_cast<std::uint32_t>(connections < most ? connections : most),
                                  std::memory_order_relaxed);
}

void AcceptBalance::set_accepting(unsigned index, bool accepting) noexcept {
  if (slots_ == nullptr || index >= workers_) return;
  slots_[index].accepting.store(accepting, std::memory_order_relaxed);
}

bool AcceptBalance::another_has_fewer(unsigned index) const noexcept {
  if (slots_ == nullptr || index >= workers_) return false;
  const std::uint32_t mine = slots_[index].connections.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < workers_; ++i) {
    if (i == index || !slots_[i].accepting.load(std::memory_order_relaxed)) continue;
    if (slots_[i].connections.load(std::memory_order_relaxed) < mine) return true;
  }
  return false;
}

}  // namespace spoa
