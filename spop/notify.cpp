#include "spop/notify.hpp"

#include <cstring>

#include "spop/varint.hpp"

namespace spop {

namespace {

// Checked readers for parse(): each returns the position after the item, or nullptr with `e` set.
// These helpers are forced inline: they run for every message and argument of every NOTIFY.
[[gnu::always_inline]] inline const std::byte* checked_varint(const std::byte* p, const std::byte* end, std::uint64_t& v, Errc& e) noexcept {
  if (p == end) {
    e = Errc::truncated;
    return nullptr;
  }
  v = std::to_integer<std::uint64_t>(*p);
  if (v < 240) return p + 1;
  std::size_t used = 0;
  const Errc r = decode_varint(std::span<const std::byte>(p, end), v, used);
  if (r != Errc::ok) {
    e = r == Errc::need_more ? Errc::truncated : r;
    return nullptr;
  }
  return p + used;
}

[[gnu::always_inline]] inline const std::byte* checked_skip(const std::byte* p, const std::byte* end, std::uint64_t n, Errc& e) noexcept {
  if (n > static_cast<std::uint64_t>(end - p)) {
    e = Errc::truncated;
    return nullptr;
  }
  return p + n;
}

[[gnu::always_inline]] inline const std::byte* checked_raw_string(const std::byte* p, const std::byte* end, Errc& e) noexcept {
  std::uint64_t n = 0;
  p = checked_varint(p, end, n, e);
  return p == nullptr ? nullptr : checked_skip(p, end, n, e);
}

[[gnu::always_inline]] inline const std::byte* checked_value(const std::byte* p, const std::byte* end, Errc& e) noexcept {
  if (p == end) {
    e = Errc::truncated;
    return nullptr;
  }
  std::uint64_t ignored = 0;
  switch (std::to_integer<std::uint8_t>(*p++) & data_type_mask) {
    case 0:
    case 1: return p;
    case 2:
    case 3:
    case 4:
    case 5: return checked_varint(p, end, ignored, e);
    case 6: return checked_skip(p, end, 4, e);
    case 7: return checked_skip(p, end, 16, e);
    case 8:
    case 9: return checked_raw_string(p, end, e);
    default: e = Errc::reserved_type; return nullptr;
  }
}

// Unchecked readers, only for bytes that NotifyView::parse() has validated.
[[gnu::always_inline]] inline const std::byte* varint_at(const std::byte* p, std::uint64_t& v) noexcept {
  v = std::to_integer<std::uint64_t>(*p);
  if (v < 240) return p + 1;
  unsigned shift = 4;
  std::uint64_t b = 0;
  do {
    b = std::to_integer<std::uint64_t>(*++p);
    if (shift < 64) v += b << shift;
    shift += 7;
  } while (b >= 128);
  return p + 1;
}

[[gnu::always_inline]] inline const std::byte* raw_string_at(const std::byte* p, std::string_view& s) noexcept {
  std::uint64_t n = 0;
  p = varint_at(p, n);
  s = std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  return p + n;
}

[[gnu::always_inline]] inline const std::byte* skip_value_at(const std::byte* p) noexcept {
  std::uint64_t n = 0;
  switch (std::to_integer<std::uint8_t>(*p++) & data_type_mask) {
    case 2:
    case 3:
    case 4:
    case 5: return varint_at(p, n);
    case 6: return p + 4;
    case 7: return p + 16;
    case 8:
    case 9: p = varint_at(p, n); return p + n;
    default: return p;  // NULL and BOOL; reserved ids were rejected by parse()
  }
}

// Same rules as WireReader::read_value(): BOOL is true only for flags 0x10, a STRING byte with flag
// bits is BINARY. Reserved ids cannot occur here (parse() rejected them).
[[gnu::always_inline]] inline const std::byte* value_at(const std::byte* p, Value& v) noexcept {
  const auto type_byte = std::to_integer<std::uint8_t>(*p++);
  const auto id = static_cast<std::uint8_t>(type_byte & data_type_mask);
  switch (id) {
    case 1: v = Value::boolean((type_byte & data_flags_mask) == data_flag_true); return p;
    case 2:
    case 3:
    case 4:
    case 5: {
      std::uint64_t bits = 0;
      p = varint_at(p, bits);
      v = Value::integer(static_cast<DataType>(id), bits);
      return p;
    }
    case 6: {
      Ipv4Address a;
      std::memcpy(a.bytes.data(), p, a.bytes.size());
      v = Value::ipv4(a);
      return p + a.bytes.size();
    }
    case 7: {
      Ipv6Address a;
      std::memcpy(a.bytes.data(), p, a.bytes.size());
      v = Value::ipv6(a);
      return p + a.bytes.size();
    }
    case 8:
    case 9: {
      std::string_view s;
      p = raw_string_at(p, s);
      v = type_byte == static_cast<std::uint8_t>(DataType::string) ? Value::string(s) : Value::binary(s);
      return p;
    }
    default: v = Value::null(); return p;
  }
}

}  // namespace

void MessageView::arguments(std::vector<Argument>& out) const {
  // Resized rather than cleared and refilled: with a reused vector of the right size this is free.
  out.resize(nb_args_);
  const std::byte* p = encoded_args_.data();
  for (Argument& a : out) p = value_at(raw_string_at(p, a.name), a.value);  // validated by parse()
}

Errc NotifyView::parse(std::span<const std::byte> payload, NotifyView& out) {
  const std::byte* p = payload.data();
  const std::byte* const end = p + payload.size();
  std::size_t count = 0;
  Errc e = Errc::ok;
  while (p != end) {
    if ((p = checked_raw_string(p, end, e)) == nullptr) return e;  // message name
    if (p == end) return Errc::truncated;                           // nb-args
    const unsigned nb_args = std::to_integer<std::uint8_t>(*p++);
    for (unsigned i = 0; i < nb_args; ++i) {
      if ((p = checked_raw_string(p, end, e)) == nullptr) return e;  // argument name
      if ((p = checked_value(p, end, e)) == nullptr) return e;
    }
    ++count;
  }
  out.payload_ = payload;
  out.messages_ = count;
  return Errc::ok;
}

NotifyView::iterator::iterator(const std::byte* pos, const std::byte* end) : pos_(pos), next_(pos), end_(end) {
  load();
}

void NotifyView::iterator::load() {
  if (pos_ == end_) return;
  // parse() validated every byte up to end_: walk the message without bounds checks.
  std::string_view name;
  const std::byte* p = raw_string_at(pos_, name);
  current_.name_ = name;
  current_.nb_args_ = std::to_integer<std::uint8_t>(*p++);
  const std::byte* args = p;
  for (unsigned i = 0; i < current_.nb_args_; ++i) p = skip_value_at(raw_string_at(p, name));
  current_.encoded_args_ = std::span<const std::byte>(args, p);
  next_ = p;
}

NotifyView::iterator& NotifyView::iterator::operator++() {
  pos_ = next_;
  load();
  return *this;
}

NotifyView::iterator NotifyView::begin() const {
  return iterator(payload_.data(), payload_.data() + payload_.size());
}

NotifyView::iterator NotifyView::end() const {
  const std::byte* e = payload_.data() + payload_.size();
  return iterator(e, e);
}

}  // namespace spop
