// Wakes the thread of an io_context from another thread without taking any lock of that io_context.
//
// boost::asio::post() wakes a loop blocked in epoll_wait by interrupting its reactor while it holds the
// loop's mutex. When the poster and the woken thread share a CPU (a busy or pinned worker), the woken
// thread preempts the poster at once, finds the mutex held, blocks on it and hands the CPU back: three
// context switches and two futex calls per wake-up instead of one switch. A Doorbell is an eventfd the
// loop watches: ring() is one write(2) and holds nothing, so the woken thread runs straight through.
// Rings that come while one is pending cost no system call and give one wake-up.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace spoa::exec {

class Doorbell {
 public:
  /// `on_ring` runs on `io`'s thread after one or more ring()s. Throws std::system_error (no eventfd).
  Doorbell(boost::asio::io_context& io, std::function<void()> on_ring);
  /// Without stop() before, on `io`'s thread while `io` exists.
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  /// Any thread, until destruction.
  void ring() noexcept;
  /// Stops listening, so that the loop can run out of work; later rings are lost. On `io`'s thread while
  /// `io` exists; afterwards the Doorbell no longer touches `io` (it may outlive it). Idempotent.
  void stop() noexcept;

 private:
  void listen();

  int fd_ = -1;  // the eventfd ring() writes to: open until destruction, whatever happens to io
  // Watches a duplicate of fd_ (the same counter), so that stop() can hand it back to the loop at once
  // while a ring() racing with it still writes to an open descriptor.
  std::optional<boost::asio::posix::stream_descriptor> watch_;
  std::function<void()> on_ring_;
  std::array<char, 8> count_{};  // the eventfd's counter, read and ignored
  std::atomic<bool> pending_{false};
};

}  // namespace spoa::exec
