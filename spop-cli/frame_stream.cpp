#include "spop-cli/frame_stream.hpp"

#include "spop-cli/frame_decoder.hpp"
#include "spop/frame.hpp"

namespace spop_cli {

void FrameStream::append(std::span<const std::byte> data, std::vector<FrameModel>& out) {
  if (error_) return;
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  std::size_t pos = 0;
  while (true) {
    const auto rest = std::span<const std::byte>(buffer_).subspan(pos);
    std::uint32_t len = 0;
    if (spop::peek_frame_length(rest, len) != spop::Errc::ok) break;
    const std::size_t at = offset_ + pos;
    if (len < spop::min_frame_length || (max_frame_size_ != 0 && len > max_frame_size_)) {
      error_ = DecodeIssue{at, "frame length " + std::to_string(len) +
                                   (len < spop::min_frame_length
                                        ? " is below the minimum of 7"
                                        : " is above the maximum frame size " + std::to_string(max_frame_size_)) +
                                   ": the rest of this direction cannot be decoded"};
      break;
    }
    if (rest.size() - spop::frame_length_prefix < len) break;
    out.push_back(decode_frame_body(rest.subspan(spop::frame_length_prefix, len), at));
    pos += spop::frame_length_prefix + len;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos));
  offset_ += pos;
}

}  // namespace spop_cli
