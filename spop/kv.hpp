// KV-LIST: the (raw-string key, TYPED-DATA value) pairs of HELLO and DISCONNECT payloads.
#pragma once

#include <span>
#include <string_view>

#include "spop/errc.hpp"
#include "spop/value.hpp"
#include "spop/wire.hpp"

namespace spop {

struct KvItem {
  std::string_view key;
  Value value;
  /// The raw TYPED-DATA type byte, flags included. HAProxy checks HELLO/DISCONNECT value types on the
  /// low nibble only, so a STRING byte with flag bits (which `value` holds as BINARY) still counts as a string.
  std::uint8_t type_byte = 0;
};

/// Iterates a KV-LIST payload. next() returns ok with an item, Errc::need_more at the clean end of
/// the list, or a decode error (truncated, varint_too_long). A reserved type id (10-15) is not an
/// error: like HAProxy's spoe_skip_data it takes only the type byte, and the item's value is NULL
/// (check type_byte to tell it from a real NULL).
class KvReader {
 public:
  explicit KvReader(std::span<const std::byte> payload) noexcept : reader_(payload) {}
  Errc next(KvItem& item) noexcept;
  std::size_t offset() const noexcept { return reader_.offset(); }

 private:
  WireReader reader_;
};

/// Appends one pair. Errc::frame_too_big when it does not fit (nothing written).
Errc put_kv(WireWriter& w, std::string_view key, const Value& value);

/// HAProxy matches HELLO/DISCONNECT keys by prefix: a received `key` that starts with `name` counts as
/// `name` ("versionX" is "version"; "ver" is not). HAProxy 2.x (flt_spoe.c) and 3.x (mux_spop.c) both test
/// `sz >= strlen(NAME) && !memcmp(key, NAME, strlen(NAME))` (spop-protocol.md §3); only 1.x compared
/// `memcmp(key, NAME, key_len)`. An empty key never matches (HAProxy rejects it as invalid).
bool key_matches(std::string_view key, std::string_view name) noexcept;

}  // namespace spop
