// The ordered list of all checks, built once from the group files.
#include <algorithm>
#include <string_view>

#include "simulator/conform/check.hpp"

namespace spop::sim::conform {

std::string_view to_string(Level level) { return level == Level::must ? "MUST" : "SHOULD"; }

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::skip: return "skip";
  }
  return "?";
}

Millis Context::quiet() const {
  // Long enough for a local agent to have answered, short enough to keep the suite quick.
  return std::clamp(timeout / 4, Millis(50), Millis(300));
}

std::span<const Check> all_checks() {
  static const std::vector<Check> checks = [] {
    std::vector<Check> v;
    add_handshake_checks(v);
    add_healthcheck_checks(v);
    add_notify_checks(v);
    add_type_checks(v);
    add_limit_checks(v);
    add_lifecycle_checks(v);
    add_fragmentation_checks(v);
    add_robustness_checks(v);
    return v;
  }();
  return checks;
}

}  // namespace spop::sim::conform
