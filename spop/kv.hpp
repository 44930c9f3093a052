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
};

/// Iterates a KV-LIST payload. next() returns ok with an item, Errc::need_more at the clean end of
/// the list, or a decode error (truncated, varint_too_long, reserved_type).
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

/// HAProxy matches HELLO/DISCONNECT keys by prefix, comparing only the received key's length: a
/// non-empty `key` that is a prefix of `name` counts as `name` ("max" is "max-frame-size").
/// (spop-protocol.md §3 words this the other way round; HAProxy's memcmp(key, NAME, key_len) decides.)
bool key_matches(std::string_view key, std::string_view name) noexcept;

}  // namespace spop
