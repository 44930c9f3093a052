#include "simulator/expectations.hpp"

#include <cstdio>

namespace spop::sim {

namespace {

std::string describe_micros(std::chrono::microseconds v) {
  const std::int64_t us = v.count();
  if (us % 1000 != 0) return std::to_string(us) + "us";
  if (us % 1'000'000 != 0) return std::to_string(us / 1000) + "ms";
  return std::to_string(us / 1'000'000) + "s";
}

std::string describe_accepted(const VarExpectation& v) {
  std::string s = v.any_of.size() == 1 ? "expected " : "expected one of: ";
  for (std::size_t i = 0; i < v.any_of.size(); ++i) s += (i == 0 ? "" : ", ") + v.any_of[i].spec();
  return s;
}

}  // namespace

std::string to_string(const Violation& v) { return to_string(v.where) + ": " + v.subject + ": " + v.message; }

std::vector<Violation> check_request(const Expectations& expect, std::span<const std::string_view> messages,
                                     const VariableMap& variables) {
  std::vector<Violation> out;
  for (const MessageExpectation& m : expect.messages) {
    bool sent = false;
    for (std::string_view name : messages) sent = sent || name == m.message;
    if (!sent) continue;
    for (const VarExpectation& v : m.variables) {
      const auto it = variables.find(v.variable);
      const spop::Value* value = it == variables.end() ? nullptr : &it->second;
      bool ok = false;
      for (const VarMatcher& matcher : v.any_of) ok = ok || matcher.matches(value);
      if (ok) continue;
      const std::string seen = value == nullptr || value->is_null() ? "is not set" : "is " + spop::describe(*value);
      out.push_back({m.message + " " + v.variable, seen + ", " + describe_accepted(v), v.where});
    }
  }
  return out;
}

std::vector<Violation> check_totals(const Expectations& expect, const RunTotals& totals) {
  std::vector<Violation> out;
  if (totals.requests == 0) return out;
  if (expect.max_error_rate) {
    const double rate = static_cast<double>(totals.errors) / static_cast<double>(totals.requests);
    if (rate > *expect.max_error_rate) {
      char text[160];
      std::snprintf(text, sizeof text, "%llu of %llu requests failed (%.4g%%), above the allowed %.4g%%",
                    static_cast<unsigned long long>(totals.errors), static_cast<unsigned long long>(totals.requests),
                    rate * 100, *expect.max_error_rate * 100);
      out.push_back({"error rate", text, expect.max_error_rate_where});
    }
  }
  if (!totals.latency) return out;
  for (const LatencyBound& b : expect.latency) {
    const std::chrono::microseconds seen = totals.latency(b.quantile);
    if (seen > b.limit) {
      out.push_back({"latency " + b.label, "is " + describe_micros(seen) + ", above " + describe_micros(b.limit),
                     b.where});
    }
  }
  return out;
}

}  // namespace spop::sim
