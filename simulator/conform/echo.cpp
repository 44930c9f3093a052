// Building echo arguments and comparing an ACK with them.
#include "simulator/conform/echo.hpp"

namespace spop::sim::conform {

void EchoArgs::add(std::string name, const Value& value) {
  store_.push_back(std::move(name));
  const std::string_view stored_name = store_.back();
  Value v = value;
  if (value.type() == DataType::string || value.type() == DataType::binary) {
    store_.emplace_back(value.as_bytes());
    v = value.type() == DataType::string ? Value::string(store_.back()) : Value::binary(store_.back());
  }
  args_.push_back(Argument{stored_name, v});
}

namespace {

bool same_value(const Value& sent, const Value& got) {
  if (sent.is_integer()) return got.is_integer() && got.as_uint64() == sent.as_uint64();
  return sent == got;
}

}  // namespace

std::string compare_echo(std::span<const Argument> sent, const AckContents& got) {
  const std::size_t n = std::min(sent.size(), got.actions.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Argument& a = sent[i];
    const Action& act = got.actions[i];
    const std::string where = "argument " + std::to_string(i + 1) + " (" + std::string(a.name) + " = " +
                              describe(a.value) + "): ";
    if (act.type != ActionType::set_var) return where + "the ACK's action " + std::to_string(i + 1) + " is UNSET-VAR";
    if (act.scope != Scope::txn) {
      return where + "set in scope " + std::string(to_string(act.scope)) + " instead of txn";
    }
    if (act.name != a.name) return where + "the ACK sets '" + std::string(act.name) + "' instead";
    if (!same_value(a.value, act.value)) return where + "echoed as " + describe(act.value);
  }
  if (got.actions.size() != sent.size()) {
    return "sent " + std::to_string(sent.size()) + " argument(s), the ACK sets " +
           std::to_string(got.actions.size()) + " variable(s)";
  }
  return "";
}

}  // namespace spop::sim::conform
