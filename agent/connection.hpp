// The live SPOP connections of one worker: each accepted socket is served by one coroutine that
// drives a spop::AgentConnection; the set wakes them for timeouts and drains them at shutdown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "agent/metrics_meter.hpp"
#include "spop/agent_connection.hpp"

namespace boost::asio {
class io_context;
}

namespace spoa {

namespace exec {
class CallScheduler;
}
namespace tls {
class ContextHolder;
}
class Connection;  // one served socket, defined in connection.cpp
class Recorder;    // --record (agent/recorder.hpp)

/// Settings every connection of a worker shares.
struct ConnectionSettings {
  spop::AgentOptions agent;
  /// How long a connection that we close waits for the peer to close its side (so that our last
  /// frames are not destroyed by a reset when the peer still had bytes in flight).
  std::chrono::milliseconds linger{1000};
  /// A connection whose pending output has made no progress for this long (the peer stopped reading
  /// and its receive window is full) is closed. 0 = never.
  std::chrono::milliseconds write_timeout{30000};
};

/// Owns nothing but the list: each Connection is owned by its coroutine and unlinks itself when it
/// ends. Everything runs on the worker's I/O thread (its io_context); handlers run on the
/// scheduler's executor threads.
class ConnectionSet {
 public:
  ConnectionSet(boost::asio::io_context& io, const ConnectionSettings& settings, exec::CallScheduler& scheduler);
  ConnectionSet(const ConnectionSet&) = delete;
  ConnectionSet& operator=(const ConnectionSet&) = delete;
  ~ConnectionSet();

  /// Serves an accepted, non-blocking socket `fd` (now owned) of address family `family`.
  void start(int fd, int family);

  std::size_t size() const noexcept { return size_; }
  /// Called after a connection has ended and left the set.
  void on_close(std::function<void()> callback) { on_close_ = std::move(callback); }
  /// Where connections record metrics (default: nowhere).
  void set_meter(metrics::WorkerMeter meter) noexcept { meter_ = meter; }
  /// Where connections record their exchanges (--record; default: nowhere). Set before the first
  /// start(); the recorder must outlive every connection (a connection that ends records the NOTIFYs
  /// it leaves unanswered).
  void set_recorder(Recorder* recorder) noexcept { recorder_ = recorder; }
  /// New TCP connections are served over TLS with holder->current() (read at each accept, so that a
  /// reload applies to the next connection); nullptr (default): plaintext. Unix sockets stay plaintext.
  void set_tls(const tls::ContextHolder* holder) noexcept { tls_ = holder; }

  /// Wakes the connections whose timeout is due so that they apply it (call every few tens of ms).
  void tick(spop::Clock::time_point now);
  /// The worker's limit on calls in progress has room again: connections it paused read again.
  void wake_paused();
  /// Graceful shutdown: each connection answers what it has already received (its calls complete),
  /// sends AGENT-DISCONNECT "normal", flushes and closes.
  void drain();
  /// Drain timeout: AGENT-DISCONNECT now on every connection (sent if the socket takes it at once;
  /// ACKs of calls still running are dropped), then every socket closes.
  void force_close();

 private:
  friend class Connection;
  void link(Connection* c) noexcept;
  void unlink(Connection* c) noexcept;

  boost::asio::io_context& io_;
  const ConnectionSettings& settings_;
  exec::CallScheduler& scheduler_;
  bool debug_log_;  // debug records are written (checked once: the level does not change at run time)
  Connection* head_ = nullptr;  // intrusive list: no allocation besides the Connection itself
  std::size_t size_ = 0;
  std::uint64_t next_id_ = 1;
  bool draining_ = false;
  std::function<void()> on_close_;
  metrics::WorkerMeter meter_;
  Recorder* recorder_ = nullptr;
  const tls::ContextHolder* tls_ = nullptr;
};

}  // namespace spoa
