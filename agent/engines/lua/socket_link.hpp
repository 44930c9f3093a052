// One outgoing stream connection (TCP or unix socket) of a handler's spoa.tcp() socket, and the pool of
// idle ones that setkeepalive() leaves for the next connect() to the same address.
//
// Both live on one event loop (an executor thread's): nothing here is thread-safe, and nothing knows Lua.
// The pool is an Asio service of that loop, so each executor thread has its own (per-thread pools, as
// each thread has its own Lua state), and it closes what it holds when the loop goes away.
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spoa::lua {

/// A connected socket and the bytes received on it but not yet taken.
struct SocketLink {
  explicit SocketLink(boost::asio::io_context& loop) : socket(loop) {}

  boost::asio::generic::stream_protocol::socket socket;
  std::string key;        ///< the pool key: "host:port" as connect() was given it, or "unix:/path"
  unsigned reused = 0;    ///< how many times it came out of the keepalive pool

  std::size_t buffered() const noexcept { return end_ - start_; }
  std::string_view unread() const noexcept { return std::string_view(buffer_).substr(start_, end_ - start_); }
  /// Takes `n` buffered bytes.
  void consume(std::size_t n) noexcept;
  /// Room for a read of `chunk` bytes after the buffered ones; returns where it starts. Valid until the
  /// next prepare(): commit() what the read put there.
  char* prepare(std::size_t chunk);
  /// `n` bytes of the room prepare() gave were read.
  void commit(std::size_t n) noexcept { end_ += n; }
  /// Forgets the buffered bytes (a new connection).
  void clear() noexcept { start_ = end_ = 0; }
  /// Closes the socket (idempotent). The buffer is left alone: an aborted read's handler still finds it.
  void close() noexcept;

 private:
  std::string buffer_;  // storage (its size is the capacity: grown, never zeroed per read)
  std::size_t start_ = 0;
  std::size_t end_ = 0;
};

/// The idle connections of one event loop, by key, each closed after its idle timeout or when its peer
/// closes it (or sends anything: nothing may arrive on an idle connection).
class KeepalivePool : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;  // NOLINT: Asio's service identification
  using Clock = std::chrono::steady_clock;

  explicit KeepalivePool(boost::asio::io_context& loop) : service(loop), sweep_(loop) {}
  ~KeepalivePool() override;

  /// The pool of `loop` (made on first use).
  static KeepalivePool& of(boost::asio::io_context& loop) { return boost::asio::use_service<KeepalivePool>(loop); }

  /// The most recently pooled live connection for `address` (a key; its reuse count incremented), or null.
  std::shared_ptr<SocketLink> take(const std::string& address);
  /// Keeps `link` (connected, nothing unread) for up to `idle` (zero: no limit). With `size` connections
  /// of its key pooled already, the one idle the longest is closed.
  void put(std::shared_ptr<SocketLink> link, std::chrono::milliseconds idle, std::size_t size);

  /// Connections pooled now, for `address` or in all.
  std::size_t idle(const std::string& address) const;
  std::size_t idle() const noexcept { return count_; }

 private:
  struct Entry {
    std::shared_ptr<SocketLink> link;
    Clock::time_point idle_until;  ///< time_point::max(): no idle limit
    bool pooled = true;  // false once taken or dropped: its pending handlers do nothing
  };
  void shutdown() override;
  void drop(std::shared_ptr<Entry> entry) noexcept;
  /// Watches an idle connection for its peer's close (or stray bytes).
  void watch(const std::shared_ptr<Entry>& entry);
  /// One timer for every idle limit: closes the connections past theirs, then waits for the next one.
  void arm_sweep(Clock::time_point when);
  void sweep();

  std::unordered_map<std::string, std::deque<std::shared_ptr<Entry>>> pools_;  // oldest first
  std::size_t count_ = 0;
  boost::asio::steady_timer sweep_;
  Clock::time_point sweep_at_ = Clock::time_point::max();
};

}  // namespace spoa::lua
