// Doorbell (see doorbell.hpp).
#include "agent/executor/doorbell.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace spoa::exec {

Doorbell::Doorbell(boost::asio::io_context& io, std::function<void()> on_ring) : on_ring_(std::move(on_ring)) {
  fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  const int watched = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (watched < 0) {
    const int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::generic_category(), "eventfd duplicate");
  }
  try {
    watch_.emplace(io, watched);
  } catch (...) {
    ::close(watched);
    ::close(fd_);
    throw;
  }
  listen();
}

Doorbell::~Doorbell() {
  stop();
  ::close(fd_);
}

void Doorbell::ring() noexcept {
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;  // a wake-up is on its way
  const eventfd_t one = 1;
  // Fails only if the counter would overflow, which one unread ring cannot make it do.
  (void)::write(fd_, &one, sizeof one);
}

void Doorbell::stop() noexcept {
  watch_.reset();  // closes the duplicate: the pending read ends with operation_aborted
}

void Doorbell::listen() {
  watch_->async_read_some(boost::asio::buffer(count_), [this](const boost::system::error_code& ec, std::size_t) {
    // Aborted: stop() ran (the Doorbell may be gone); any other error cannot happen on an eventfd.
    if (ec || !watch_) return;
    // Before the work: a ring() from here on writes again, so nothing it announces waits for a later one.
    pending_.store(false, std::memory_order_seq_cst);
    listen();
    on_ring_();
  });
}

}  // namespace spoa::exec
