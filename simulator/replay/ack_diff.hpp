// Comparing the ACK an agent sends now with the one it sent when the traffic was recorded: which
// variables (HAProxy's full names, "txn.iprep.score") end up with another type or value, are missing or
// were added, leaving out the --ignore patterns. Action order does not matter: what counts is the last
// action on each variable, as HAProxy applies them.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "spop/ack_reader.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop::sim::replay {

/// True when `text` matches `pattern`, where '*' stands for any run of characters (none included).
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

/// One variable that differs: its state before (recorded) and after (replayed), as
/// spop::describe() writes values ("int32:12"), "unset" (UNSET-VAR or a NULL value), or "(not set)".
struct VariableDifference {
  std::string variable;
  std::string before;
  std::string after;
};
inline constexpr std::string_view not_set = "(not set)";

class AckComparer {
 public:
  /// `var_prefix` names the recorded ACK's variables as the replayed ones are named; `ignore` holds
  /// patterns of variable names left out of the comparison.
  AckComparer(std::string var_prefix, std::vector<std::string> ignore);

  /// Compares a recorded ACK payload with a replayed ACK (its payload bytes and its actions as the
  /// HAProxy side read them). Fills `out` (cleared first) with the differing variables, sorted by name.
  /// Byte-identical payloads are equal without being decoded.
  void compare(std::span<const std::byte> recorded, std::span<const std::byte> replayed_payload,
               std::span<const spop::AckAction> replayed, std::vector<VariableDifference>& out);

  /// Whether a variable is left out (the answer is cached per name).
  bool ignored(std::string_view variable);
  /// Variable names left out so far.
  std::vector<std::string> ignored_names() const;

 private:
  struct Outcome {
    std::string name;
    std::string state;  // describe() of the value, or "unset"
  };
  void outcomes_of(std::span<const spop::AckAction> actions, std::vector<Outcome>& out);

  std::string prefix_;
  std::vector<std::string> ignore_;
  std::unordered_map<std::string, bool> ignored_;
  spop::AckContents recorded_;
  std::vector<spop::AckAction> recorded_actions_;
  std::string names_;
  std::vector<Outcome> before_, after_;
};

}  // namespace spop::sim::replay
