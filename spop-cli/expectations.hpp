// Evaluating --expect assertions against the variables an ACK leaves behind, named as HAProxy names them.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "spop-cli/arg_parse.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spop_cli {

/// Variables after an ACK, keyed by HAProxy's full name ("txn.iprep.ip_score").
using VariableMap = std::map<std::string, TypedValue, std::less<>>;

/// Applies one action the way HAProxy does for sess/txn/req/res: SET-VAR sets, a SET-VAR of NULL and
/// UNSET-VAR remove. (proc variables are treated the same: the client has no process to compare with.)
void apply_action(VariableMap& vars, spop::ActionType type, std::string_view variable, const spop::Value& value);

struct ExpectationOutcome {
  bool ok = false;
  std::string actual;  ///< what the variable holds ("int32:42", "not set"), for the report
};

ExpectationOutcome evaluate(const Expectation& e, const VariableMap& vars);

}  // namespace spop_cli
