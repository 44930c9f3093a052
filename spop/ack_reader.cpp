#include "spop/ack_reader.hpp"

#include "spop/wire.hpp"

namespace spop {

namespace {

// One action as HAProxy reads it: type, nb-args (3 for SET-VAR, 2 for UNSET-VAR), scope 0..4, name,
// and for SET-VAR a value. Anything else stops the whole list without error.
Errc read_action(WireReader& r, Action& a) {
  std::uint8_t type = 0;
  std::uint8_t nb_args = 0;
  std::uint8_t scope = 0;
  if (Errc e = r.read_u8(type); e != Errc::ok) return e;
  if (type != static_cast<std::uint8_t>(ActionType::set_var) && type != static_cast<std::uint8_t>(ActionType::unset_var)) {
    return Errc::invalid_payload;
  }
  a.type = static_cast<ActionType>(type);
  if (Errc e = r.read_u8(nb_args); e != Errc::ok) return e;
  if (nb_args != (a.type == ActionType::set_var ? 3 : 2)) return Errc::invalid_payload;
  if (Errc e = r.read_u8(scope); e != Errc::ok) return e;
  if (scope > static_cast<std::uint8_t>(Scope::res)) return Errc::invalid_payload;
  a.scope = static_cast<Scope>(scope);
  if (Errc e = r.read_raw_string(a.name); e != Errc::ok) return e;
  a.value = Value::null();
  if (a.type != ActionType::set_var) return Errc::ok;
  Errc e = r.read_value(a.value);
  if (e == Errc::reserved_type) {
    // spoe_decode_data() has no case for ids 10-15: it takes the type byte only and leaves the sample
    // typed ANY, which spoe_decode_action_set_var() then treats as an unset, as for NULL.
    std::uint8_t skipped = 0;
    return r.read_u8(skipped);
  }
  return e;
}

}  // namespace

void read_ack_actions(std::span<const std::byte> payload, AckContents& out) {
  out.actions.clear();
  out.stop_reason = Errc::ok;
  out.stop_offset = 0;
  WireReader r(payload);
  while (!r.empty()) {
    const std::size_t start = r.offset();
    Action a;
    if (Errc e = read_action(r, a); e != Errc::ok) {
      out.stop_reason = e;
      out.stop_offset = start;
      return;
    }
    out.actions.push_back(a);
  }
  out.stop_offset = r.offset();
}

}  // namespace spop
