// to_html(): one self-contained page (inline CSS and SVG, no script, nothing fetched from the network).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "simulator/run/html_parts.hpp"
#include "simulator/run/run_report.hpp"

namespace spop::sim {

namespace {

using html::escape;
using html::fmt;
using html::row;
using html::latency_svg;
using html::chart_w;
using html::chart_h;
using html::pad_l;
using html::pad_b;
using html::pad_t;
using html::pad_r;

std::string throughput_svg(const RunReport& r) {
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + fmt(chart_w, 0) + "' height='" +
                    fmt(chart_h, 0) + "' role='img' aria-label='throughput over time'>";
  if (r.timeline.empty()) return svg + "<text x='20' y='40'>no data</text></svg>";
  double top = 1;
  for (const TimeSlice& s : r.timeline)
    top = std::max(top, static_cast<double>(std::max(s.completed, s.errors)) / r.slice_s);
  const double plot_w = chart_w - pad_l - pad_r, plot_h = chart_h - pad_t - pad_b;
  const double n = static_cast<double>(std::max<std::size_t>(r.timeline.size() - 1, 1));
  auto line = [&](bool errors, const char* colour) {
    std::string pts;
    for (std::size_t i = 0; i < r.timeline.size(); ++i) {
      const double v = static_cast<double>(errors ? r.timeline[i].errors : r.timeline[i].completed) / r.slice_s;
      pts += fmt(pad_l + plot_w * static_cast<double>(i) / n, 1) + "," + fmt(pad_t + plot_h - plot_h * v / top, 1) + " ";
    }
    return "<polyline fill='none' stroke='" + std::string(colour) + "' stroke-width='1.5' points='" + pts + "'/>";
  };
  svg += line(false, "#4a7ebb") + line(true, "#c0392b");
  svg += "<text x='4' y='" + fmt(pad_t + 10, 0) + "' font-size='11'>" + fmt(top, 0) + "/s</text>";
  svg += "<text x='" + fmt(pad_l, 0) + "' y='" + fmt(chart_h - 20, 0) + "' font-size='11'>0 s</text>";
  svg += "<text x='" + fmt(chart_w - 60, 0) + "' y='" + fmt(chart_h - 20, 0) + "' font-size='11'>" +
         fmt(static_cast<double>(r.timeline.size()) * r.slice_s, 1) + " s</text>";
  svg += "<text x='" + fmt(pad_l, 0) + "' y='" + fmt(chart_h - 4, 0) +
         "' font-size='11'>blue: answered requests per second; red: errors per second</text>";
  return svg + "</svg>";
}

}  // namespace

std::string to_html(const RunReport& r) {
  std::string h = html::page_start("spop-sim report");
  h += "<h1>spop-sim run</h1><p>" + escape(r.agent) + ", HAProxy " + escape(r.profile) + ", " + escape(r.mode) + "</p>";
  h += r.violation_count > 0
           ? "<p class='bad'><b>FAILED: " + std::to_string(r.violation_count) + " expectation violation(s)</b></p>"
           : "<p class='ok'><b>expectations: all met</b></p>";
  h += "<h2>Summary</h2><table>";
  h += row({"duration", fmt(r.elapsed_s, 2) + " s"}) + row({"NOTIFYs sent", std::to_string(r.sent)}) +
       row({"answered", std::to_string(r.completed)}) + row({"errors", std::to_string(r.errors)}) +
       row({"error rate", fmt(r.error_rate() * 100, 3) + " %"}) + row({"aborted by faults", std::to_string(r.aborted)}) +
       row({"throughput", fmt(r.throughput(), 0) + " req/s"}) +
       row({"ACKs ignored", std::to_string(r.ignored_acks)}) +
       row({"connections opened", std::to_string(r.connections_opened)});
  if (r.healthcheck) h += row({"health check", *r.healthcheck});
  h += "</table><h2>Latency</h2><table><tr>";
  for (const NamedQuantile& q : report_quantiles) h += "<th>" + std::string(q.label) + "</th>";
  h += "</tr><tr>";
  for (const NamedQuantile& q : report_quantiles)
    h += "<td>" + fmt(static_cast<double>(r.latency.value_at(q.quantile)) / 1e6) + " ms</td>";
  h += "</tr></table>" + latency_svg(r.latency);
  h += "<h2>Throughput over time</h2>" + throughput_svg(r);
  if (!r.errors_by_kind.empty()) {
    h += "<h2>Errors</h2><table>";
    for (const auto& [kind, n] : r.errors_by_kind) h += row({std::to_string(n), kind});
    h += "</table>";
  }
  if (!r.faults.empty()) {
    h += "<h2>Faults</h2><table><tr><th>fault</th><th>injected</th><th>reactions</th><th>HAProxy accepts</th>"
         "<th>expected</th></tr>";
    for (const FaultOutcome& f : r.faults) {
      std::string reactions;
      for (const auto& [what, n] : f.reactions) reactions += std::to_string(n) + " x " + what + "; ";
      h += row({f.name, std::to_string(f.injected), reactions, f.haproxy_accepts ? "yes" : "NO", f.expected});
    }
    h += "</table>";
  }
  if (!r.variables.empty()) {
    h += "<h2>Variables per message</h2><table><tr><th>message</th><th>variable</th><th>count</th><th>example</th></tr>";
    for (const auto& [message, vars] : r.variables)
      for (const auto& [name, seen] : vars) h += row({message, name, std::to_string(seen.count), seen.example});
    h += "</table>";
  }
  if (!r.violations.empty()) {
    h += "<h2>Expectation violations</h2><ul>";
    for (const Violation& v : r.violations) h += "<li>" + escape(to_string(v)) + "</li>";
    h += "</ul>";
  }
  for (const std::string& w : r.warnings) h += "<p>warning: " + escape(w) + "</p>";
  return h + "</body></html>\n";
}

}  // namespace spop::sim
