// The spop recording format, version 1: NOTIFY frames an agent received and the ACKs it sent back, as
// on the wire, with when and on which connection. Written by spoa's recorder, read by spop-cli decode
// and spop-sim replay. Byte layout (all integers big-endian; README "Recording format"):
//
//   file header, 32 bytes
//     0  8  magic          89 53 50 4F 50 52 45 43  ("\x89SPOPREC")
//     8  2  version        1
//    10  2  header length  32: the first record starts here (a reader skips header bytes it does not know)
//    12  4  flags          bit 0: NOTIFY argument values were redacted (header_flags::redacted)
//    16  8  key id         identifies the redaction key (0 when not redacted)
//    24  8  created        nanoseconds since the Unix epoch (UTC)
//
//   record, 40-byte header then the frames
//     0  4  length         the whole record, header included
//     4  4  CRC-32C        of the record's other bytes: 0-3, then 8 .. length-1
//     8  1  kind           1: a NOTIFY and its ACK; 2: a NOTIFY that got no ACK
//     9  1  flags          0 (reserved)
//    10  2  reserved       0
//    12  4  source         who saw the exchange (a spoa worker's pid; 0 for converted captures)
//    16  8  connection     the connection's id within that source
//    24  8  notify time    NOTIFY received, nanoseconds since the Unix epoch
//    32  8  ack time       ACK sent (0 for kind 2)
//    40  .  the NOTIFY frame (4-byte LEN + LEN bytes), then for kind 1 the ACK frame; nothing else
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace spop::recording {

inline constexpr std::array<std::uint8_t, 8> magic = {0x89, 'S', 'P', 'O', 'P', 'R', 'E', 'C'};
inline constexpr std::uint16_t format_version = 1;
inline constexpr std::size_t file_header_size = 32;
inline constexpr std::size_t record_header_size = 40;
/// Where a record's CRC sits; it covers every other byte of the record.
inline constexpr std::size_t record_crc_offset = 4;
/// The largest record a reader accepts: two frames of SPOP's largest size (a 3-byte LEN, 16 MiB).
inline constexpr std::size_t max_record_size = record_header_size + 2 * (4 + 0xFFFFFF);

namespace header_flags {
inline constexpr std::uint32_t redacted = 0x1;
}  // namespace header_flags

struct FileHeader {
  std::uint16_t version = format_version;
  std::uint32_t flags = 0;
  std::uint64_t key_id = 0;      ///< redaction key id, 0 when not redacted
  std::int64_t created_ns = 0;   ///< since the Unix epoch
  bool redacted() const noexcept { return (flags & header_flags::redacted) != 0; }
};

enum class RecordKind : std::uint8_t {
  exchange = 1,      ///< NOTIFY then ACK
  notify_only = 2,   ///< the NOTIFY got no ACK (the connection closed, the call failed...)
};

/// The fixed part of a record.
struct RecordMeta {
  RecordKind kind = RecordKind::exchange;
  std::uint32_t source = 0;
  std::uint64_t connection = 0;
  std::int64_t notify_ns = 0;
  std::int64_t ack_ns = 0;  ///< 0 for notify_only
};

/// One record as read: views into the reader's buffer, valid until its next call.
struct Record {
  RecordMeta meta;
  std::uint64_t offset = 0;            ///< of the record in its file
  std::span<const std::byte> notify;   ///< the NOTIFY frame, LEN prefix included
  std::span<const std::byte> ack;      ///< the ACK frame, LEN prefix included (empty for notify_only)
};

}  // namespace spop::recording
