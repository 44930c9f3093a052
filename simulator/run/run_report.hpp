// What `spop-sim run` measured and saw: throughput, the latency histogram, errors by kind, the
// variables the agent set per message, each fault's injections and the agent's reactions, failed
// expectations. Rendered as text for people, JSON for machines (report_json.cpp) and HTML (html_report.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/expectations.hpp"
#include "simulator/run/histogram.hpp"

namespace spop::sim {

/// One variable as seen in the ACKs answering a message.
struct VariableSeen {
  std::uint64_t count = 0;                        ///< ACKs that set it
  std::map<std::string, std::uint64_t, std::less<>> types;  ///< "int32" -> count ("unset" for UNSET-VAR / NULL)
  std::string example;                            ///< the first value, as spop::describe() writes it
};

/// One fault: how often it was injected and how the agent reacted each time.
struct FaultOutcome {
  std::string name;                               ///< "oversize_frame"
  std::uint64_t injected = 0;
  std::map<std::string, std::uint64_t> reactions;  ///< "AGENT-DISCONNECT 3 \"frame is too big\"" -> count
  /// Every reaction is one HAProxy accepts (no protocol error on HAProxy's side).
  bool haproxy_accepts = true;
  std::string expected;                           ///< what a correct agent does, for people
};

/// Completed requests and errors in one time slice, for the throughput chart.
struct TimeSlice {
  double start_s = 0;
  std::uint64_t completed = 0;
  std::uint64_t errors = 0;
};

struct RunReport {
  std::string agent;                ///< address
  std::string profile;              ///< "2.6"
  std::string mode;                 ///< "closed loop, 4 connections x 8" / "open loop, 2000 req/s"
  double elapsed_s = 0;
  std::uint64_t sent = 0;           ///< NOTIFYs sent
  std::uint64_t completed = 0;      ///< requests answered by a matching ACK
  std::uint64_t errors = 0;         ///< requests that failed (timeout, agent disconnect, protocol error...)
  std::uint64_t aborted = 0;        ///< requests cut short by an injected fault (not errors)
  /// ACKs that match no waiting NOTIFY (late after a processing timeout, or for nothing), which the
  /// profile ignores as HAProxy does (3.1 disconnects instead for ids it never opened).
  std::uint64_t ignored_acks = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t bytes_out = 0, bytes_in = 0;
  double cpu_s = 0;                 ///< CPU time (user + system) spop-sim used during the run
  std::map<std::string, std::uint64_t> errors_by_kind;
  /// Agent behaviour HAProxy tolerates but that deserves a look ("ACK actions cut short: ..."), with counts.
  std::map<std::string, std::uint64_t> anomalies;
  LatencyHistogram latency;         ///< round trips of completed requests (ns)
  /// message name -> variable full name -> what was seen.
  std::map<std::string, std::map<std::string, VariableSeen, std::less<>>, std::less<>> variables;
  std::vector<FaultOutcome> faults;
  std::optional<std::string> healthcheck;  ///< the initial health check's outcome, when one was run
  std::vector<Violation> violations;       ///< the first ones (capped), with...
  std::uint64_t violation_count = 0;       ///< ...the total
  std::vector<std::string> warnings;
  std::vector<TimeSlice> timeline;
  double slice_s = 0.1;

  double throughput() const { return elapsed_s > 0 ? static_cast<double>(completed) / elapsed_s : 0; }
  double error_rate() const;  ///< errors / (completed + errors)
  bool expectations_failed() const { return violation_count > 0; }
};

/// The percentiles every report shows: p50, p90, p99, p99.9 and max.
struct NamedQuantile {
  const char* label;
  double quantile;
};
inline constexpr NamedQuantile report_quantiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1.0}};

std::string to_text(const RunReport& r);
nlohmann::json to_json(const RunReport& r);
/// A self-contained HTML page: summary tables, a latency histogram and a throughput chart in inline SVG.
std::string to_html(const RunReport& r);

}  // namespace spop::sim
