#include "spop/wire.hpp"

#include <cstring>

#include "spop/varint.hpp"

namespace spop {

// ---- reading -------------------------------------------------------------------------------

Errc WireReader::read_varint_slow(std::uint64_t& v) noexcept {
  std::size_t used = 0;
  Errc e = decode_varint(data_.subspan(pos_), v, used);
  if (e == Errc::need_more) return Errc::truncated;
  if (e != Errc::ok) return e;
  pos_ += used;
  return Errc::ok;
}

Errc WireReader::read_value(Value& v) noexcept {
  const std::size_t start = pos_;
  std::uint8_t tb = 0;
  if (Errc e = read_u8(tb); e != Errc::ok) return e;
  const auto id = static_cast<std::uint8_t>(tb & data_type_mask);
  Errc e = Errc::ok;
  switch (id) {
    case 0: v = Value::null(); break;
    // HAProxy: true only when the flag nibble is exactly 0x10 (0x31 is false).
    case 1: v = Value::boolean((tb & data_flags_mask) == data_flag_true); break;
    case 2:
    case 3:
    case 4:
    case 5: {
      std::uint64_t bits = 0;
      e = read_varint(bits);
      if (e == Errc::ok) v = Value::integer(static_cast<DataType>(id), bits);
      break;
    }
    case 6: {
      std::span<const std::byte> b;
      e = read_bytes(4, b);
      if (e == Errc::ok) {
        Ipv4Address a;
        std::memcpy(a.bytes.data(), b.data(), 4);
        v = Value::ipv4(a);
      }
      break;
    }
    case 7: {
      std::span<const std::byte> b;
      e = read_bytes(16, b);
      if (e == Errc::ok) {
        Ipv6Address a;
        std::memcpy(a.bytes.data(), b.data(), 16);
        v = Value::ipv6(a);
      }
      break;
    }
    case 8:
    case 9: {
      std::string_view s;
      e = read_raw_string(s);
      // HAProxy only takes a string when the whole byte is 0x08; flags turn it into binary.
      if (e == Errc::ok) v = (tb == 0x08) ? Value::string(s) : Value::binary(s);
      break;
    }
    default: e = Errc::reserved_type; break;
  }
  if (e != Errc::ok) pos_ = start;
  return e;
}

Errc WireReader::skip_value() noexcept {
  const std::size_t start = pos_;
  std::uint8_t tb = 0;
  if (Errc e = read_u8(tb); e != Errc::ok) return e;
  Errc e = Errc::ok;
  std::uint64_t skipped = 0;
  std::string_view bytes;
  switch (tb & data_type_mask) {
    case 0:
    case 1: break;
    case 2:
    case 3:
    case 4:
    case 5: e = read_varint(skipped); break;
    case 6:
    case 7: {
      const std::size_t n = (tb & data_type_mask) == 6 ? 4 : 16;
      if (remaining() < n) {
        e = Errc::truncated;
      } else {
        pos_ += n;
      }
      break;
    }
    case 8:
    case 9: e = read_raw_string(bytes); break;
    default: e = Errc::reserved_type; break;
  }
  if (e != Errc::ok) pos_ = start;
  return e;
}

// ---- writing -------------------------------------------------------------------------------

Errc WireWriter::put_u8(std::uint8_t v) {
  if (room() < 1) return Errc::frame_too_big;
  out_->push_back(static_cast<std::byte>(v));
  return Errc::ok;
}

Errc WireWriter::put_u32(std::uint32_t v) {
  if (room() < 4) return Errc::frame_too_big;
  for (int shift = 24; shift >= 0; shift -= 8) out_->push_back(static_cast<std::byte>((v >> shift) & 0xFF));
  return Errc::ok;
}

Errc WireWriter::put_varint(std::uint64_t v) {
  std::byte tmp[max_varint_length];
  const std::size_t n = encode_varint(v, tmp);
  if (room() < n) return Errc::frame_too_big;
  out_->insert(out_->end(), tmp, tmp + n);
  return Errc::ok;
}

Errc WireWriter::put_bytes(std::span<const std::byte> v) {
  if (room() < v.size()) return Errc::frame_too_big;
  out_->insert(out_->end(), v.begin(), v.end());
  return Errc::ok;
}

Errc WireWriter::put_raw_string(std::string_view v) {
  if (room() < raw_string_size(v)) return Errc::frame_too_big;
  put_varint(v.size());
  return put_bytes(byte_span(v));
}

Errc WireWriter::put_value(const Value& v) {
  if (room() < value_size(v)) return Errc::frame_too_big;
  auto type = static_cast<std::uint8_t>(v.type());
  switch (v.type()) {
    case DataType::null: put_u8(type); break;
    case DataType::boolean: put_u8(static_cast<std::uint8_t>(type | (v.as_bool() ? data_flag_true : 0))); break;
    case DataType::int32:
    case DataType::uint32:
    case DataType::int64:
    case DataType::uint64:
      put_u8(type);
      put_varint(v.as_uint64());
      break;
    case DataType::ipv4:
      put_u8(type);
      put_bytes(std::as_bytes(std::span(v.as_ipv4().bytes)));
      break;
    case DataType::ipv6:
      put_u8(type);
      put_bytes(std::as_bytes(std::span(v.as_ipv6().bytes)));
      break;
    case DataType::string:
    case DataType::binary:
      put_u8(type);
      put_raw_string(v.as_bytes());
      break;
  }
  return Errc::ok;
}

}  // namespace spop
