// Checks a run against a scenario's expectations: the variables HAProxy would hold after each request
// (per message carried by its NOTIFY), the error rate and the latency quantiles. Reports violations
// as data; the driver decides how to print them and what exit status they mean.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/diagnostic.hpp"
#include "simulator/scenario.hpp"
#include "spop/value.hpp"

namespace spop::sim {

/// The variables set after one request, by full name ("txn.iprep.ip_score"). Values may view bytes
/// owned elsewhere (an ACK buffer): they need to live only for the duration of the check.
using VariableMap = std::map<std::string, spop::Value, std::less<>>;

/// One failed expectation.
struct Violation {
  std::string subject;   ///< "check-client-ip txn.iprep.ip_score", "error rate", "latency p99"
  std::string message;   ///< "is int32:500, expected one of: int:1..100"
  SourceLocation where;  ///< the expectation in the scenario file
};

std::string to_string(const Violation& v);  ///< "scenario.yaml:12:7: latency p99: ..."

/// Checks one request whose NOTIFY carried `messages` (message names): for each of them that has
/// expectations, every listed variable must match one of its accepted specs. A variable absent from
/// `variables`, or set to NULL, is not set.
std::vector<Violation> check_request(const Expectations& expect, std::span<const std::string_view> messages,
                                     const VariableMap& variables);

/// What a finished run measured.
struct RunTotals {
  std::uint64_t requests = 0;  ///< requests that finished, successfully or not
  std::uint64_t errors = 0;    ///< requests that failed (processing error, timeout, disconnect)
  /// Latency at a quantile in (0, 1]; 1 is the maximum. May be empty when no latency bound is set.
  std::function<std::chrono::microseconds(double quantile)> latency;
};

/// Checks the error rate and the latency bounds. Nothing is checked when no request finished.
std::vector<Violation> check_totals(const Expectations& expect, const RunTotals& totals);

}  // namespace spop::sim
