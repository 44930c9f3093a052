#include "recording/reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "recording/byte_order.hpp"
#include "recording/crc32c.hpp"
#include "spop/frame.hpp"

namespace spop::recording {

using detail::load_be;

namespace {

constexpr std::size_t read_chunk = std::size_t{1} << 20;
constexpr std::size_t min_record_size = record_header_size + 4 + spop::min_frame_length;

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// The frame at the front of `rest`: its whole bytes (LEN included) in `frame`, its type in `type`.
// False with `reason` when its LEN is impossible or runs past `rest`.
bool take_frame(std::span<const std::byte>& rest, std::span<const std::byte>& frame, std::uint8_t& type,
                const char* what, std::string& reason) {
  std::uint32_t len = 0;
  if (spop::peek_frame_length(rest, len) != spop::Errc::ok) {
    reason = std::string("the ") + what + " frame's 4-byte length runs past the end of the record";
    return false;
  }
  if (len < spop::min_frame_length || len > rest.size() - spop::frame_length_prefix) {
    reason = std::string("the ") + what + " frame's length " + std::to_string(len) +
             (len < spop::min_frame_length ? " is below the minimum of 7"
                                           : " runs past the end of the record");
    return false;
  }
  frame = rest.first(spop::frame_length_prefix + len);
  type = std::to_integer<std::uint8_t>(frame[spop::frame_length_prefix]);
  rest = rest.subspan(frame.size());
  return true;
}

}  // namespace

bool has_recording_magic(std::span<const std::byte> data) noexcept {
  const std::size_t n = std::min(data.size(), magic.size());
  for (std::size_t i = 0; i < n; ++i)
    if (std::to_integer<std::uint8_t>(data[i]) != magic[i]) return false;
  return true;
}

DecodeStatus decode_file_header(std::span<const std::byte> data, FileHeader& out, std::size_t& used,
                                std::string& reason) {
  if (!has_recording_magic(data)) {
    reason = "not a spop recording: it does not start with the magic bytes 89 53 50 4f 50 52 45 43";
    return DecodeStatus::invalid;
  }
  if (data.size() < 12) return DecodeStatus::need_more;
  const auto version = load_be<std::uint16_t>(data.data() + 8);
  if (version != format_version) {
    reason = "recording format version " + std::to_string(version) + " is not supported (this build reads version " +
             std::to_string(format_version) + ")";
    return DecodeStatus::invalid;
  }
  const auto length = load_be<std::uint16_t>(data.data() + 10);
  if (length < file_header_size) {
    reason = "the header length " + std::to_string(length) + " is below 32: the file is corrupted";
    return DecodeStatus::invalid;
  }
  if (data.size() < length) return DecodeStatus::need_more;
  out.version = version;
  out.flags = load_be<std::uint32_t>(data.data() + 12);
  out.key_id = load_be<std::uint64_t>(data.data() + 16);
  out.created_ns = load_be<std::int64_t>(data.data() + 24);
  used = length;
  return DecodeStatus::ok;
}

DecodeStatus decode_record(std::span<const std::byte> data, Record& out, std::size_t& used, std::string& reason) {
  if (data.size() < 4) return DecodeStatus::need_more;
  const auto length = load_be<std::uint32_t>(data.data());
  if (length < min_record_size || length > max_record_size) {
    reason = "impossible record length " + std::to_string(length) + " (a record takes " +
             std::to_string(min_record_size) + " to " + std::to_string(max_record_size) + " bytes)";
    return DecodeStatus::invalid;
  }
  if (data.size() < length) return DecodeStatus::need_more;
  const auto record = data.first(length);
  const auto stored = load_be<std::uint32_t>(record.data() + record_crc_offset);
  const std::uint32_t computed = record_crc(record);
  if (stored != computed) {
    reason = "checksum mismatch (stored " + hex32(stored) + ", computed " + hex32(computed) +
             "): the record is corrupted";
    return DecodeStatus::invalid;
  }
  const auto kind = std::to_integer<std::uint8_t>(record[8]);
  if (kind != static_cast<std::uint8_t>(RecordKind::exchange) &&
      kind != static_cast<std::uint8_t>(RecordKind::notify_only)) {
    reason = "unknown record kind " + std::to_string(kind);
    return DecodeStatus::invalid;
  }
  out.meta.kind = static_cast<RecordKind>(kind);
  out.meta.source = load_be<std::uint32_t>(record.data() + 12);
  out.meta.connection = load_be<std::uint64_t>(record.data() + 16);
  out.meta.notify_ns = load_be<std::int64_t>(record.data() + 24);
  out.meta.ack_ns = load_be<std::int64_t>(record.data() + 32);
  auto rest = record.subspan(record_header_size);
  std::uint8_t type = 0;
  if (!take_frame(rest, out.notify, type, "NOTIFY", reason)) return DecodeStatus::invalid;
  if (type != static_cast<std::uint8_t>(spop::FrameType::notify)) {
    reason = "the first frame has type " + std::to_string(type) + ", not NOTIFY (3)";
    return DecodeStatus::invalid;
  }
  out.ack = {};
  if (out.meta.kind == RecordKind::exchange) {
    if (rest.empty()) {
      reason = "a NOTIFY-and-ACK record without an ACK frame";
      return DecodeStatus::invalid;
    }
    if (!take_frame(rest, out.ack, type, "ACK", reason)) return DecodeStatus::invalid;
    if (type != static_cast<std::uint8_t>(spop::FrameType::ack)) {
      reason = "the second frame has type " + std::to_string(type) + ", not ACK (103)";
      return DecodeStatus::invalid;
    }
  }
  if (!rest.empty()) {
    reason = std::to_string(rest.size()) + " bytes after the frames";
    return DecodeStatus::invalid;
  }
  used = length;
  return DecodeStatus::ok;
}

std::string ReadError::to_string() const {
  return file + ": byte " + std::to_string(offset) + ": " + reason;
}

RecordingReader::RecordingReader(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    fail(0, std::string("cannot open: ") + std::strerror(errno));
    return;
  }
  while (true) {
    std::size_t used = 0;
    std::string reason;
    const auto span = std::span<const std::byte>(buffer_).subspan(pos_);
    const DecodeStatus s = decode_file_header(span, header_, used, reason);
    if (s == DecodeStatus::ok) {
      pos_ += used;
      opened_ = true;
      return;
    }
    if (s == DecodeStatus::invalid) {
      fail(0, reason);
      return;
    }
    const std::size_t have = buffer_.size() - pos_;
    if (!fill(have + 1)) {
      if (error_) return;
      if (have == 0) fail(0, "the file is empty: not a spop recording");
      else fail(have, "the file ends inside its header (" + std::to_string(have) + " bytes)");
      return;
    }
  }
}

RecordingReader::~RecordingReader() {
  if (file_ != nullptr) std::fclose(file_);
}

void RecordingReader::fail(std::uint64_t offset, std::string reason) {
  error_ = ReadError{path_.string(), offset, std::move(reason)};
}

bool RecordingReader::fill(std::size_t wanted) {
  if (buffer_.size() - pos_ >= wanted) return true;
  // Drop what was read, then read at least what is missing (in large chunks: few system calls).
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos_));
  buffer_at_ += pos_;
  pos_ = 0;
  while (buffer_.size() < wanted && !eof_) {
    const std::size_t at = buffer_.size();
    buffer_.resize(at + std::max(read_chunk, wanted - at));
    const std::size_t n = std::fread(buffer_.data() + at, 1, buffer_.size() - at, file_);
    buffer_.resize(at + n);
    if (n == 0) {
      if (std::ferror(file_)) {
        fail(buffer_at_ + at, std::string("read error: ") + std::strerror(errno));
        return false;
      }
      eof_ = true;
    }
  }
  return buffer_.size() >= wanted;
}

const Record* RecordingReader::next() {
  if (!opened_ || error_) return nullptr;
  std::size_t wanted = 4;
  while (true) {
    if (!fill(wanted)) {
      if (error_) return nullptr;
      const std::size_t have = buffer_.size() - pos_;
      if (have == 0) return nullptr;  // the end, on a record boundary
      const std::uint64_t at = buffer_at_ + pos_;
      const std::string which = "record " + std::to_string(records_ + 1);
      if (have < 4) {
        fail(at, which + " is cut short: the file ends " + std::to_string(have) + " bytes into it");
      } else {
        fail(at, which + " is cut short: its header says " +
                     std::to_string(load_be<std::uint32_t>(buffer_.data() + pos_)) + " bytes, the file has " +
                     std::to_string(have));
      }
      return nullptr;
    }
    std::size_t used = 0;
    std::string reason;
    const DecodeStatus s = decode_record(std::span<const std::byte>(buffer_).subspan(pos_), record_, used, reason);
    if (s == DecodeStatus::ok) {
      record_.offset = buffer_at_ + pos_;
      pos_ += used;
      ++records_;
      return &record_;
    }
    if (s == DecodeStatus::invalid) {
      fail(buffer_at_ + pos_, "record " + std::to_string(records_ + 1) + ": " + reason);
      return nullptr;
    }
    // need_more: the length was checked, so this much is worth waiting for.
    wanted = std::max<std::size_t>(load_be<std::uint32_t>(buffer_.data() + pos_), wanted + 1);
  }
}

}  // namespace spop::recording
