// Bounded cursors that read and write SPOP primitives: bytes, uint32, varint, raw strings, TYPED-DATA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/value.hpp"

namespace spop {

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
  /// TYPED-DATA. Also Errc::reserved_type for type ids 10-15. Flag bits are ignored except BOOL's
  /// 0x10, as HAProxy does, with one HAProxy quirk kept: a STRING byte with flag bits set reads as BINARY.
  Errc read_value(Value& v) noexcept;
  /// Skips one TYPED-DATA without decoding it.
  Errc skip_value() noexcept;

  std::size_t offset() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return pos_ == data_.size(); }
  std::span<const std::byte> rest() const noexcept { return data_.subspan(pos_); }

 private:
  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
};

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

}  // namespace spop
