// Decoding the LIST-OF-ACTIONS of an ACK, with HAProxy's rule of stopping at the first bad action.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spop {

struct Action {
  ActionType type = ActionType::set_var;
  Scope scope = Scope::txn;
  std::string_view name;
  Value value;  ///< NULL for UNSET-VAR
};

/// Result of reading an ACK payload the way HAProxy 2.6/3.x does (spoe_process_actions):
/// actions up to the first unknown action, wrong nb-args, bad scope or truncated item are kept;
/// the rest of the payload is ignored without error. `stop_reason` says why reading stopped early
/// (Errc::ok when the whole payload was read) and `stop_offset` where. A SET-VAR value with a reserved
/// type id (10-15) is read as HAProxy reads it: the type byte alone, giving a NULL value (an unset).
struct AckContents {
  std::vector<Action> actions;
  Errc stop_reason = Errc::ok;
  std::size_t stop_offset = 0;
};

/// Fills `out` (its vector is cleared first; views point into `payload`).
void read_ack_actions(std::span<const std::byte> payload, AckContents& out);

}  // namespace spop
