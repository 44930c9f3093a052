#include "spop/hello.hpp"

#include <cctype>

#include "spop/frame.hpp"
#include "spop/kv.hpp"

namespace spop {

namespace {

bool is_space(char c) noexcept { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(item) for each comma-separated, trimmed, non-empty item.
template <typename Fn>
bool any_item(std::string_view list, Fn&& fn) {
  while (true) {
    const auto comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty() && fn(item)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

// Visits every KV item; an empty key is invalid, as in HAProxy.
template <typename Fn>
Errc for_each_kv(std::span<const std::byte> payload, Fn&& fn) {
  KvReader reader(payload);
  KvItem item;
  while (true) {
    Errc e = reader.next(item);
    if (e == Errc::need_more) return Errc::ok;
    if (e != Errc::ok) return e;
    if (item.key.empty()) return Errc::bad_kv;
    if (Errc f = fn(item); f != Errc::ok) return f;
  }
}

// HAProxy tests `(type & SPOE_DATA_T_MASK) == SPOE_DATA_T_STR`: flag bits do not matter here, although
// the decoded Value of such a byte is BINARY.
Errc take_string(const KvItem& item, std::optional<std::string_view>& out) {
  if ((item.type_byte & data_type_mask) != static_cast<std::uint8_t>(DataType::string)) return Errc::invalid_payload;
  out = item.value.as_bytes();
  return Errc::ok;
}

Errc take_integer(const KvItem& item, std::optional<std::uint64_t>& out) {
  if (!item.value.is_integer()) return Errc::invalid_payload;
  out = item.value.as_uint64();
  return Errc::ok;
}

}  // namespace

Errc parse_haproxy_hello(std::span<const std::byte> payload, HaproxyHello& out) noexcept {
  out = HaproxyHello{};
  return for_each_kv(payload, [&](const KvItem& item) {
    if (key_matches(item.key, keys::supported_versions)) return take_string(item, out.supported_versions);
    if (key_matches(item.key, keys::max_frame_size)) return take_integer(item, out.max_frame_size);
    if (key_matches(item.key, keys::capabilities)) return take_string(item, out.capabilities);
    if (key_matches(item.key, keys::engine_id)) {
      std::optional<std::string_view> id;
      Errc e = take_string(item, id);
      if (id) out.engine_id = *id;
      return e;
    }
    if (key_matches(item.key, keys::healthcheck)) {
      if (item.value.type() != DataType::boolean) return Errc::invalid_payload;
      out.healthcheck = item.value.as_bool();
    }
    return Errc::ok;
  });
}

Errc parse_agent_hello(std::span<const std::byte> payload, AgentHello& out) noexcept {
  out = AgentHello{};
  return for_each_kv(payload, [&](const KvItem& item) {
    if (key_matches(item.key, keys::version)) return take_string(item, out.version);
    if (key_matches(item.key, keys::max_frame_size)) return take_integer(item, out.max_frame_size);
    if (key_matches(item.key, keys::capabilities)) return take_string(item, out.capabilities);
    return Errc::ok;
  });
}

Errc parse_disconnect(std::span<const std::byte> payload, DisconnectInfo& out) noexcept {
  out = DisconnectInfo{};
  return for_each_kv(payload, [&](const KvItem& item) {
    if (key_matches(item.key, keys::status_code)) return take_integer(item, out.status_code);
    if (key_matches(item.key, keys::message)) {
      std::optional<std::string_view> m;
      Errc e = take_string(item, m);
      if (m) out.message = *m;
      return e;
    }
    return Errc::ok;
  });
}

// Same rules as HAProxy's spoe_str_to_vsn(): leading spaces, a non-zero major made of digits, '.', a minor
// of at least one digit and at most 999, trailing spaces, nothing else.
std::optional<int> parse_version(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  int major = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (!is_digit(text[i])) return std::nullopt;
    major = major * 10 + (text[i] - '0');
    if (major >= 2'000'000) return std::nullopt;  // keeps major*1000+minor within int
  }
  if (i == text.size() || major == 0) return std::nullopt;
  ++i;  // the '.'
  if (i == text.size() || !is_digit(text[i])) return std::nullopt;
  int minor = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    if (minor <= 999) minor = minor * 10 + (text[i] - '0');
  }
  if (minor > 999) return std::nullopt;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i != text.size()) return std::nullopt;
  return major * 1000 + minor;
}

bool supports_version_2_0(std::string_view list) noexcept {
  return any_item(list, [](std::string_view v) { return parse_version(v) == 2000; });
}

// HAProxy's rule: in each comma-separated item, after leading spaces, the name must be followed by the
// end of the item or a space ("pipelining foo" counts, "pipeliningX" does not).
bool has_capability(std::string_view list, std::string_view name) noexcept {
  if (name.empty()) return false;
  while (true) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && is_space(item.front())) item.remove_prefix(1);
    if (item.starts_with(name) && (item.size() == name.size() || is_space(item[name.size()]))) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

namespace {

Errc finish_or_cancel(FrameWriter& fw, Errc e) {
  if (e != Errc::ok) {
    fw.cancel();
    return e;
  }
  fw.finish();
  return Errc::ok;
}

}  // namespace

Errc write_haproxy_hello(std::vector<std::byte>& out, const HaproxyHelloParams& p, std::uint32_t max_frame_size) {
  FrameWriter fw(out, FrameHeader{FrameType::haproxy_hello, frame_flags::fin, 0, 0}, max_frame_size);
  if (fw.status() != Errc::ok) return fw.status();
  WireWriter& w = fw.payload();
  Errc e = put_kv(w, keys::supported_versions, Value::string(p.supported_versions));
  if (e == Errc::ok) e = put_kv(w, keys::max_frame_size, Value::uint32(p.max_frame_size));
  if (e == Errc::ok) e = put_kv(w, keys::capabilities, Value::string(p.capabilities));
  if (e == Errc::ok && !p.engine_id.empty()) e = put_kv(w, keys::engine_id, Value::string(p.engine_id));
  if (e == Errc::ok && p.healthcheck) e = put_kv(w, keys::healthcheck, Value::boolean(true));
  return finish_or_cancel(fw, e);
}

Errc write_agent_hello(std::vector<std::byte>& out, std::string_view version, std::uint32_t frame_size,
                       std::string_view capabilities, std::uint32_t max_frame_size) {
  FrameWriter fw(out, FrameHeader{FrameType::agent_hello, frame_flags::fin, 0, 0}, max_frame_size);
  if (fw.status() != Errc::ok) return fw.status();
  WireWriter& w = fw.payload();
  Errc e = put_kv(w, keys::version, Value::string(version));
  if (e == Errc::ok) e = put_kv(w, keys::max_frame_size, Value::uint32(frame_size));
  if (e == Errc::ok) e = put_kv(w, keys::capabilities, Value::string(capabilities));
  return finish_or_cancel(fw, e);
}

Errc write_disconnect(std::vector<std::byte>& out, FrameType type, std::uint32_t status_code,
                      std::string_view message, std::uint32_t max_frame_size) {
  FrameWriter fw(out, FrameHeader{type, frame_flags::fin, 0, 0}, max_frame_size);
  if (fw.status() != Errc::ok) return fw.status();
  WireWriter& w = fw.payload();
  Errc e = put_kv(w, keys::status_code, Value::uint32(status_code));
  if (e == Errc::ok) e = put_kv(w, keys::message, Value::string(message.substr(0, 255)));
  return finish_or_cancel(fw, e);
}

}  // namespace spop
