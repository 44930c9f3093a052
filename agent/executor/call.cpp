// Call: preparing a NOTIFY for the executors and publishing its ACK's progress (see call.hpp).
#include "agent/executor/call.hpp"

#include <algorithm>
#include <cstring>

#include "agent/executor/call_scheduler.hpp"
#include "agent/executor/executor_lane.hpp"
#include "agent/logging.hpp"
#include "spop/frame.hpp"

namespace spoa::exec {

void Call::prepare(std::uint64_t connection_id, std::uint64_t stream, std::uint64_t frame,
                   const spop::NotifyView& view, std::uint32_t frame_size) {
  connection = connection_id;
  stream_id = stream;
  frame_id = frame;
  const auto bytes = view.payload();
  payload_.resize(bytes.size());  // capacity is kept between calls: no allocation in steady state
  if (!bytes.empty()) std::memcpy(payload_.data(), bytes.data(), bytes.size());
  messages = view.over_copy(payload_);
  cursor = messages.begin();
  ack_.clear();
  ack_.reserve(spop::frame_length_prefix + frame_size);
  builder.emplace(ack_, stream, frame, frame_size);
  builder->observe_actions(&Call::on_action, this);
  ack_base_ = ack_.data();
  published_.store(builder->frame_length() + spop::frame_length_prefix, std::memory_order_relaxed);
  actions_.store(0, std::memory_order_relaxed);
  state.store(CallState::queued, std::memory_order_relaxed);
  message_started.store(0, std::memory_order_relaxed);
  cancelled.store(false, std::memory_order_relaxed);
  pending.cancel = nullptr;
  pending.cancel_context = nullptr;
}

void Call::on_action(void* self, std::size_t frame_end) noexcept {
  auto* call = static_cast<Call*>(self);
  call->actions_.fetch_add(1, std::memory_order_relaxed);
  call->published_.store(frame_end, std::memory_order_release);
}

boost::asio::io_context* Call::Pending::thread_loop() noexcept {
  return call->executor != nullptr ? &call->executor->context(call->thread) : nullptr;
}

void Call::Pending::in_context(void (*fn)(void*), void* arg) {
  LogScope scope(LogContext::of_frame(call->connection, call->stream_id, call->frame_id, call->cursor->name()));
  fn(arg);
}

void Call::reset() noexcept {
  builder.reset();
  ack_.clear();
  owner = nullptr;
  scripts = nullptr;
  next = nullptr;
}

}  // namespace spoa::exec
