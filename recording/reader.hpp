// Reading recordings (format.hpp): a decoder over bytes in memory, and a file reader on top of it that
// yields record after record and, at the first truncated or corrupted record, says where and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "recording/format.hpp"

namespace spop::recording {

enum class DecodeStatus : std::uint8_t {
  ok,
  need_more,  ///< the bytes end before the item does (at the end of a file: it is cut short)
  invalid,    ///< not a recording, an unsupported version, a corrupted record: see `reason`
};

/// True when `data` starts like a recording (the magic bytes; fewer bytes compare as far as they go).
bool has_recording_magic(std::span<const std::byte> data) noexcept;

/// Decodes the file header at the front of `data`. On ok, `used` is where the first record starts.
/// invalid: no magic, an unknown version ("recording format version 2 is not supported..."), a header
/// length below 32.
DecodeStatus decode_file_header(std::span<const std::byte> data, FileHeader& out, std::size_t& used,
                                std::string& reason);

/// Decodes the record at the front of `data` (its views point into `data`; `out.offset` is left alone).
/// need_more until the whole record is there. invalid: a length outside [51, max_record_size], a CRC
/// mismatch, an unknown kind, frames that are not one NOTIFY (then, for kind 1, one ACK) filling the
/// record exactly. A length is checked before the rest is waited for, so a corrupted one never makes a
/// reader buffer gigabytes.
DecodeStatus decode_record(std::span<const std::byte> data, Record& out, std::size_t& used, std::string& reason);

/// Where reading stopped and why: "<file>: byte <offset>: <reason>".
struct ReadError {
  std::string file;
  std::uint64_t offset = 0;
  std::string reason;
  std::string to_string() const;
};

/// Reads a recording file record by record (buffered, the whole file is never in memory at once).
///
/// The constructor opens the file and reads its header; next() then yields the records in file order.
/// After the last good record next() returns nullptr: at the end of the file with error() empty, or
/// at a truncated or corrupted record, or a read error, with error() set. Nothing after a bad record
/// is read: its length cannot be trusted, so the next record cannot be found.
class RecordingReader {
 public:
  explicit RecordingReader(const std::filesystem::path& path);
  ~RecordingReader();
  RecordingReader(const RecordingReader&) = delete;
  RecordingReader& operator=(const RecordingReader&) = delete;

  /// The header was read: records may follow.
  bool opened() const noexcept { return opened_; }
  const FileHeader& header() const noexcept { return header_; }
  /// The next record (its views valid until the next call), or nullptr.
  const Record* next();
  const std::optional<ReadError>& error() const noexcept { return error_; }
  /// Records yielded so far.
  std::uint64_t records() const noexcept { return records_; }

 private:
  bool fill(std::size_t wanted);  // at least `wanted` bytes buffered from pos_, unless the file ends
  void fail(std::uint64_t offset, std::string reason);

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  bool opened_ = false;
  bool eof_ = false;
  FileHeader header_;
  std::vector<std::byte> buffer_;
  std::size_t pos_ = 0;          // first unread byte in buffer_
  std::uint64_t buffer_at_ = 0;  // file offset of buffer_[0]
  Record record_;
  std::uint64_t records_ = 0;
  std::optional<ReadError> error_;
};

}  // namespace spop::recording
