// One direction of a TCP connection put back in order from captured segments, by sequence number:
// retransmitted and overlapping bytes are delivered once, early segments wait for the missing ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace spop::capture {

class TcpReassembler {
 public:
  /// A SYN: the first data byte has sequence number seq + 1.
  void on_syn(std::uint32_t seq) noexcept;

  /// A segment with `payload` starting at sequence number `seq`. Bytes that follow what was delivered
  /// so far, including any waiting segments they join up with, are appended to `delivered`. Without a
  /// SYN (a capture started mid-connection) the first segment seen starts the stream.
  void on_segment(std::uint32_t seq, std::span<const std::byte> payload, std::vector<std::byte>& delivered);

  /// Bytes delivered so far (the stream offset of the next byte).
  std::uint64_t offset() const noexcept { return offset_; }
  /// Bytes received beyond a hole that was never filled; 0 when nothing is waiting.
  std::size_t waiting_bytes() const noexcept;
  /// How many bytes are missing before the first waiting segment (0 when nothing is waiting).
  std::size_t hole_size() const noexcept;

 private:
  void drain(std::vector<std::byte>& delivered);

  std::optional<std::uint32_t> next_seq_;  // sequence number of the next byte to deliver
  std::uint64_t offset_ = 0;
  std::map<std::uint64_t, std::vector<std::byte>> waiting_;  // by stream offset
};

}  // namespace spop::capture
