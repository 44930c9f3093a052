// The non-inline parts of WorkerMeter (see metrics_meter.hpp).
#include "agent/metrics_meter.hpp"

#include <algorithm>
#include <cstring>

namespace spoa::metrics {

namespace {

void add(Counter& c, std::uint64_t now, std::uint64_t before) noexcept {
  if (now != before) c.fetch_add(now - before, std::memory_order_relaxed);
}

std::size_t latency_bucket(std::uint64_t ns) noexcept {
  std::size_t bucket = 0;
  while (bucket < latency_bounds_ns.size() && ns > latency_bounds_ns[bucket]) ++bucket;
  return bucket;
}

std::string_view name_of(const MessageCounters& m) noexcept { return {m.name.data(), m.name_length}; }

std::size_t failure_index(CallResult::Kind kind) noexcept {
  switch (kind) {
    case CallResult::Kind::timeout: return static_cast<std::size_t>(Failure::timeout);
    case CallResult::Kind::out_of_memory: return static_cast<std::size_t>(Failure::out_of_memory);
    case CallResult::Kind::cancelled: return static_cast<std::size_t>(Failure::cancelled);
    default: return static_cast<std::size_t>(Failure::script_error);
  }
}

}  // namespace

void WorkerMeter::frames(const spop::AgentConnectionStats& now, spop::AgentConnectionStats& reported) noexcept {
  if (c_ == nullptr) return;
  for (std::size_t i = 0; i < now.frames_in_by_type.size(); ++i) {
    add(c_->frames_in[i], now.frames_in_by_type[i], reported.frames_in_by_type[i]);
  }
  add(c_->frames_out[static_cast<std::size_t>(FrameOut::agent_hello)], now.agent_hellos, reported.agent_hellos);
  add(c_->frames_out[static_cast<std::size_t>(FrameOut::agent_disconnect)], now.agent_disconnects,
      reported.agent_disconnects);
  add(c_->frames_out[static_cast<std::size_t>(FrameOut::ack)], now.acks, reported.acks);
  add(c_->notifies, now.notifies, reported.notifies);
  reported = now;
}

void WorkerMeter::call(std::uint32_t slot, std::chrono::nanoseconds took, CallResult::Kind kind) noexcept {
  if (c_ == nullptr || slot >= max_messages) return;
  MessageCounters& m = c_->messages[slot];
  m.calls.fetch_add(1, std::memory_order_relaxed);
  if (kind != CallResult::Kind::ok) m.failures[failure_index(kind)].fetch_add(1, std::memory_order_relaxed);
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(took.count(), 0));
  m.buckets[latency_bucket(ns)].fetch_add(1, std::memory_order_relaxed);
  m.duration_ns.fetch_add(ns, std::memory_order_relaxed);
}

void WorkerMeter::call_wait(std::chrono::nanoseconds waited) noexcept {
  if (c_ == nullptr) return;
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(waited.count(), 0));
  c_->wait_buckets[latency_bucket(ns)].fetch_add(1, std::memory_order_relaxed);
  c_->wait_ns.fetch_add(ns, std::memory_order_relaxed);
}

std::uint32_t WorkerMeter::slot_for(std::string_view name) noexcept {
  if (c_ == nullptr) return no_slot;
  name = name.substr(0, max_name);
  // Only this process writes this slot, so reading the count relaxed and publishing with release
  // is enough: the supervisor, the only other reader, sees a name before the count that covers it.
  const std::uint32_t count = c_->message_count.load(std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (name_of(c_->messages[i]) == name) return i;
  }
  const bool full = count >= max_messages - 1;  // the last entry is kept for the overflow
  const std::string_view entry_name = full ? std::string_view(overflow_name) : name;
  if (full) {
    for (std::uint32_t i = 0; i < count; ++i) {
      if (name_of(c_->messages[i]) == entry_name) return i;
    }
  }
  MessageCounters& m = c_->messages[count];
  std::memcpy(m.name.data(), entry_name.data(), entry_name.size());
  m.name_length = static_cast<std::uint8_t>(entry_name.size());
  c_->message_count.store(count + 1, std::memory_order_release);
  return count;
}

}  // namespace spoa::metrics
