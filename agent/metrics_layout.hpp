// The counters of --metrics-address as they lie in the shared memory segment mapped before fork.
//
// Each worker slot is written by one process only (the worker of that slot; a restarted worker takes
// over its predecessor's counters, so totals never go back), and read by the supervisor when Prometheus
// scrapes. Every field is a lock-free atomic updated with relaxed ordering: no lock, no allocation and
// no contention between workers on the per-frame path. A message entry is published by storing its
// name first and then `message_count` with release ordering; the reader loads the count with acquire.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "agent/engines/state_counters.hpp"

namespace spoa::metrics {

/// Upper bounds (seconds) of the handler latency histogram; one more bucket holds +Inf.
inline constexpr std::array<double, 14> latency_bounds{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                       0.01,    0.025,  0.05,    0.1,    0.25,   0.5,    1.0};
/// The same bounds in nanoseconds, for the hot path (integer comparisons only).
inline constexpr std::array<std::uint64_t, 14> latency_bounds_ns{50'000,     100'000,    250'000,    500'000,
                                                                 1'000'000,  2'500'000,  5'000'000,  10'000'000,
                                                                 25'000'000, 50'000'000, 100'000'000, 250'000'000,
                                                                 500'000'000, 1'000'000'000};
inline constexpr std::size_t latency_buckets = latency_bounds.size() + 1;

/// Why a handler call failed (CallResult::Kind minus ok).
enum class Failure : std::uint8_t { script_error, timeout, out_of_memory, cancelled };
inline constexpr std::size_t failure_kinds = 4;

/// Received frame types as counted by spop::AgentConnectionStats::frames_in_by_type.
inline constexpr std::array<const char*, 5> frame_in_names{"unset", "haproxy-hello", "haproxy-disconnect", "notify",
                                                          "other"};
/// Sent frame types.
enum class FrameOut : std::uint8_t { agent_hello, agent_disconnect, ack };
inline constexpr std::array<const char*, 3> frame_out_names{"agent-hello", "agent-disconnect", "ack"};

/// DISCONNECT status codes get one slot each for 0..13 and 99; anything else shares the last one.
inline constexpr std::size_t status_slots = 16;
constexpr std::size_t status_slot(std::uint32_t code) noexcept {
  return code <= 13 ? code : code == 99 ? 14 : 15;
}
/// Who sent the DISCONNECT.
enum class By : std::uint8_t { agent, haproxy };

/// Longest message name kept (longer names are cut; SPOE names are short identifiers).
inline constexpr std::size_t max_name = 119;
/// Message names tracked per worker; once full, further names share the entry named `overflow_name`.
inline constexpr std::size_t max_messages = 128;
inline constexpr const char* overflow_name = "_other";

using Counter = std::atomic<std::uint64_t>;
static_assert(Counter::is_always_lock_free, "counters live in shared memory: they must be lock-free");

/// Per message name: calls, failures and the latency histogram.
struct MessageCounters {
  Counter calls{0};
  std::array<Counter, failure_kinds> failures{};
  std::array<Counter, latency_buckets> buckets{};  ///< not cumulative: one bucket per call
  Counter duration_ns{0};
  std::uint8_t name_length = 0;
  std::array<char, max_name> name{};
};

/// Everything one worker slot counts.
struct WorkerCounters {
  std::atomic<std::int64_t> connections{0};  ///< open now (the supervisor zeroes it when the worker dies)
  Counter connections_total{0};
  std::array<Counter, frame_in_names.size()> frames_in{};
  std::array<Counter, frame_out_names.size()> frames_out{};
  std::array<std::array<Counter, status_slots>, 2> disconnects{};  ///< [By][status_slot]
  Counter notifies{0};
  Counter unhandled_messages{0};  ///< messages no script registered
  Counter reloads_ok{0};
  Counter reloads_failed{0};
  /// Calls in progress (gauges, refreshed by the worker every tick): waiting for an executor thread,
  /// and running on one (a call answered at its budget but still in its handler counts as running).
  std::atomic<std::int64_t> calls_queued{0};
  std::atomic<std::int64_t> calls_running{0};
  /// How long calls waited for an executor thread (NOTIFY received to its first handler starting).
  std::array<Counter, latency_buckets> wait_buckets{};  ///< not cumulative, as MessageCounters::buckets
  Counter wait_ns{0};
  std::atomic<std::uint32_t> message_count{0};
  std::array<MessageCounters, max_messages> messages{};
  StateCounters state;  ///< spoa.state_* calls of this worker (its copy of the store counts here)
};

/// Counters of the supervisor itself.
struct SupervisorCounters {
  Counter worker_restarts{0};
  std::atomic<std::int64_t> workers_running{0};
};

}  // namespace spoa::metrics
