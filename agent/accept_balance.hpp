// Sharing new connections fairly between the workers that accept on the same listening sockets.
//
// Every worker waits on the shared sockets and all of them wake up for a new connection; whichever
// calls accept() first gets it. Left alone, the worker that happens to run first takes a whole burst
// (HAProxy opening its connections, a restart), serves all of it for as long as the connections live,
// and the other workers idle: with two workers, 10 connections split 10/0 or 8/2 as often as 5/5.
// So each worker publishes its connection count in a small shared memory table mapped before fork,
// and a worker that has more connections than another accepting worker leaves the new connection to
// it for a moment (see Worker::accept_loop), taking it anyway if nobody else did.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace spoa {

class AcceptBalance {
 public:
  /// Maps the table for `workers` workers (shared with the processes forked later). With one worker
  /// there is nothing to balance and nothing is mapped. Throws std::system_error.
  explicit AcceptBalance(unsigned workers);
  AcceptBalance(const AcceptBalance&) = delete;
  AcceptBalance& operator=(const AcceptBalance&) = delete;
  ~AcceptBalance();

  bool active() const noexcept { return slots_ != nullptr; }

  /// Worker `index` serves `connections` connections now.
  void set_connections(unsigned index, std::size_t connections) noexcept;
  /// Worker `index` accepts (its accept loops run) or stopped accepting (draining, ended, restarting).
  void set_accepting(unsigned index, bool accepting) noexcept;
  /// True when another accepting worker has fewer connections than worker `index`: it should take the
  /// next one.
  bool another_has_fewer(unsigned index) const noexcept;

 private:
  struct alignas(64) Slot {  // one cache line each: workers write only their own
    std::atomic<std::uint32_t> connections{0};
    std::atomic<bool> accepting{false};
  };
  Slot* slots_ = nullptr;
  unsigned workers_ = 0;
};

}  // namespace spoa
