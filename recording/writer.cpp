#include "recording/writer.hpp"

#include <cstring>

#include "recording/byte_order.hpp"
#include "recording/crc32c.hpp"

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

void append_record_unsealed(std::vector<std::byte>& out, const RecordMeta& meta, std::span<const std::byte> notify,
                            std::span<const std::byte> ack) {
  const std::size_t at = out.size();
  const std::size_t size = record_size(notify, ack);
  out.resize(at + size);
  std::byte* p = out.data() + at;
  store_be<std::uint32_t>(p, static_cast<std::uint32_t>(size));
  store_be<std::uint32_t>(p + record_crc_offset, 0);
  p[8] = static_cast<std::byte>(ack.empty() ? RecordKind::notify_only : RecordKind::exchange);
  p[9] = p[10] = p[11] = std::byte{0};
  store_be<std::uint32_t>(p + 12, meta.source);
  store_be<std::uint64_t>(p + 16, meta.connection);
  store_be<std::int64_t>(p + 24, meta.notify_ns);
  store_be<std::int64_t>(p + 32, ack.empty() ? 0 : meta.ack_ns);
  if (!notify.empty()) std::memcpy(p + record_header_size, notify.data(), notify.size());
  if (!ack.empty()) std::memcpy(p + record_header_size + notify.size(), ack.data(), ack.size());
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
