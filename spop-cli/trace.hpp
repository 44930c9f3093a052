// --trace: every frame of both directions, as it crosses the socket, printed with a one-line summary
// and a hex dump. Bytes are cut into frames here, so partial reads and writes do not matter.
#pragma once

#include <chrono>
#include <ostream>
#include <span>
#include <vector>

#include "spop-cli/frame_model.hpp"
#include "spop-cli/frame_stream.hpp"

namespace spop_cli {

class Tracer {
 public:
  /// Writes to `os` (stderr in the tool). Times are shown relative to construction.
  explicit Tracer(std::ostream& os);

  void sent(std::span<const std::byte> bytes) { record(true, bytes); }
  void received(std::span<const std::byte> bytes) { record(false, bytes); }

 private:
  void record(bool outgoing, std::span<const std::byte> bytes);

  std::ostream& os_;
  std::chrono::steady_clock::time_point start_;
  FrameStream out_;
  FrameStream in_;
  std::vector<std::byte> raw_out_;  // bytes of frames not complete yet, for the dump
  std::vector<std::byte> raw_in_;
  std::vector<FrameModel> frames_;
};

}  // namespace spop_cli
