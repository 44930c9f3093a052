#include "recording/writer.hpp"

#include <cstring>

#include "recording/byte_order.hpp"
#include "recording/crc32c.hpp"
#include "spop/frame.hpp"
#include "spop/types.hpp"
#include "spop/varint.hpp"

namespace spop::recording {

using detail::load_be;
using detail::store_be;

void append_file_header(std::vector<std::byte>& out, const FileHeader& header) {
  const std::size_t at = out.size();
  out.resize(at + file_header_size);
  std::byte* p = out.data() + at;
  std::memcpy(p, magic.data(), magic.size());
  store_be<std::uint16_t>(p + 8, format_version);
  store_be<std::uint16_t>(p + 10, static_cast<std::uint16_t>(file_header_size));
  store_be<std::uint32_t>(p + 12, header.flags);
  store_be<std::uint64_t>(p + 16, header.key_id);
  store_be<std::int64_t>(p + 24, header.created_ns);
}

namespace {

// The 40-byte record header of a record of `size` bytes at `p`; returns where the frames go.
std::byte* put_record_header(std::byte* p, const RecordMeta& meta, std::size_t size, bool with_ack) noexcept {
  store_be<std::uint32_t>(p, static_cast<std::uint32_t>(size));
  store_be<std::uint32_t>(p + record_crc_offset, 0);
  p[8] = static_cast<std::byte>(with_ack ? RecordKind::exchange : RecordKind::notify_only);
  p[9] = p[10] = p[11] = std::byte{0};
  store_be<std::uint32_t>(p + 12, meta.source);
  store_be<std::uint64_t>(p + 16, meta.connection);
  store_be<std::int64_t>(p + 24, meta.notify_ns);
  store_be<std::int64_t>(p + 32, with_ack ? meta.ack_ns : 0);
  return p + record_header_size;
}

// Frame header after LEN: type, flags, stream-id, frame-id.
std::size_t notify_header_size(const NotifyParts& n) noexcept {
  return 1 + 4 + spop::varint_size(n.stream_id) + spop::varint_size(n.frame_id);
}

// Room for `size` more bytes at the end of `out`.
std::byte* grow_for_record(std::vector<std::byte>& out, std::size_t size) {
  const std::size_t at = out.size();
  out.resize(at + size);
  return out.data() + at;
}

}  // namespace

void append_record_unsealed(std::vector<std::byte>& out, const RecordMeta& meta, std::span<const std::byte> notify,
                            std::span<const std::byte> ack) {
  put_record_unsealed(grow_for_record(out, record_size(notify, ack)), meta, notify, ack);
}

void put_record_unsealed(std::byte* out, const RecordMeta& meta, std::span<const std::byte> notify,
                         std::span<const std::byte> ack) noexcept {
  std::byte* p = put_record_header(out, meta, record_size(notify, ack), !ack.empty());
  if (!notify.empty()) std::memcpy(p, notify.data(), notify.size());
  if (!ack.empty()) std::memcpy(p + notify.size(), ack.data(), ack.size());
}

std::size_t notify_frame_size(const NotifyParts& notify) noexcept {
  return spop::frame_length_prefix + notify_header_size(notify) + notify.payload.size();
}

void append_record_unsealed(std::vector<std::byte>& out, const RecordMeta& meta, const NotifyParts& notify,
                            std::span<const std::byte> ack) {
  put_record_unsealed(grow_for_record(out, record_size(notify, ack)), meta, notify, ack);
}

void put_record_unsealed(std::byte* out, const RecordMeta& meta, const NotifyParts& notify,
                         std::span<const std::byte> ack) noexcept {
  std::byte* p = put_record_header(out, meta, record_size(notify, ack), !ack.empty());
  store_be<std::uint32_t>(p, static_cast<std::uint32_t>(notify_header_size(notify) + notify.payload.size()));
  p += spop::frame_length_prefix;
  *p++ = static_cast<std::byte>(spop::FrameType::notify);
  store_be<std::uint32_t>(p, spop::frame_flags::fin);
  p += 4;
  p += spop::encode_varint(notify.stream_id, p);
  p += spop::encode_varint(notify.frame_id, p);
  if (!notify.payload.empty()) std::memcpy(p, notify.payload.data(), notify.payload.size());
  p += notify.payload.size();
  if (!ack.empty()) std::memcpy(p, ack.data(), ack.size());
}

void append_record(std::vector<std::byte>& out, const RecordMeta& meta, std::span<const std::byte> notify,
                   std::span<const std::byte> ack) {
  const std::size_t at = out.size();
  append_record_unsealed(out, meta, notify, ack);
  seal_records(std::span<std::byte>(out).subspan(at));
}

std::size_t seal_records(std::span<std::byte> records) noexcept {
  std::size_t sealed = 0;
  while (records.size() >= record_header_size) {
    const auto length = load_be<std::uint32_t>(records.data());
    if (length < record_header_size || length > records.size()) break;
    store_be<std::uint32_t>(records.data() + record_crc_offset, record_crc(records.first(length)));
    records = records.subspan(length);
    ++sealed;
  }
  return sealed;
}

}  // namespace spop::recording
