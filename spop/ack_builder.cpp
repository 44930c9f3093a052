#include "spop/ack_builder.hpp"

#include <algorithm>
#include <cstring>

#include "spop/varint.hpp"
#include "spop/wire.hpp"

namespace spop {

namespace {

// The hot path of the agent: each action is sized first, then written with direct stores into room
// that append() makes (usually spare bytes already there), so that building an ACK costs no per-byte
// bookkeeping and, in steady state, no vector call.

// Spare bytes added when *out_ must grow, so that the following actions need no vector call.
constexpr std::size_t spare_bytes = 128;

std::byte* put_raw(std::byte* p, std::string_view s) {
  p += encode_varint(s.size(), p);
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

std::byte* put_value(std::byte* p, const Value& v) {
  const auto type = static_cast<std::uint8_t>(v.type());
  switch (v.type()) {
    case DataType::null:
      *p++ = std::byte{type};
      return p;
    case DataType::boolean:
      *p++ = static_cast<std::byte>(type | (v.as_bool() ? data_flag_true : 0));
      return p;
    case DataType::int32:
    case DataType::uint32:
    case DataType::int64:
    case DataType::uint64:
      *p++ = std::byte{type};
      return p + encode_varint(v.as_uint64(), p);
    case DataType::ipv4:
      *p++ = std::byte{type};
      std::memcpy(p, v.as_ipv4().bytes.data(), 4);
      return p + 4;
    case DataType::ipv6:
      *p++ = std::byte{type};
      std::memcpy(p, v.as_ipv6().bytes.data(), 16);
      return p + 16;
    case DataType::string:
    case DataType::binary:
      *p++ = std::byte{type};
      return put_raw(p, v.as_bytes());
  }
  return p;
}

}  // namespace

AckBuilder::AckBuilder(std::vector<std::byte>& out, std::uint64_t stream_id, std::uint64_t frame_id,
                       std::uint32_t max_frame_size)
    : out_(&out),
      start_(out.size()),
      end_(out.size()),
      stream_id_(stream_id),
      frame_id_(frame_id),
      max_frame_size_(max_frame_size) {
  const std::size_t header = frame_length_prefix + 1 + 4 + varint_size(stream_id) + varint_size(frame_id);
  std::byte* p = append(header) + frame_length_prefix;
  *p++ = static_cast<std::byte>(FrameType::ack);
  *p++ = std::byte{0};
  *p++ = std::byte{0};
  *p++ = std::byte{0};
  *p++ = static_cast<std::byte>(frame_flags::fin);
  p += encode_varint(stream_id, p);
  encode_varint(frame_id, p);
}

AckBuilder::~AckBuilder() {
  if (open_ && out_->size() > end_) out_->resize(end_);
}

std::byte* AckBuilder::append(std::size_t n) {
  const std::size_t at = end_;
  if (out_->size() < at + n) {
    // Callers checked n against remaining(), except for the header: the spare never passes the frame limit.
    const std::size_t limit = start_ + frame_length_prefix + max_frame_size_;
    out_->resize(std::max(at + n, std::min(at + n + spare_bytes, limit)));
  }
  end_ = at + n;
  return out_->data() + at;
}

std::size_t AckBuilder::frame_length() const noexcept { return end_ - start_ - frame_length_prefix; }

std::size_t AckBuilder::remaining() const noexcept {
  const std::size_t len = frame_length();
  return len >= max_frame_size_ ? 0 : max_frame_size_ - len;
}

Errc AckBuilder::set_var(Scope scope, std::string_view name, const Value& value) {
  const std::size_t need = 3 + WireWriter::raw_string_size(name) + WireWriter::value_size(value);
  if (need > remaining()) return Errc::frame_too_big;
  std::byte* p = append(need);
  *p++ = static_cast<std::byte>(ActionType::set_var);
  *p++ = std::byte{3};
  *p++ = static_cast<std::byte>(scope);
  p = put_raw(p, name);
  put_value(p, value);
  ++actions_;
  if (observer_ != nullptr) observer_(observer_context_, end_);
  return Errc::ok;
}

Errc AckBuilder::unset_var(Scope scope, std::string_view name) {
  const std::size_t need = 3 + WireWriter::raw_string_size(name);
  if (need > remaining()) return Errc::frame_too_big;
  std::byte* p = append(need);
  *p++ = static_cast<std::byte>(ActionType::unset_var);
  *p++ = std::byte{2};
  *p++ = static_cast<std::byte>(scope);
  put_raw(p, name);
  ++actions_;
  if (observer_ != nullptr) observer_(observer_context_, end_);
  return Errc::ok;
}

void AckBuilder::finish() noexcept {
  const auto len = static_cast<std::uint32_t>(frame_length());
  std::byte* p = out_->data() + start_;
  p[0] = static_cast<std::byte>(len >> 24);
  p[1] = static_cast<std::byte>(len >> 16);
  p[2] = static_cast<std::byte>(len >> 8);
  p[3] = static_cast<std::byte>(len);
  out_->resize(end_);  // drops the spare bytes; shrinking never allocates
  open_ = false;
}

void AckBuilder::cancel() noexcept {
  out_->resize(start_);
  end_ = start_;
  actions_ = 0;
  open_ = false;
}

}  // namespace spop
