// Bounded cursors that read and write SPOP primitives: bytes, uint32, varint, raw strings, TYPED-DATA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/value.hpp"
#include "spop/varint.hpp"

namespace spop {

/// The bytes of a string, for the byte-span APIs below.
inline std::span<const std::byte> byte_span(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// Reads from a byte span that holds one whole frame (or payload); never reads past its end.
/// Every read returns Errc::ok or Errc::truncated (the item runs past the end) and leaves the cursor
/// unchanged on error. Views it returns point into the span.
class WireReader {
 public:
  explicit WireReader(std::span<const std::byte> data) noexcept : data_(data) {}

  Errc read_u8(std::uint8_t& v) noexcept;
  Errc read_u32(std::uint32_t& v) noexcept;  ///< big-endian
  Errc read_varint(std::uint64_t& v) noexcept;  ///< also Errc::varint_too_long
  Errc read_bytes(std::size_t n, std::span<const std::byte>& v) noexcept;
  /// varint length + bytes, no type byte (names and keys).
  Errc read_raw_string(std::string_view& v) noexcept;
  /// TYPED-DATA. Also Errc::reserved_type for type ids 10-15. Flag bits are ignored except for BOOL
  /// (true only when the flag nibble is exactly 0x10), as HAProxy does, with one HAProxy quirk kept:
  /// a STRING byte with flag bits set reads as BINARY.
  Errc read_value(Value& v) noexcept;
  /// Skips one TYPED-DATA without decoding it.
  Errc skip_value() noexcept;

  std::size_t offset() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return pos_ == data_.size(); }
  std::span<const std::byte> rest() const noexcept { return data_.subspan(pos_); }

 private:
  Errc read_varint_slow(std::uint64_t& v) noexcept;  // 2 bytes and more

  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
};

// The small reads are inline: decoding a NOTIFY is a long run of them.

inline Errc WireReader::read_u8(std::uint8_t& v) noexcept {
  if (pos_ >= data_.size()) return Errc::truncated;
  v = std::to_integer<std::uint8_t>(data_[pos_++]);
  return Errc::ok;
}

inline Errc WireReader::read_u32(std::uint32_t& v) noexcept {
  if (data_.size() - pos_ < 4) return Errc::truncated;
  const std::byte* p = data_.data() + pos_;
  v = std::to_integer<std::uint32_t>(p[0]) << 24 | std::to_integer<std::uint32_t>(p[1]) << 16 |
      std::to_integer<std::uint32_t>(p[2]) << 8 | std::to_integer<std::uint32_t>(p[3]);
  pos_ += 4;
  return Errc::ok;
}

inline Errc WireReader::read_varint(std::uint64_t& v) noexcept {
  if (pos_ < data_.size()) {
    const auto first = std::to_integer<std::uint8_t>(data_[pos_]);
    if (first < 240) {
      v = first;
      ++pos_;
      return Errc::ok;
    }
  }
  return read_varint_slow(v);
}

inline Errc WireReader::read_bytes(std::size_t n, std::span<const std::byte>& v) noexcept {
  if (data_.size() - pos_ < n) return Errc::truncated;
  v = data_.subspan(pos_, n);
  pos_ += n;
  return Errc::ok;
}

inline Errc WireReader::read_raw_string(std::string_view& v) noexcept {
  const std::size_t start = pos_;
  std::uint64_t len = 0;
  if (Errc e = read_varint(len); e != Errc::ok) return e;
  if (len > data_.size() - pos_) {
    pos_ = start;
    return Errc::truncated;
  }
  v = std::string_view(reinterpret_cast<const char*>(data_.data() + pos_), static_cast<std::size_t>(len));
  pos_ += static_cast<std::size_t>(len);
  return Errc::ok;
}

/// Appends to a byte vector without letting its size pass `limit` (an absolute size of the vector).
/// Each write is all or nothing: Errc::frame_too_big leaves the vector as it was.
class WireWriter {
 public:
  explicit WireWriter(std::vector<std::byte>& out, std::size_t limit = SIZE_MAX) noexcept
      : out_(&out), limit_(limit) {}

  Errc put_u8(std::uint8_t v);
  Errc put_u32(std::uint32_t v);  ///< big-endian
  Errc put_varint(std::uint64_t v);
  Errc put_bytes(std::span<const std::byte> v);
  Errc put_raw_string(std::string_view v);
  /// TYPED-DATA with flags 0 except BOOL. Integers use Value's bits as they are (already 64-bit).
  Errc put_value(const Value& v);

  /// Bytes a value or raw string will take, for callers that must check before writing several items.
  static std::size_t value_size(const Value& v) noexcept;
  static std::size_t raw_string_size(std::string_view v) noexcept;

  std::vector<std::byte>& buffer() noexcept { return *out_; }
  std::size_t limit() const noexcept { return limit_; }
  std::size_t room() const noexcept { return out_->size() >= limit_ ? 0 : limit_ - out_->size(); }

 private:
  std::vector<std::byte>* out_;
  std::size_t limit_;
};

inline std::size_t WireWriter::raw_string_size(std::string_view v) noexcept {
  return varint_size(v.size()) + v.size();
}

inline std::size_t WireWriter::value_size(const Value& v) noexcept {
  switch (v.type()) {
    case DataType::null:
    case DataType::boolean: return 1;
    case DataType::int32:
    case DataType::uint32:
    case DataType::int64:
    case DataType::uint64: return 1 + varint_size(v.as_uint64());
    case DataType::ipv4: return 1 + 4;
    case DataType::ipv6: return 1 + 16;
    case DataType::string:
    case DataType::binary: return 1 + raw_string_size(v.as_bytes());
  }
  return 1;
}

}  // namespace spop
