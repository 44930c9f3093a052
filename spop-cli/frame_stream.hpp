// Cutting one direction of a byte stream into decoded frames as bytes arrive in arbitrary pieces
// (TCP segments of a capture, reads of --trace). Offsets in the frames are stream offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "spop-cli/frame_model.hpp"

namespace spop_cli {

class FrameStream {
 public:
  /// `max_frame_size` 0 = no limit (see DecodeOptions).
  explicit FrameStream(std::uint32_t max_frame_size = 0) : max_frame_size_(max_frame_size) {}

  /// Appends bytes and moves every frame completed by them into `out`, decoded. After a LEN that cannot
  /// be right (below 7, above the limit) the stream cannot be followed any further: error() says where
  /// and why, and later bytes are ignored.
  void append(std::span<const std::byte> data, std::vector<FrameModel>& out);

  const std::optional<DecodeIssue>& error() const noexcept { return error_; }
  /// Bytes of a frame not complete yet.
  std::size_t buffered() const noexcept { return buffer_.size(); }
  /// Stream offset of the first buffered byte (= bytes taken by whole frames so far).
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::uint32_t max_frame_size_;
  std::vector<std::byte> buffer_;
  std::size_t offset_ = 0;
  std::optional<DecodeIssue> error_;
};

}  // namespace spop_cli
