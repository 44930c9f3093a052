// The `event ... if|unless <cond>` conditions of spoe-messages, as far as spop-sim can decide them
// without a real HAProxy: conditions made only of the constant ACLs TRUE and FALSE, `{ always_true }`
// and `{ always_false }`, negated with `!`, joined by AND (juxtaposition) and `||`/`or`. Anything else
// (request-dependent ACLs) is reported as unsupported, and the driver sends the message anyway.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spop::sim {

/// The outcome of a condition: true when the message is sent, false when it is skipped, nullopt when
/// the condition uses something spop-sim does not evaluate (`why` then names it). An empty condition
/// is true.
std::optional<bool> evaluate_static_condition(std::string_view condition, std::string& why);

}  // namespace spop::sim
