#include "spop/kv.hpp"

namespace spop {

Errc KvReader::next(KvItem& item) noexcept {
  if (reader_.empty()) return Errc::need_more;
  std::string_view key;
  if (Errc e = reader_.read_raw_string(key); e != Errc::ok) return e;
  Value value;
  if (Errc e = reader_.read_value(value); e != Errc::ok) return e;
  item = KvItem{key, value};
  return Errc::ok;
}

Errc put_kv(WireWriter& w, std::string_view key, const Value& value) {
  if (w.room() < WireWriter::raw_string_size(key) + WireWriter::value_size(value)) return Errc::frame_too_big;
  w.put_raw_string(key);
  return w.put_value(value);
}

// HAProxy compares `memcmp(key, name, key_length)`: the received key matches when it is a non-empty
// prefix of the known name ("ver" counts as "version"; "versions" does not).
bool key_matches(std::string_view key, std::string_view name) noexcept {
  return !key.empty() && name.starts_with(key);
}

}  // namespace spop
