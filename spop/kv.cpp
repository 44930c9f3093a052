#include "spop/kv.hpp"

namespace spop {

Errc KvReader::next(KvItem& item) noexcept {
  if (reader_.empty()) return Errc::need_more;
  std::string_view key;
  if (Errc e = reader_.read_raw_string(key); e != Errc::ok) return e;
  const auto rest = reader_.rest();
  if (rest.empty()) return Errc::truncated;
  const auto type_byte = std::to_integer<std::uint8_t>(rest.front());
  Value value;
  if (Errc e = reader_.read_value(value); e == Errc::reserved_type) {
    std::uint8_t skipped = 0;
    reader_.read_u8(skipped);  // HAProxy's skip routine consumes no data bytes for ids 10-15
    value = Value::null();
  } else if (e != Errc::ok) {
    return e;
  }
  item = KvItem{key, value, type_byte};
  return Errc::ok;
}

Errc put_kv(WireWriter& w, std::string_view key, const Value& value) {
  if (w.room() < WireWriter::raw_string_size(key) + WireWriter::value_size(value)) return Errc::frame_too_big;
  w.put_raw_string(key);
  return w.put_value(value);
}

// HAProxy 2.x/3.x: `sz >= strlen(NAME) && !memcmp(key, NAME, strlen(NAME))`, i.e. the key starts with NAME.
bool key_matches(std::string_view key, std::string_view name) noexcept {
  return !key.empty() && !name.empty() && key.starts_with(name);
}

}  // namespace spop
