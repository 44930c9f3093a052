// Builds a NOTIFY frame (HAProxy's side): messages with named, typed arguments, capped at a frame size.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/frame.hpp"
#include "spop/value.hpp"

namespace spop {

/// Appends a NOTIFY frame to a caller-owned vector. Each message is added whole or not at all.
class NotifyBuilder {
 public:
  NotifyBuilder(std::vector<std::byte>& out, std::uint64_t stream_id, std::uint64_t frame_id,
                std::uint32_t max_frame_size, std::uint32_t flags = frame_flags::fin);

  /// Errc::frame_too_big when the message does not fit; Errc::invalid_argument for more than 255 args.
  Errc add_message(std::string_view name, std::span<const Argument> args);
  std::size_t finish() noexcept;  ///< writes LEN, returns the frame size with its prefix
  void cancel() noexcept;
  std::size_t message_count() const noexcept { return messages_; }

 private:
  FrameWriter frame_;
  std::size_t messages_ = 0;
};

}  // namespace spop
