#include "simulator/run/run_report.hpp"

#include <cstdio>

namespace spop::sim {

namespace {

std::string ms(std::uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string number(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string to_text(const RunReport& r) {
  std::string out;
  out += "spop-sim run: " + r.agent + ", HAProxy " + r.profile + ", " + r.mode + "\n";
  if (r.healthcheck) out += "health check: " + *r.healthcheck + "\n";
  out += "duration " + number(r.elapsed_s, 2) + " s, " + std::to_string(r.sent) + " NOTIFYs sent, " +
         std::to_string(r.completed) + " answered, " + std::to_string(r.errors) + " errors (" +
         number(r.error_rate() * 100, 3) + "%), " + std::to_string(r.aborted) + " aborted by faults\n";
  out += "throughput " + number(r.throughput(), 0) + " req/s, " + std::to_string(r.connections_opened) +
         " connections opened, " + std::to_string(r.ignored_acks) + " ACKs ignored (late or unmatched)\n";
  if (r.sent > 0)
    out += "spop-sim CPU " + number(r.cpu_s, 2) + " s, " + number(r.cpu_s * 1e6 / static_cast<double>(r.sent), 2) +
           " us per NOTIFY\n";
  out += "latency (ms):";
  for (const NamedQuantile& q : report_quantiles) out += std::string("  ") + q.label + " " + ms(r.latency.value_at(q.quantile));
  out += "  (mean " + ms(static_cast<std::uint64_t>(r.latency.mean())) + ")\n";
  if (!r.errors_by_kind.empty()) {
    out += "errors:\n";
    for (const auto& [kind, n] : r.errors_by_kind) out += "  " + std::to_string(n) + "  " + kind + "\n";
  }
  if (!r.anomalies.empty()) {
    out += "tolerated by HAProxy, worth a look:\n";
    for (const auto& [kind, n] : r.anomalies) out += "  " + std::to_string(n) + "  " + kind + "\n";
  }
  if (!r.variables.empty()) {
    out += "variables set per message:\n";
    for (const auto& [message, vars] : r.variables) {
      out += "  " + message + ":" + (vars.empty() ? " (none)" : "") + "\n";
      for (const auto& [name, seen] : vars) {
        std::string types;
        for (const auto& [t, n] : seen.types) types += (types.empty() ? "" : ", ") + t + " x" + std::to_string(n);
        out += "    " + name + "  " + types + "  e.g. " + seen.example + "\n";
      }
    }
  }
  for (const FaultOutcome& f : r.faults) {
    out += "fault " + f.name + ": injected " + std::to_string(f.injected) + ", HAProxy would " +
           (f.haproxy_accepts ? "accept" : "NOT accept") + " the agent's reactions (expected: " + f.expected + ")\n";
    for (const auto& [what, n] : f.reactions) out += "  " + std::to_string(n) + "  " + what + "\n";
  }
  for (const std::string& w : r.warnings) out += "warning: " + w + "\n";
  if (r.violation_count > 0) {
    out += "FAILED: " + std::to_string(r.violation_count) + " expectation violation(s)\n";
    for (const Violation& v : r.violations) out += "  " + to_string(v) + "\n";
  } else {
    out += "expectations: all met\n";
  }
  return out;
}

nlohmann::json to_json(const RunReport& r) {
  using nlohmann::json;
  json latency = {{"count", r.latency.count()},
                  {"min_ms", static_cast<double>(r.latency.min()) / 1e6},
                  {"mean_ms", r.latency.mean() / 1e6}};
  for (const NamedQuantile& q : report_quantiles)
    latency[std::string(q.label) + "_ms"] = static_cast<double>(r.latency.value_at(q.quantile)) / 1e6;
  json vars = json::object();
  for (const auto& [message, seen] : r.variables) {
    json m = json::object();
    for (const auto& [name, v] : seen) m[name] = {{"count", v.count}, {"types", v.types}, {"example", v.example}};
    vars[message] = std::move(m);
  }
  json faults = json::array();
  for (const FaultOutcome& f : r.faults)
    faults.push_back({{"name", f.name},
                      {"injected", f.injected},
                      {"reactions", f.reactions},
                      {"haproxy_accepts", f.haproxy_accepts},
                      {"expected", f.expected}});
  json violations = json::array();
  for (const Violation& v : r.violations)
    violations.push_back({{"subject", v.subject}, {"message", v.message}, {"where", to_string(v.where)}});
  json timeline = json::array();
  for (const TimeSlice& s : r.timeline) timeline.push_back({s.start_s, s.completed, s.errors});
  json out = {{"agent", r.agent},
              {"profile", r.profile},
              {"mode", r.mode},
              {"elapsed_s", r.elapsed_s},
              {"sent", r.sent},
              {"completed", r.completed},
              {"errors", r.errors},
              {"error_rate", r.error_rate()},
              {"aborted", r.aborted},
              {"ignored_acks", r.ignored_acks},
              {"connections_opened", r.connections_opened},
              {"bytes_out", r.bytes_out},
              {"bytes_in", r.bytes_in},
              {"cpu_s", r.cpu_s},
              {"cpu_us_per_notify", r.sent > 0 ? r.cpu_s * 1e6 / static_cast<double>(r.sent) : 0.0},
              {"throughput_rps", r.throughput()},
              {"latency", std::move(latency)},
              {"errors_by_kind", r.errors_by_kind},
              {"anomalies", r.anomalies},
              {"variables", std::move(vars)},
              {"faults", std::move(faults)},
              {"warnings", r.warnings},
              {"expectations", {{"passed", r.violation_count == 0},
                                {"violation_count", r.violation_count},
                                {"violations", std::move(violations)}}},
              {"timeline", {{"slice_s", r.slice_s}, {"columns", {"start_s", "completed", "errors"}},
                            {"slices", std::move(timeline)}}}};
  out["healthcheck"] = r.healthcheck ? json(*r.healthcheck) : json(nullptr);
  return out;
}

}  // namespace spop::sim
