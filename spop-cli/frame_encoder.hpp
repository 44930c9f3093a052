// FrameModel -> wire bytes, for `encode` and for tests: the same model decode produces, so a decoded
// frame (even a malformed one, through its trailing bytes) encodes back to the bytes it came from.
#pragma once

#include <cstddef>
#include <vector>

#include "spop-cli/frame_model.hpp"

namespace spop_cli {

/// Appends the frame (LEN prefix included) to `out`. LEN is computed; `frame.length` and the offsets
/// are ignored. Values are written with their recorded type byte when there is one, so flag quirks
/// (a STRING byte with flag bits, BOOL 0x31) survive a round trip. Never fails: there is no size limit
/// here, callers check the result against a frame size if they need to.
void encode_frame(const FrameModel& frame, std::vector<std::byte>& out);

}  // namespace spop_cli
