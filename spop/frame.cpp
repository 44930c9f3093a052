#include "spop/frame.hpp"

namespace spop {

namespace {

std::uint32_t load_be32(const std::byte* p) noexcept {
  return std::to_integer<std::uint32_t>(p[0]) << 24 | std::to_integer<std::uint32_t>(p[1]) << 16 |
         std::to_integer<std::uint32_t>(p[2]) << 8 | std::to_integer<std::uint32_t>(p[3]);
}

}  // namespace

Errc peek_frame_length(std::span<const std::byte> data, std::uint32_t& length) noexcept {
  if (data.size() < frame_length_prefix) return Errc::need_more;
  length = load_be32(data.data());
  return Errc::ok;
}

Errc check_frame_length(std::uint32_t length, std::uint32_t max_frame_size) noexcept {
  if (length < min_frame_length) return Errc::frame_too_small;
  if (length > max_frame_size) return Errc::frame_too_big;
  return Errc::ok;
}

Errc decode_frame(std::span<const std::byte> body, Frame& frame) noexcept {
  // The common case first: both ids below 240, so one byte each.
  if (body.size() >= min_frame_length) {
    const auto sid = std::to_integer<std::uint8_t>(body[5]);
    const auto fid = std::to_integer<std::uint8_t>(body[6]);
    if (sid < 240 && fid < 240) {
      frame.header = FrameHeader{static_cast<FrameType>(body[0]), load_be32(body.data() + 1), sid, fid};
      frame.payload = body.subspan(min_frame_length);
      frame.length = body.size();
      return Errc::ok;
    }
  }
  WireReader r(body);
  std::uint8_t type = 0;
  std::uint32_t flags = 0;
  std::uint64_t sid = 0;
  std::uint64_t fid = 0;
  if (Errc e = r.read_u8(type); e != Errc::ok) return e;
  if (Errc e = r.read_u32(flags); e != Errc::ok) return e;
  if (Errc e = r.read_varint(sid); e != Errc::ok) return e;
  if (Errc e = r.read_varint(fid); e != Errc::ok) return e;
  frame.header = FrameHeader{static_cast<FrameType>(type), flags, sid, fid};
  frame.payload = r.rest();
  frame.length = body.size();
  return Errc::ok;
}

Errc split_frame(std::span<const std::byte> data, std::uint32_t max_frame_size, Frame& frame,
                 std::size_t& consumed) noexcept {
  std::uint32_t length = 0;
  if (Errc e = peek_frame_length(data, length); e != Errc::ok) return e;
  if (Errc e = check_frame_length(length, max_frame_size); e != Errc::ok) return e;
  if (data.size() - frame_length_prefix < length) return Errc::need_more;
  if (Errc e = decode_frame(data.subspan(frame_length_prefix, length), frame); e != Errc::ok) return e;
  consumed = frame_length_prefix + length;
  return Errc::ok;
}

FrameWriter::FrameWriter(std::vector<std::byte>& out, const FrameHeader& header, std::uint32_t max_frame_size)
    : out_(&out), start_(out.size()), writer_(out, out.size() + frame_length_prefix + max_frame_size) {
  writer_.put_u32(0);  // LEN, patched by finish()
  const bool ok = writer_.put_u8(static_cast<std::uint8_t>(header.type)) == Errc::ok &&
                  writer_.put_u32(header.flags) == Errc::ok &&
                  writer_.put_varint(header.stream_id) == Errc::ok &&
                  writer_.put_varint(header.frame_id) == Errc::ok;
  if (!ok) {
    out_->resize(start_);
    status_ = Errc::frame_too_big;
  }
}

std::size_t FrameWriter::length() const noexcept {
  return out_->size() - start_ - frame_length_prefix;
}

std::size_t FrameWriter::finish() noexcept {
  if (status_ != Errc::ok) return 0;
  const auto len = static_cast<std::uint32_t>(length());
  for (std::size_t i = 0; i < 4; ++i) {
    (*out_)[start_ + i] = static_cast<std::byte>((len >> (24 - 8 * i)) & 0xFF);
  }
  return frame_length_prefix + len;
}

void FrameWriter::cancel() noexcept { out_->resize(start_); }

}  // namespace spop
