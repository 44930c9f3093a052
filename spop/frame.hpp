// Frame layer: LEN prefix, header (type, flags, stream-id, frame-id), splitting and writing whole frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "spop/errc.hpp"
#include "spop/types.hpp"
#include "spop/wire.hpp"

namespace spop {

struct FrameHeader {
  FrameType type = FrameType::unset;
  std::uint32_t flags = frame_flags::fin;
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;

  bool fin() const noexcept { return (flags & frame_flags::fin) != 0; }
  bool abort() const noexcept { return (flags & frame_flags::abort) != 0; }
};

/// One decoded frame; `payload` points into the caller's bytes.
struct Frame {
  FrameHeader header;
  std::span<const std::byte> payload;
  std::size_t length = 0;  ///< LEN (header + payload), without the 4-byte prefix
};

/// Reads LEN from the first 4 bytes. Errc::need_more with fewer than 4 bytes.
Errc peek_frame_length(std::span<const std::byte> data, std::uint32_t& length) noexcept;

/// Checks LEN against [7, max_frame_size]: Errc::frame_too_small, Errc::frame_too_big, or ok.
Errc check_frame_length(std::uint32_t length, std::uint32_t max_frame_size) noexcept;

/// Takes one whole frame off the front of `data`: LEN is checked first (so an oversized frame is refused
/// before it is buffered), then Errc::need_more until LEN bytes are there, then the header is decoded.
/// On success `consumed` = 4 + LEN. Errors: need_more, frame_too_small, frame_too_big, truncated
/// (the header does not fit in LEN), varint_too_long.
Errc split_frame(std::span<const std::byte> data, std::uint32_t max_frame_size, Frame& frame,
                 std::size_t& consumed) noexcept;

/// Decodes the header of a frame body (the LEN bytes after the prefix).
Errc decode_frame(std::span<const std::byte> body, Frame& frame) noexcept;

/// Writes one frame at the end of a vector: prefix and header first, payload through payload(),
/// then finish() back-patches LEN. LEN never exceeds `max_frame_size`: payload writes that would
/// cross it fail with Errc::frame_too_big and leave the frame as it was.
class FrameWriter {
 public:
  FrameWriter(std::vector<std::byte>& out, const FrameHeader& header, std::uint32_t max_frame_size);
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  /// Errc::frame_too_big if even the header does not fit (max_frame_size below 7 + ids).
  Errc status() const noexcept { return status_; }
  WireWriter& payload() noexcept { return writer_; }
  /// Writes LEN; returns the whole frame's size (prefix included).
  std::size_t finish() noexcept;
  /// Removes the frame from the vector.
  void cancel() noexcept;
  std::size_t length() const noexcept;  ///< current LEN

 private:
  std::vector<std::byte>* out_;
  std::size_t start_;
  WireWriter writer_;
  Errc status_ = Errc::ok;
};

}  // namespace spop
