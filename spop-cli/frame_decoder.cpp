#include "spop-cli/frame_decoder.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "spop-cli/frame_printer.hpp"
#include "spop/frame.hpp"
#include "spop/varint.hpp"
#include "spop/wire.hpp"

namespace spop_cli {

namespace {

// 'name' as sent, or display_name's quoted \xNN form when raw bytes would garble the message.
std::string name_in_message(std::string_view name) {
  std::string shown = display_name(name);
  return shown.starts_with('"') ? shown : "'" + shown + "'";
}

std::string as_string(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A 10-byte varint can carry bits past the 64th, which HAProxy drops as we do: it reads as a value whose
// own encoding is other bytes. Encode writes that encoding, so such a frame re-encodes to other bytes:
// say so. `shortest` is what encode writes for the item.
void note_if_not_shortest(FrameModel& f, std::string_view what, std::span<const std::byte> read,
                          std::span<const std::byte> shortest) {
  if (std::equal(read.begin(), read.end(), shortest.begin(), shortest.end())) return;
  f.notes.push_back(std::string(what) + " is not in its shortest varint form (" + std::to_string(read.size()) +
                    " bytes; HAProxy reads the same value, encode writes the shortest form)");
}

// Reads a payload and records, for the first failure, the absolute offset and a reason naming the item.
class PayloadDecoder {
 public:
  PayloadDecoder(std::span<const std::byte> payload, std::size_t payload_offset, FrameModel& frame)
      : payload_(payload), r_(payload), base_(payload_offset), frame_(frame) {}

  void decode() {
    switch (frame_.kind) {
      case PayloadKind::kv:
        return decode_kv();
      case PayloadKind::messages:
        return decode_messages();
      case PayloadKind::actions:
        return decode_actions();
      case PayloadKind::raw:
        frame_.raw = as_string(r_.rest());
        return;
    }
  }

 private:
  std::size_t here() const noexcept { return base_ + r_.offset(); }

  // Records the failure of reading `what`, which started at `at` (payload-relative), and keeps the
  // bytes from `item_start` on as trailing bytes so that the frame re-encodes unchanged.
  void fail(spop::Errc e, std::string_view what, std::size_t item_start) {
    const std::size_t at = r_.offset();
    std::string reason(what);
    switch (e) {
      case spop::Errc::truncated:
        reason += " runs past the end of the frame (" + std::to_string(r_.remaining()) + " bytes left)";
        break;
      case spop::Errc::varint_too_long:
        reason += ": varint longer than 10 bytes";
        break;
      case spop::Errc::reserved_type: {
        const auto id = std::to_integer<unsigned>(r_.rest().front()) & spop::data_type_mask;
        reason += ": reserved data type id " + std::to_string(id);
        break;
      }
      default:
        reason += ": " + spop::make_error_code(e).message();
        break;
    }
    frame_.issue = DecodeIssue{base_ + at, std::move(reason)};
    frame_.trailing = as_string(payload_.subspan(item_start));
  }

  void fail_here(std::string reason, std::size_t at, std::size_t item_start) {
    frame_.issue = DecodeIssue{base_ + at, std::move(reason)};
    frame_.trailing = as_string(payload_.subspan(item_start));
  }

  bool read_name(std::string& out, std::string_view what, std::size_t item_start) {
    const std::size_t at = r_.offset();
    std::string_view s;
    if (spop::Errc e = r_.read_raw_string(s); e != spop::Errc::ok) {
      fail(e, what, item_start);
      return false;
    }
    out.assign(s);
    std::vector<std::byte> shortest;
    spop::WireWriter(shortest).put_raw_string(s);
    note_if_not_shortest(frame_, what, payload_.subspan(at, r_.offset() - at), shortest);
    return true;
  }

  bool read_value(TypedValue& out, std::uint8_t& type_byte, std::string_view what, std::size_t item_start) {
    const std::size_t at = r_.offset();
    if (!r_.empty()) type_byte = std::to_integer<std::uint8_t>(r_.rest().front());
    spop::Value v;
    if (spop::Errc e = r_.read_value(v); e != spop::Errc::ok) {
      fail(e, what, item_start);
      return false;
    }
    out = TypedValue(v);
    std::vector<std::byte> shortest;
    (void)spop::WireWriter(shortest).put_value(v);
    shortest.front() = payload_[at];  // the type byte as sent (flag bits and all), which encode keeps
    note_if_not_shortest(frame_, what, payload_.subspan(at, r_.offset() - at), shortest);
    note_if_wider_than_its_type(v, what);
    return true;
  }

  // The wire allows it (every integer is a 64-bit varint), but the peer declared 32 bits.
  void note_if_wider_than_its_type(const spop::Value& v, std::string_view what) {
    const bool wide = (v.type() == spop::DataType::int32 &&
                       (v.as_int64() < std::numeric_limits<std::int32_t>::min() ||
                        v.as_int64() > std::numeric_limits<std::int32_t>::max())) ||
                      (v.type() == spop::DataType::uint32 && v.as_uint64() > std::numeric_limits<std::uint32_t>::max());
    if (!wide) return;
    frame_.notes.push_back(std::string(what) + ": " + spop::describe(v) +
                           " does not fit in 32 bits (HAProxy reads every integer as 64 bits)");
  }

  void decode_kv() {
    while (!r_.empty()) {
      const std::size_t start = r_.offset();
      KvEntry kv;
      kv.offset = here();
      if (!read_name(kv.key, "KV key", start)) return;
      if (!read_value(kv.value, kv.type_byte, "value of " + name_in_message(kv.key), start)) return;
      frame_.kv.push_back(std::move(kv));
    }
  }

  void decode_messages() {
    while (!r_.empty()) {
      const std::size_t start = r_.offset();
      MessageEntry m;
      m.offset = here();
      if (!read_name(m.name, "message name", start)) return;
      std::uint8_t nb_args = 0;
      if (spop::Errc e = r_.read_u8(nb_args); e != spop::Errc::ok) {
        return fail(e, "argument count of message " + name_in_message(m.name), start);
      }
      for (unsigned i = 0; i < nb_args; ++i) {
        ArgEntry a;
        a.offset = here();
        const std::string which =
            "argument " + std::to_string(i + 1) + "/" + std::to_string(nb_args) + " of message " + name_in_message(m.name);
        if (!read_name(a.name, "name of " + which, start)) return;
        if (!read_value(a.value, a.type_byte, "value of " + which, start)) return;
        m.args.push_back(std::move(a));
      }
      frame_.messages.push_back(std::move(m));
    }
  }

  // HAProxy stops silently at the first bad action; decode reports it as an issue so that people see it.
  void decode_actions() {
    while (!r_.empty()) {
      const std::size_t start = r_.offset();
      ActionEntry a;
      a.offset = here();
      std::uint8_t nb_args = 0;
      if (spop::Errc e = r_.read_u8(a.type); e != spop::Errc::ok) return fail(e, "action type", start);
      if (a.type != 1 && a.type != 2) {
        return fail_here("unknown action type " + std::to_string(a.type) +
                             " (1 set-var, 2 unset-var): HAProxy ignores the rest of the ACK",
                         start, start);
      }
      const std::string what = a.type == 1 ? "set-var" : "unset-var";
      const std::size_t nb_at = r_.offset();
      if (spop::Errc e = r_.read_u8(nb_args); e != spop::Errc::ok) return fail(e, what + " argument count", start);
      const unsigned want = a.type == 1 ? 3 : 2;
      if (nb_args != want) {
        return fail_here(what + " has " + std::to_string(nb_args) + " arguments, " + std::to_string(want) +
                             " expected: HAProxy ignores the rest of the ACK",
                         nb_at, start);
      }
      const std::size_t scope_at = r_.offset();
      if (spop::Errc e = r_.read_u8(a.scope); e != spop::Errc::ok) return fail(e, what + " scope", start);
      if (a.scope > static_cast<std::uint8_t>(spop::Scope::res)) {
        return fail_here(what + " scope " + std::to_string(a.scope) +
                             " is not 0-4 (proc, sess, txn, req, res): HAProxy ignores the rest of the ACK",
                         scope_at, start);
      }
      if (!read_name(a.name, what + " variable name", start)) return;
      if (a.type == 1 && !read_value(a.value, a.type_byte, "value of set-var " + name_in_message(a.name), start)) return;
      frame_.actions.push_back(std::move(a));
    }
  }

  std::span<const std::byte> payload_;
  spop::WireReader r_;
  std::size_t base_;
  FrameModel& frame_;
};

bool is_connection_frame(std::uint8_t type) {
  using spop::FrameType;
  return type == static_cast<std::uint8_t>(FrameType::haproxy_hello) ||
         type == static_cast<std::uint8_t>(FrameType::haproxy_disconnect) ||
         type == static_cast<std::uint8_t>(FrameType::agent_hello) ||
         type == static_cast<std::uint8_t>(FrameType::agent_disconnect);
}

void add_notes(FrameModel& f) {
  constexpr std::uint32_t known_flags = spop::frame_flags::fin | spop::frame_flags::abort;
  if ((f.flags & ~known_flags) != 0) f.notes.push_back("reserved flag bits are set");
  if (is_connection_frame(f.type) && (f.stream_id != 0 || f.frame_id != 0)) {
    f.notes.push_back("stream-id and frame-id must be 0 on this frame (HAProxy refuses it: status 4)");
  }
  if (f.type != static_cast<std::uint8_t>(spop::FrameType::notify) &&
      f.type != static_cast<std::uint8_t>(spop::FrameType::unset) && (f.flags & spop::frame_flags::fin) == 0) {
    f.notes.push_back("no FIN flag: HAProxy does not accept fragmented frames of this type (status 10)");
  }
  if (f.kind == PayloadKind::raw && f.type != static_cast<std::uint8_t>(spop::FrameType::unset) &&
      f.type != static_cast<std::uint8_t>(spop::FrameType::notify)) {
    f.notes.push_back("unknown frame type: HAProxy reads and ignores it");
  }
  if (f.kind == PayloadKind::raw && (f.type == static_cast<std::uint8_t>(spop::FrameType::unset) ||
                                     f.type == static_cast<std::uint8_t>(spop::FrameType::notify))) {
    f.notes.push_back("a fragment of a fragmented NOTIFY (payload shown as bytes)");
  }
}

}  // namespace

FrameModel decode_frame_body(std::span<const std::byte> body, std::size_t frame_offset) {
  FrameModel f;
  f.offset = frame_offset;
  f.length = static_cast<std::uint32_t>(body.size());
  const std::size_t body_offset = frame_offset + spop::frame_length_prefix;
  spop::WireReader r(body);
  // The header, field by field, so that a bad one is named with its offset.
  const auto header_issue = [&](spop::Errc e, std::string_view what) {
    f.issue = DecodeIssue{body_offset + r.offset(),
                          std::string(what) + (e == spop::Errc::varint_too_long ? ": varint longer than 10 bytes"
                                                                                : " runs past the end of the frame")};
    f.trailing = as_string(body);
    f.bad_header = true;
    return f;
  };
  if (spop::Errc e = r.read_u8(f.type); e != spop::Errc::ok) return header_issue(e, "frame type");
  if (spop::Errc e = r.read_u32(f.flags); e != spop::Errc::ok) return header_issue(e, "frame flags");
  const auto read_id = [&](std::uint64_t& id, std::string_view what) {
    const std::size_t at = r.offset();
    const spop::Errc e = r.read_varint(id);
    if (e == spop::Errc::ok) {
      std::byte shortest[10];
      note_if_not_shortest(f, what, body.subspan(at, r.offset() - at),
                           std::span(shortest, spop::encode_varint(id, shortest)));
    }
    return e;
  };
  if (spop::Errc e = read_id(f.stream_id, "stream-id"); e != spop::Errc::ok) return header_issue(e, "stream-id");
  if (spop::Errc e = read_id(f.frame_id, "frame-id"); e != spop::Errc::ok) return header_issue(e, "frame-id");
  f.kind = payload_kind(f.type, f.flags);
  PayloadDecoder(r.rest(), body_offset + r.offset(), f).decode();
  add_notes(f);
  return f;
}

StreamDecode decode_stream(std::span<const std::byte> data, const DecodeOptions& options) {
  StreamDecode d;
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t at = options.base_offset + pos;
    const auto rest = data.subspan(pos);
    std::uint32_t len = 0;
    if (spop::peek_frame_length(rest, len) != spop::Errc::ok) {
      d.stream_error = DecodeIssue{
          at, "frame length cut short: " + std::to_string(rest.size()) + " bytes left, the length field takes 4"};
      break;
    }
    if (len < spop::min_frame_length) {
      d.stream_error = DecodeIssue{at, "frame length " + std::to_string(len) + " is below the minimum of 7"};
      break;
    }
    if (options.max_frame_size != 0 && len > options.max_frame_size) {
      d.stream_error = DecodeIssue{at, "frame length " + std::to_string(len) + " is above the maximum frame size " +
                                           std::to_string(options.max_frame_size)};
      break;
    }
    if (rest.size() - spop::frame_length_prefix < len) {
      d.stream_error = DecodeIssue{at, "frame cut short: its length is " + std::to_string(len) + " but only " +
                                           std::to_string(rest.size() - spop::frame_length_prefix) + " bytes follow"};
      break;
    }
    d.frames.push_back(decode_frame_body(rest.subspan(spop::frame_length_prefix, len), at));
    pos += spop::frame_length_prefix + len;
  }
  d.consumed = pos;
  return d;
}

bool has_errors(const StreamDecode& d) noexcept {
  if (d.stream_error) return true;
  for (const auto& f : d.frames) {
    if (f.issue) return true;
  }
  return false;
}

}  // namespace spop_cli
