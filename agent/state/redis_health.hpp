// The fault state that the threads of one process share for one Redis store: is the server usable, how
// long to wait after a failure, and who may try to reconnect. An outage thus costs one log line when it
// begins and one when it ends, calls fail at once in between, and at most one reconnection attempt is in
// flight at any time (never a storm, whatever the number of threads).
//
// No I/O and no clock: the caller passes the time, so that an asynchronous client can drive it as well
// and tests can walk through an outage step by step. Thread-safe (one mutex, held only to update).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace spoa {

class RedisHealth {
 public:
  using Clock = std::chrono::steady_clock;

  /// After a failure, wait `first_backoff`, then double the wait after each failed attempt, up to `max_backoff`.
  RedisHealth(std::chrono::milliseconds first_backoff, std::chrono::milliseconds max_backoff);

  /// What a caller may do now.
  struct Ticket {
    enum class Kind : std::uint8_t {
      use,      ///< the server is believed usable: use a connection of `generation` (or open one)
      probe,    ///< in an outage, and this caller is the one that tries to reconnect now
      refused,  ///< in an outage: fail at once with `refusal`, without touching the network
    };
    Kind kind = Kind::use;
    std::uint64_t generation = 0;  ///< connections opened before an outage belong to an older generation
    std::string refusal;           ///< "unavailable (<last error>; next attempt in 80 ms)"
  };
  Ticket admit(Clock::time_point now);

  /// An outage that a success has just ended, for the recovery log line.
  struct Recovery {
    std::chrono::milliseconds lasted{0};
    std::uint64_t refused_calls = 0;   ///< calls that failed at once meanwhile
    std::uint64_t failed_attempts = 0; ///< reconnection attempts that failed meanwhile
  };
  /// After a call made with `ticket` succeeded. Returns the outage it ends, if it ends one.
  std::optional<Recovery> succeeded(const Ticket& ticket, Clock::time_point now);

  /// What a failure means.
  struct Failure {
    bool began_outage = false;          ///< the first failure of an outage (log it; count it)
    std::chrono::milliseconds backoff{0};  ///< the wait before the next attempt
  };
  /// After a call made with `ticket` failed because of the server (not a refused argument). A failure of
  /// a connection from before the current outage began changes nothing.
  Failure failed(const Ticket& ticket, const std::string& why, Clock::time_point now);

  /// The generation of connections opened now.
  std::uint64_t generation() const;
  /// False during an outage.
  bool usable() const;

 private:
  const std::chrono::milliseconds first_backoff_;
  const std::chrono::milliseconds max_backoff_;
  mutable std::mutex mutex_;
  bool usable_ = true;  // optimistic at first: every thread may open its first connection
  bool probing_ = false;
  std::uint64_t generation_ = 0;
  std::chrono::milliseconds backoff_{0};
  Clock::time_point next_attempt_{};
  Clock::time_point outage_began_{};
  std::string last_error_;
  std::uint64_t refused_calls_ = 0;
  std::uint64_t failed_attempts_ = 0;
};

}  // namespace spoa
