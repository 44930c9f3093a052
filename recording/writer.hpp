// Encoding recordings (format.hpp) into memory: the file header and records, with their checksums.
// No I/O: spoa's recorder and the tests write the bytes where they want.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "recording/format.hpp"

namespace spop::recording {

/// Appends the 32-byte file header (version 1 whatever `header.version` says).
void append_file_header(std::vector<std::byte>& out, const FileHeader& header);

/// Bytes a record of these frames takes.
inline std::size_t record_size(std::span<const std::byte> notify, std::span<const std::byte> ack) noexcept {
  return record_header_size + notify.size() + ack.size();
}

/// Appends one record with its CRC. `notify` is a whole NOTIFY frame with its LEN prefix, `ack` the ACK
/// frame sent back or empty (the record's kind follows from that; `meta.kind` is not read). The frames
/// are copied as they are: checking them is the caller's business (the reader does check them).
void append_record(std::vector<std::byte>& out, const RecordMeta& meta, std::span<const std::byte> notify,
                   std::span<const std::byte> ack);

/// As append_record() but with the CRC left at 0: a copy and nothing else, for callers on a hot path
/// that seal a whole batch later on another thread with seal_records().
void append_record_unsealed(std::vector<std::byte>& out, const RecordMeta& meta, std::span<const std::byte> notify,
                            std::span<const std::byte> ack);

/// A NOTIFY given by its ids and payload rather than by its bytes (a call's copy of the payload, or a
/// fragmented NOTIFY reassembled): the frame written is the one-frame NOTIFY a peer would send for them,
/// LEN, type 3, flags FIN, the ids as varints, then the payload.
struct NotifyParts {
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  std::span<const std::byte> payload;
};

/// Bytes of the NOTIFY frame written for `notify`, LEN prefix included.
std::size_t notify_frame_size(const NotifyParts& notify) noexcept;

inline std::size_t record_size(const NotifyParts& notify, std::span<const std::byte> ack) noexcept {
  return record_header_size + notify_frame_size(notify) + ack.size();
}

/// As append_record_unsealed() above, with the NOTIFY frame written from its parts.
void append_record_unsealed(std::vector<std::byte>& out, const RecordMeta& meta, const NotifyParts& notify,
                            std::span<const std::byte> ack);

/// As append_record_unsealed() at `out`, which has room for record_size(notify, ack) bytes: for a caller
/// that manages its own buffer (spoa's recorder: no vector growth, no zero-filling, on the hot path).
void put_record_unsealed(std::byte* out, const RecordMeta& meta, std::span<const std::byte> notify,
                         std::span<const std::byte> ack) noexcept;
void put_record_unsealed(std::byte* out, const RecordMeta& meta, const NotifyParts& notify,
                         std::span<const std::byte> ack) noexcept;

/// Writes the CRC of every record in `records`, a run of whole records as appended above. Returns how
/// many were sealed; stops early (returning the count so far) at a length that does not fit.
std::size_t seal_records(std::span<std::byte> records) noexcept;

}  // namespace spop::recording
