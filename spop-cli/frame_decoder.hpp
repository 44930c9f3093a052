// Strict decoding of a byte stream into FrameModels for `decode`, --trace and error reports. Unlike the
// connection state machine it does not stop at what HAProxy would accept: it says at which byte and why a
// frame is malformed, and keeps going where it can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "spop-cli/frame_model.hpp"

namespace spop_cli {

struct DecodeOptions {
  /// Frames whose LEN is above this are reported as too big (0 = no limit: decode does not know the
  /// bufsize of the HAProxy that sent them).
  std::uint32_t max_frame_size = 0;
  /// Added to every offset, for frames that sit inside a larger stream.
  std::size_t base_offset = 0;
};

/// Decodes one frame body (the LEN bytes after the prefix), whose prefix is at `frame_offset`. Payload
/// problems land in `frame.issue`; the function itself cannot fail.
FrameModel decode_frame_body(std::span<const std::byte> body, std::size_t frame_offset);

/// The frames of a stream and, when the stream does not end on a frame boundary or a LEN is impossible,
/// where and why decoding stopped.
struct StreamDecode {
  std::vector<FrameModel> frames;
  std::optional<DecodeIssue> stream_error;  ///< decoding could not continue past this point
  std::size_t consumed = 0;                 ///< bytes making up whole frames
};

/// Splits `data` into frames and decodes each. Stops at a LEN below 7 or above the limit (there is no
/// way to find the next frame), and at a frame cut short by the end of the input.
StreamDecode decode_stream(std::span<const std::byte> data, const DecodeOptions& options = {});

/// True when any frame has an issue or the stream stopped early.
bool has_errors(const StreamDecode& d) noexcept;

}  // namespace spop_cli
