// What a shared store counts for --metrics-address: its operations, why calls failed, and (Redis) its
// connection events. Plain lock-free atomics, so that the counters can live in the metrics segment that
// the supervisor maps before it forks (agent/metrics_layout.hpp), and be bumped from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace spoa {

/// The four operations of the script API.
enum class StateOp : std::uint8_t { get, set, incr, del };
inline constexpr std::array<const char*, 4> state_op_names{"get", "set", "incr", "del"};

/// Why a store call failed.
enum class StateErrc : std::uint8_t {
  bad_key,       ///< empty or longer than state_limits::max_key
  bad_value,     ///< text/bytes longer than state_limits::max_value
  bad_ttl,       ///< negative or above state_limits::max_ttl
  not_integer,   ///< incr on a text/bytes value
  overflow,      ///< incr would leave the int64 range
  full,          ///< embedded store: no free entry left (after dropping the expired ones)
  unavailable,   ///< Redis: not connected, connection lost, refused, or an unexpected reply
  timeout,       ///< Redis: no answer within --state-timeout (the connection is dropped)
};
inline constexpr std::array<const char*, 8> state_errc_names{"bad_key",  "bad_value",   "bad_ttl", "not_integer",
                                                             "overflow", "full", "unavailable", "timeout"};

struct StateCounters {
  using Counter = std::atomic<std::uint64_t>;
  std::array<Counter, state_op_names.size()> calls{};     ///< by StateOp, failed ones included
  std::array<Counter, state_errc_names.size()> errors{};  ///< failed calls, by StateErrc
  Counter outages{0};           ///< times the store became unavailable (one per outage, not per call)
  Counter connects{0};          ///< connections opened (Redis; a Sentinel query counts its master connection)
  Counter connect_failures{0};  ///< attempts to open one that failed
  Counter failovers{0};         ///< times Sentinel named a different master than the one in use
  std::atomic<std::int64_t> unavailable{0};  ///< 1 while this process's store is in an outage
};
static_assert(StateCounters::Counter::is_always_lock_free);

/// Adds one (relaxed: counters are read only by the metrics scrape).
inline void add_one(StateCounters::Counter& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }

}  // namespace spoa
