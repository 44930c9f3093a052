#include "spop-cli/expectations.hpp"

namespace spop_cli {

void apply_action(VariableMap& vars, spop::ActionType type, std::string_view variable, const spop::Value& value) {
  if (type == spop::ActionType::set_var && !value.is_null()) {
    vars.insert_or_assign(std::string(variable), TypedValue(value));
    return;
  }
  if (auto it = vars.find(variable); it != vars.end()) vars.erase(it);
}

namespace {

bool matches(const Expectation& e, const spop::Value& v) {
  switch (e.kind) {
    case Expectation::Kind::present:
      return true;
    case Expectation::Kind::absent:
      return false;
    case Expectation::Kind::equals: {
      const spop::Value want = e.value.view();
      // HAProxy reads every integer type into one int64, so `int:` compares the 64 bits only.
      if (e.any_integer) return v.is_integer() && v.as_int64() == want.as_int64();
      return v == want;
    }
    case Expectation::Kind::int_range: {
      if (!v.is_integer() || (!e.any_integer && v.type() != e.integer_type)) return false;
      const std::int64_t x = v.as_int64();
      return (!e.low || x >= *e.low) && (!e.high || x <= *e.high);
    }
  }
  return false;
}

}  // namespace

ExpectationOutcome evaluate(const Expectation& e, const VariableMap& vars) {
  const auto it = vars.find(e.variable);
  if (it == vars.end()) return {e.kind == Expectation::Kind::absent, "not set"};
  const spop::Value v = it->second.view();
  return {matches(e, v), spop::describe(v)};
}

}  // namespace spop_cli
