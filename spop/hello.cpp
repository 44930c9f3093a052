#include "spop/hello.hpp"

#include <cctype>

#include "spop/frame.hpp"
#include "spop/kv.hpp"

namespace spop {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
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

Errc take_string(const KvItem& item, std::optional<std::string_view>& out) {
  if (item.value.type() != DataType::string) return Errc::invalid_payload;
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

std::optional<int> parse_version(std::string_view text) noexcept {
  text = trim(text);
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<int> {
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  auto major = number(text.substr(0, dot));
  auto minor = number(text.substr(dot + 1));
  if (!major || !minor || *minor >= 1000) return std::nullopt;
  return *major * 1000 + *minor;
}

bool supports_version_2_0(std::string_view list) noexcept {
  return any_item(list, [](std::string_view v) { return parse_version(v) == 2000; });
}

bool has_capability(std::string_view list, std::string_view name) noexcept {
  return any_item(list, [&](std::string_view c) { return c == name; });
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
