// The shared fault state of a Redis store (see redis_health.hpp).
#include "agent/state/redis_health.hpp"

#include <algorithm>

namespace spoa {

RedisHealth::RedisHealth(std::chrono::milliseconds first_backoff, std::chrono::milliseconds max_backoff)
    : first_backoff_(first_backoff), max_backoff_(std::max(max_backoff, first_backoff)) {}

RedisHealth::Ticket RedisHealth::admit(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (usable_) return {Ticket::Kind::use, generation_, {}};
  if (!probing_ && now >= next_attempt_) {
    probing_ = true;
    return {Ticket::Kind::probe, generation_, {}};
  }
  ++refused_calls_;
  std::string when;
  if (probing_) {
    when = "reconnecting now";
  } else {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now).count();
    when = "next attempt in " + std::to_string(left + 1) + " ms";  // rounded up: never "in 0 ms"
  }
  return {Ticket::Kind::refused, generation_, "unavailable (" + last_error_ + "; " + when + ")"};
}

std::optional<RedisHealth::Recovery> RedisHealth::succeeded(const Ticket& ticket, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (ticket.kind != Ticket::Kind::probe) return std::nullopt;
  probing_ = false;
  usable_ = true;
  backoff_ = std::chrono::milliseconds{0};
  Recovery r;
  r.lasted = std::chrono::duration_cast<std::chrono::milliseconds>(now - outage_began_);
  r.refused_calls = refused_calls_;
  r.failed_attempts = failed_attempts_;
  return r;
}

RedisHealth::Failure RedisHealth::failed(const Ticket& ticket, const std::string& why, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Failure f;
  if (ticket.kind == Ticket::Kind::probe) {
    probing_ = false;
    ++failed_attempts_;
    backoff_ = std::min(backoff_ * 2, max_backoff_);
  } else if (usable_ && ticket.generation == generation_) {
    usable_ = false;
    ++generation_;  // every connection opened so far is suspect now
    f.began_outage = true;
    outage_began_ = now;
    refused_calls_ = 0;
    failed_attempts_ = 0;
    backoff_ = first_backoff_;
  } else {
    return f;  // already known: an outage under way, or a connection older than the last one
  }
  last_error_ = why;
  next_attempt_ = now + backoff_;
  f.backoff = backoff_;
  return f;
}

std::uint64_t RedisHealth::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

bool RedisHealth::usable() const {
  std::lock_guard lock(mutex_);
  return usable_;
}

}  // namespace spoa
