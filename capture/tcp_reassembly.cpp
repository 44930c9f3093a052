#include "capture/tcp_reassembly.hpp"

namespace spop::capture {

void TcpReassembler::on_syn(std::uint32_t seq) noexcept {
  // A repeated SYN (retransmitted) changes nothing once data flowed.
  if (offset_ == 0 && waiting_.empty()) next_seq_ = seq + 1;
}

void TcpReassembler::on_segment(std::uint32_t seq, std::span<const std::byte> payload,
                                std::vector<std::byte>& delivered) {
  if (payload.empty()) return;
  if (!next_seq_) next_seq_ = seq;
  // Signed 32-bit distance from the next expected byte: sequence numbers wrap around.
  const auto distance = static_cast<std::int32_t>(seq - *next_seq_);
  if (distance < 0) {
    // Starts with bytes already delivered (a retransmission or an overlap): keep only the new part.
    const auto old = static_cast<std::size_t>(-static_cast<std::int64_t>(distance));
    if (old >= payload.size()) return;
    payload = payload.subspan(old);
  }
  const std::uint64_t at = offset_ + (distance > 0 ? static_cast<std::uint64_t>(distance) : 0);
  auto& slot = waiting_[at];
  if (payload.size() > slot.size()) slot.assign(payload.begin(), payload.end());  // keep the longest copy
  drain(delivered);
}

void TcpReassembler::drain(std::vector<std::byte>& delivered) {
  while (!waiting_.empty() && waiting_.begin()->first <= offset_) {
    auto node = waiting_.extract(waiting_.begin());
    const std::uint64_t start = node.key();
    const auto& bytes = node.mapped();
    const std::uint64_t skip = offset_ - start;  // overlap with what was already delivered
    if (skip < bytes.size()) {
      delivered.insert(delivered.end(), bytes.begin() + static_cast<std::ptrdiff_t>(skip), bytes.end());
      const std::size_t added = bytes.size() - static_cast<std::size_t>(skip);
      offset_ += added;
      *next_seq_ += static_cast<std::uint32_t>(added);
    }
  }
}

std::size_t TcpReassembler::waiting_bytes() const noexcept {
  std::size_t n = 0;
  for (const auto& [at, bytes] : waiting_) n += bytes.size();
  return n;
}

std::size_t TcpReassembler::hole_size() const noexcept {
  if (waiting_.empty()) return 0;
  return static_cast<std::size_t>(waiting_.begin()->first - offset_);
}

}  // namespace spop::capture
