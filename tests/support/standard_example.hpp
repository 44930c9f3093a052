// The standard example of script-api.md as the engine tests call it: its NOTIFY arguments and a check
// of the ACK it must produce (the same eleven variables in every language).
#pragma once

#include <string>
#include <vector>

#include "spop/value.hpp"

namespace spoa::test {

/// The arguments of check-client-ip in the tests: true, 1234, 127.0.0.1, ::55, "127.0.0.1:10001".
std::vector<spop::Argument> standard_example_arguments();

/// Adds a gtest failure unless `ack_hex` (spop::test::to_hex() format) is the standard example's ACK for
/// stream 1, frame 1: ten txn variables in order, then sess.ip_score, a random 1..100.
void expect_standard_example_ack(const std::string& ack_hex);

}  // namespace spoa::test
