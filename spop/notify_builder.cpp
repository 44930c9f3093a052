#include "spop/notify_builder.hpp"

namespace spop {

NotifyBuilder::NotifyBuilder(std::vector<std::byte>& out, std::uint64_t stream_id, std::uint64_t frame_id,
                             std::uint32_t max_frame_size, std::uint32_t flags)
    : frame_(out, FrameHeader{FrameType::notify, flags, stream_id, frame_id}, max_frame_size) {}

Errc NotifyBuilder::add_message(std::string_view name, std::span<const Argument> args) {
  if (frame_.status() != Errc::ok) return frame_.status();
  if (args.size() > 255) return Errc::invalid_argument;
  WireWriter& w = frame_.payload();
  std::size_t need = WireWriter::raw_string_size(name) + 1;
  for (const Argument& a : args) need += WireWriter::raw_string_size(a.name) + WireWriter::value_size(a.value);
  if (w.room() < need) return Errc::frame_too_big;
  w.put_raw_string(name);
  w.put_u8(static_cast<std::uint8_t>(args.size()));
  for (const Argument& a : args) {
    w.put_raw_string(a.name);
    w.put_value(a.value);
  }
  ++messages_;
  return Errc::ok;
}

std::size_t NotifyBuilder::finish() noexcept { return frame_.finish(); }

void NotifyBuilder::cancel() noexcept { frame_.cancel(); }

}  // namespace spop
