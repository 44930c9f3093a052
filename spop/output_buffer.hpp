// The unsent bytes of one connection: frames are appended at the back, the I/O layer consumes from the
// front. Shared by AgentConnection and HaproxyConnection; not part of the codec.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace spop {

/// A byte queue that does not move memory on every partial write.
///
/// Frames are appended to buffer(); pending() is what is still unsent. Consumed bytes are only
/// reclaimed when everything was written (the common case: no copy at all) or when the consumed
/// front grows large, so a slow reader costs one memmove per 4 KiB or more, not one per write.
/// Capacity is kept: no allocation in steady state.
class OutputBuffer {
 public:
  /// Where to append frames. The reference stays valid as long as the OutputBuffer lives.
  std::vector<std::byte>& buffer() noexcept { return bytes_; }

  /// Unsent bytes; valid until the next non-const call.
  std::span<const std::byte> pending() const noexcept {
    return std::span<const std::byte>(bytes_).subspan(head_);
  }
  std::size_t size() const noexcept { return bytes_.size() - head_; }
  bool empty() const noexcept { return head_ == bytes_.size(); }

  /// Marks up to `n` bytes as written; returns how many were (never more than size()).
  std::size_t consume(std::size_t n) noexcept {
    if (n > size()) n = size();
    head_ += n;
    if (head_ == bytes_.size()) {
      bytes_.clear();
      head_ = 0;
    } else if (head_ >= reclaim_threshold && head_ * 2 >= bytes_.size()) {
      // Less than half of the buffer is still unsent: moving it is cheaper than growing further.
      bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return n;
  }

  /// Drops every unsent byte.
  void clear() noexcept {
    bytes_.clear();
    head_ = 0;
  }

 private:
  static constexpr std::size_t reclaim_threshold = 4096;
  std::vector<std::byte> bytes_;
  std::size_t head_ = 0;
};

}  // namespace spop
