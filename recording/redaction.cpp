#include "recording/redaction.hpp"

#include <algorithm>
#include <random>

#include "spop/frame.hpp"
#include "spop/wire.hpp"

namespace spop::recording {

namespace {

void put_le64(std::byte* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

// The pseudo-random bytes that replace one value: block i is SipHash(key, h || i), h the hash of the
// value itself (so equal values give equal streams).
class Stream {
 public:
  Stream(const SipKey& key, std::uint64_t seed) noexcept : key_(key), seed_(seed) {}
  std::uint64_t next() noexcept {
    std::byte in[16];
    put_le64(in, seed_);
    put_le64(in + 8, counter_++);
    return siphash24(key_, in);
  }
  void fill(std::span<std::byte> out) noexcept {
    for (std::size_t i = 0; i < out.size(); i += 8) {
      const std::uint64_t v = next();
      for (std::size_t k = 0; k < 8 && i + k < out.size(); ++k) out[i + k] = static_cast<std::byte>(v >> (8 * k));
    }
  }

 private:
  const SipKey& key_;
  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
};

// Hash of a value: its type id, then its bytes as they identify it (the 64 integer bits, the address,
// the string's contents).
std::uint64_t value_hash(const SipKey& key, spop::DataType type, std::span<const std::byte> identity) {
  std::vector<std::byte> in;
  in.reserve(1 + identity.size());
  in.push_back(static_cast<std::byte>(type));
  in.insert(in.end(), identity.begin(), identity.end());
  return siphash24(key, in);
}

// The smallest value whose varint takes `n` bytes (1..10) and how many values take exactly n bytes
// (0 standing for 2^64 - first when n is 10): 240 one-byte values, then 2^(4 + 7 (n - 1)) for n >= 2,
// which puts the range edges at 240, 2288, 264432... (spop-protocol.md §2.1). n must be 1..10.
void varint_range(std::size_t n, std::uint64_t& first, std::uint64_t& count) noexcept {
  first = 0;
  count = 240;
  for (std::size_t k = 2; k <= n; ++k) {
    first += count;
    count = k == 10 ? 0 - first : std::uint64_t{1} << (4 + 7 * (k - 1));  // 10 bytes: the rest of 2^64
  }
}

}  // namespace

RedactionKey RedactionKey::random() {
  std::random_device rd;
  RedactionKey k;
  for (std::size_t i = 0; i < k.bytes.size(); i += 4) {
    const std::uint32_t v = rd();
    for (std::size_t b = 0; b < 4; ++b) k.bytes[i + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return k;
}

std::uint64_t RedactionKey::id() const noexcept {
  static constexpr char label[] = "spop recording key id";
  const std::uint64_t h = siphash24(bytes, std::as_bytes(std::span(label, sizeof label - 1)));
  return h == 0 ? 1 : h;
}

Redactor::Redactor(const RedactionKey& key, std::vector<std::string> argument_names)
    : key_(key), names_(std::move(argument_names)) {}

bool Redactor::wanted(std::string_view name) const noexcept {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool Redactor::redact_notify(std::span<std::byte> frame, std::size_t& replaced) const {
  replaced = 0;
  spop::Frame f;
  std::size_t consumed = 0;
  if (spop::split_frame(frame, UINT32_MAX, f, consumed) != spop::Errc::ok || consumed != frame.size() ||
      f.header.type != spop::FrameType::notify)
    return false;
  const std::size_t payload_at = frame.size() - f.payload.size();
  std::byte* const payload = frame.data() + payload_at;
  spop::WireReader r(f.payload);
  while (!r.empty()) {
    std::string_view name;
    std::uint8_t nb_args = 0;
    if (r.read_raw_string(name) != spop::Errc::ok || r.read_u8(nb_args) != spop::Errc::ok) return false;
    for (std::uint8_t i = 0; i < nb_args; ++i) {
      if (r.read_raw_string(name) != spop::Errc::ok) return false;
      const std::size_t start = r.offset();
      spop::Value v;
      if (r.read_value(v) != spop::Errc::ok) return false;
      if (!wanted(name)) continue;
      const std::size_t end = r.offset();
      std::byte* const data = payload + start + 1;  // after the type byte
      const std::size_t size = end - start - 1;
      switch (v.type()) {
        case spop::DataType::null:
        case spop::DataType::boolean:
          continue;
        case spop::DataType::string:
        case spop::DataType::binary: {
          const std::string_view bytes = v.as_bytes();
          std::byte* const content = payload + (reinterpret_cast<const std::byte*>(bytes.data()) - f.payload.data());
          Stream s(key_.bytes, value_hash(key_.bytes, v.type(), spop::byte_span(bytes)));
          const std::span<std::byte> out(content, bytes.size());
          s.fill(out);
          if (v.type() == spop::DataType::string) {
            static constexpr char digits[] = "0123456789abcdef";
            for (std::byte& b : out) b = static_cast<std::byte>(digits[std::to_integer<unsigned>(b) & 0xF]);
          }
          break;
        }
        case spop::DataType::ipv4:
        case spop::DataType::ipv6: {
          const std::span<const std::byte> address =
              v.type() == spop::DataType::ipv4 ? std::span<const std::byte>(std::as_bytes(std::span(v.as_ipv4().bytes)))
                                               : std::span<const std::byte>(std::as_bytes(std::span(v.as_ipv6().bytes)));
          Stream s(key_.bytes, value_hash(key_.bytes, v.type(), address));
          s.fill(std::span<std::byte>(data, size));
          break;
        }
        default: {  // the four integer types: a value of the same varint length
          std::byte bits[8];
          put_le64(bits, v.as_uint64());
          Stream s(key_.bytes, value_hash(key_.bytes, v.type(), bits));
          if (size == 0 || size > spop::max_varint_length) return false;
          std::uint64_t first = 0, count = 0;
          varint_range(size, first, count);
          const std::uint64_t x = s.next();
          const std::uint64_t value = first + (count == 0 ? x : x % count);
          spop::encode_varint(value, data);
          break;
        }
      }
      ++replaced;
    }
  }
  return true;
}

}  // namespace spop::recording
