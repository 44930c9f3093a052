// The small languages of spop-cli's options: typed NOTIFY arguments (--arg NAME=TYPE:VALUE), ACK
// actions for `encode` (--set-var SCOPE.NAME=TYPE:VALUE, --unset-var SCOPE.NAME), KV items (--kv), and
// --expect assertions on the variables an ACK sets. Each parser returns "" on success or a one-line
// reason, which the commands print as a usage error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spop-cli/typed_value.hpp"
#include "spop/types.hpp"

namespace spop_cli {

/// One NOTIFY argument (or KV item): a name, possibly empty, and a value.
struct NamedValue {
  std::string name;
  TypedValue value;
};

/// "NAME=TYPE:VALUE"; "=TYPE:VALUE" is an unnamed argument (HAProxy's `args src`). The name ends at the
/// first '=', so it cannot contain one; the value may.
std::string parse_named_value(std::string_view text, NamedValue& out);

/// One ACK action for `encode`: SET-VAR (with a value) or UNSET-VAR.
struct ActionSpec {
  spop::ActionType type = spop::ActionType::set_var;
  spop::Scope scope = spop::Scope::txn;
  std::string name;
  TypedValue value;  ///< NULL for UNSET-VAR
};

/// "proc", "sess", "txn", "req" or "res" (HAProxy's scope names).
std::optional<spop::Scope> parse_scope(std::string_view text) noexcept;

/// --set-var "SCOPE.NAME=TYPE:VALUE" (txn.ip_score=int32:42). The scope ends at the first '.', the name
/// at the first '=' after it, so names may contain dots.
std::string parse_set_var(std::string_view text, ActionSpec& out);
/// --unset-var "SCOPE.NAME".
std::string parse_unset_var(std::string_view text, ActionSpec& out);

/// One --expect assertion on the variables after an ACK, named as HAProxy names them:
///   VAR=TYPE:VALUE   set, with that type and value (`int:` matches any integer type by value)
///   VAR=TYPE:LO..HI  an integer of that type (`int`: any) with LO <= value <= HI; either bound may be
///                    omitted (int:..10, int:5..). Integers compare as signed 64-bit, as HAProxy reads them.
///   VAR              set, to any value
///   !VAR             not set (never set, unset, or set to NULL, which HAProxy treats as an unset)
///   VAR=null         same as !VAR
struct Expectation {
  enum class Kind { present, absent, equals, int_range };
  std::string text;      ///< as given, for messages
  std::string variable;  ///< "txn.iprep.ip_score"
  Kind kind = Kind::present;
  TypedValue value;          ///< equals
  bool any_integer = false;  ///< equals / int_range with `int:`: any of the four integer types
  spop::DataType integer_type = spop::DataType::int64;  ///< int_range with a specific type
  std::optional<std::int64_t> low;
  std::optional<std::int64_t> high;
};

std::string parse_expectation(std::string_view text, Expectation& out);

}  // namespace spop_cli
