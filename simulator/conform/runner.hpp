// Runs the selected checks, in registry order, once per profile, after learning what the agent
// announces (capabilities, frame size) and whether it implements spop-conformance-echo.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "simulator/conform/check.hpp"

namespace spop::sim::conform {

struct RunOptions {
  Endpoint endpoint;
  std::shared_ptr<const spop::netclient::ClientContext> tls;  ///< --tls...: null for plaintext
  std::vector<HaproxyProfile> profiles{HaproxyProfile::v2_6, HaproxyProfile::v3_1};
  std::vector<const Check*> checks;  ///< in registry order; empty = all
  Millis timeout{2000};
};

struct Result {
  const Check* check = nullptr;
  HaproxyProfile profile = HaproxyProfile::v2_6;
  Outcome outcome;
  Millis duration{0};
  /// A failed MUST check.
  bool failed() const { return outcome.verdict == Verdict::fail && check->level == Level::must; }
  /// A failed SHOULD check.
  bool warned() const { return outcome.verdict == Verdict::fail && check->level == Level::should; }
};

struct ProfileFacts {
  HaproxyProfile profile = HaproxyProfile::v2_6;
  AgentFacts facts;
  std::string handshake_error;  ///< why the first handshake failed ("" when it worked)
};

struct Report {
  Endpoint endpoint;
  std::vector<ProfileFacts> profiles;
  std::vector<Result> results;
  std::size_t count(Verdict v) const;
  std::size_t failures() const;  ///< failed MUST checks
  std::size_t warnings() const;  ///< failed SHOULD checks
  /// 0 when no MUST check failed, else 1.
  int exit_status() const { return failures() == 0 ? 0 : 1; }
};

/// Picks checks by exact id ("HS-01") or group prefix ("HS"), case-insensitive; an empty list selects
/// all. Returns "" or the first selector that matches nothing (selectors must not be empty).
std::string select_checks(const std::vector<std::string>& selectors, std::vector<const Check*>& out);

/// Runs the suite. Returns nullopt with `error` set when the agent cannot be reached at all (no TCP
/// connection), which is exit status 2. `progress` (optional) sees each result as it is produced.
std::optional<Report> run_suite(const RunOptions& options, std::string& error,
                                const std::function<void(const Result&)>& progress = {});

}  // namespace spop::sim::conform
