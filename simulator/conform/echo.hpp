// The test message `spop-conformance-echo` that an agent may implement so that the checks can see what
// it decoded: for each argument, in order, one SET-VAR in scope txn named like the argument with the
// argument's value. Argument names start with the value's type (`null`, `bool`, `int32`, `uint32`,
// `int64`, `uint64`, `ipv4`, `ipv6`, `str`, `bin`), optionally followed by `_` and a suffix, so that a
// script that cannot see wire types (Lua) picks the setter from the name. Integers may come back as any
// integer type with the same 64 bits, because HAProxy reads all four into one int64 (§2.2). An ACK
// without actions means the agent does not implement the message.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spop/ack_reader.hpp"
#include "spop/value.hpp"

namespace spop::sim::conform {

inline constexpr std::string_view echo_message = "spop-conformance-echo";

/// Arguments for an echo NOTIFY, owning their names and bytes (views stay valid while it lives).
class EchoArgs {
 public:
  EchoArgs() = default;
  EchoArgs(const EchoArgs&) = delete;
  EchoArgs& operator=(const EchoArgs&) = delete;

  /// Adds an argument; STRING/BINARY bytes are copied.
  void add(std::string name, const Value& value);
  std::span<const Argument> args() const noexcept { return args_; }

 private:
  std::deque<std::string> store_;  // deque: adding never moves the strings the views point into
  std::vector<Argument> args_;
};

/// "" when `got` echoes `sent` exactly (as defined above), else the first difference.
std::string compare_echo(std::span<const Argument> sent, const AckContents& got);

}  // namespace spop::sim::conform
