// What a worker records into its metrics slot: inline, relaxed atomic adds on the per-frame path,
// and nothing at all when --metrics-address is off (a null slot).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "agent/engines/engine.hpp"
#include "agent/metrics_layout.hpp"
#include "spop/agent_connection.hpp"

namespace spoa::metrics {

/// A handle on one worker's counters; a default-constructed meter records nothing.
class WorkerMeter {
 public:
  /// The tag of a message that has no entry (metrics off).
  static constexpr std::uint32_t no_slot = 0xFFFFFFFF;

  WorkerMeter() = default;
  explicit WorkerMeter(WorkerCounters* counters) noexcept : c_(counters) {}

  bool on() const noexcept { return c_ != nullptr; }

  void connection_opened() noexcept {
    if (c_ == nullptr) return;
    c_->connections.fetch_add(1, std::memory_order_relaxed);
    c_->connections_total.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_closed() noexcept {
    if (c_ != nullptr) c_->connections.fetch_sub(1, std::memory_order_relaxed);
  }

  /// Adds what `now` counted since `reported`, then remembers `now` (called once per batch of frames).
  void frames(const spop::AgentConnectionStats& now, spop::AgentConnectionStats& reported) noexcept;

  void disconnect(By by, std::uint32_t status) noexcept {
    if (c_ == nullptr) return;
    c_->disconnects[static_cast<std::size_t>(by)][status_slot(status)].fetch_add(1, std::memory_order_relaxed);
  }
  void unhandled_message() noexcept {
    if (c_ != nullptr) c_->unhandled_messages.fetch_add(1, std::memory_order_relaxed);
  }

  /// One handler call of the message whose entry is `slot` (from slot_for()).
  void call(std::uint32_t slot, std::chrono::nanoseconds took, CallResult::Kind kind) noexcept;

  /// One call's wait for an executor thread (from any thread).
  void call_wait(std::chrono::nanoseconds waited) noexcept;
  /// The worker's calls in progress now.
  void calls_in_progress(std::int64_t queued, std::int64_t running) noexcept {
    if (c_ == nullptr) return;
    c_->calls_queued.store(queued, std::memory_order_relaxed);
    c_->calls_running.store(running, std::memory_order_relaxed);
  }

  void reload(bool ok) noexcept {
    if (c_ != nullptr) (ok ? c_->reloads_ok : c_->reloads_failed).fetch_add(1, std::memory_order_relaxed);
  }

  /// The entry of message `name`: the existing one (a restarted worker or a reload reuses it), else a
  /// new one, else the shared overflow entry. no_slot when off. Not for the per-frame path.
  std::uint32_t slot_for(std::string_view name) noexcept;

 private:
  WorkerCounters* c_ = nullptr;
};

}  // namespace spoa::metrics
