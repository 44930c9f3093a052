#include "spop-cli/frame_encoder.hpp"

#include "spop/wire.hpp"

namespace spop_cli {

namespace {

void put_typed(spop::WireWriter& w, const TypedValue& value, std::uint8_t type_byte) {
  const std::size_t at = w.buffer().size();
  w.put_value(value.view());
  if (type_byte != 0) w.buffer()[at] = static_cast<std::byte>(type_byte);
}

void put_payload(spop::WireWriter& w, const FrameModel& f) {
  switch (f.kind) {
    case PayloadKind::kv:
      for (const KvEntry& kv : f.kv) {
        w.put_raw_string(kv.key);
        put_typed(w, kv.value, kv.type_byte);
      }
      break;
    case PayloadKind::messages:
      for (const MessageEntry& m : f.messages) {
        w.put_raw_string(m.name);
        w.put_u8(static_cast<std::uint8_t>(m.args.size()));
        for (const ArgEntry& a : m.args) {
          w.put_raw_string(a.name);
          put_typed(w, a.value, a.type_byte);
        }
      }
      break;
    case PayloadKind::actions:
      for (const ActionEntry& a : f.actions) {
        w.put_u8(a.type);
        w.put_u8(a.type == static_cast<std::uint8_t>(spop::ActionType::set_var) ? 3 : 2);
        w.put_u8(a.scope);
        w.put_raw_string(a.name);
        if (a.type == static_cast<std::uint8_t>(spop::ActionType::set_var)) put_typed(w, a.value, a.type_byte);
      }
      break;
    case PayloadKind::raw:
      w.put_bytes(spop::byte_span(f.raw));
      break;
  }
  w.put_bytes(spop::byte_span(f.trailing));
}

}  // namespace

void encode_frame(const FrameModel& frame, std::vector<std::byte>& out) {
  const std::size_t start = out.size();
  spop::WireWriter w(out);
  w.put_u32(0);  // LEN, patched below
  if (frame.bad_header) {
    w.put_bytes(spop::byte_span(frame.trailing));
  } else {
    w.put_u8(frame.type);
    w.put_u32(frame.flags);
    w.put_varint(frame.stream_id);
    w.put_varint(frame.frame_id);
    put_payload(w, frame);
  }
  const std::size_t len = out.size() - start - spop::frame_length_prefix;
  for (std::size_t i = 0; i < 4; ++i) {
    out[start + i] = static_cast<std::byte>((len >> (24 - 8 * i)) & 0xFF);
  }
}

}  // namespace spop_cli
