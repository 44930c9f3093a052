// to_html(): one self-contained page (inline CSS and SVG, no script, nothing fetched from the network).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "simulator/run/run_report.hpp"

namespace spop::sim {

namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(double v, int decimals = 3) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

constexpr double chart_w = 720, chart_h = 240, pad_l = 60, pad_b = 40, pad_t = 10, pad_r = 10;

// Bars for the non-empty range of latency buckets, merged into at most 60 bars on a log-spaced axis.
std::string latency_svg(const LatencyHistogram& h) {
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + fmt(chart_w, 0) + "' height='" +
                    fmt(chart_h, 0) + "' role='img' aria-label='latency histogram'>";
  if (h.count() == 0) return svg + "<text x='20' y='40'>no completed request</text></svg>";
  const auto& counts = h.counts();
  std::size_t first = LatencyHistogram::bucket_count, last = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) {
      first = std::min(first, i);
      last = i;
    }
  const std::size_t span = last - first + 1;
  const std::size_t bars = std::min<std::size_t>(span, 60);
  std::vector<std::uint64_t> merged(bars, 0);
  for (std::size_t i = first; i <= last; ++i) merged[(i - first) * bars / span] += counts[i];
  const std::uint64_t top = *std::max_element(merged.begin(), merged.end());
  const double plot_w = chart_w - pad_l - pad_r, plot_h = chart_h - pad_t - pad_b;
  const double bw = plot_w / static_cast<double>(bars);
  for (std::size_t b = 0; b < bars; ++b) {
    const double hgt = plot_h * static_cast<double>(merged[b]) / static_cast<double>(top);
    const std::size_t bucket = first + b * span / bars;
    svg += "<rect x='" + fmt(pad_l + bw * static_cast<double>(b), 1) + "' y='" + fmt(pad_t + plot_h - hgt, 1) +
           "' width='" + fmt(std::max(bw - 1, 1.0), 1) + "' height='" + fmt(hgt, 1) + "' fill='#4a7ebb'><title>&gt;= " +
           fmt(static_cast<double>(LatencyHistogram::bucket_low(bucket)) / 1e6) + " ms: " + std::to_string(merged[b]) +
           "</title></rect>";
  }
  // x labels: lowest, middle and highest bucket bounds.
  for (std::size_t b : {std::size_t{0}, bars / 2, bars - 1}) {
    const std::size_t bucket = first + b * span / bars;
    svg += "<text x='" + fmt(pad_l + bw * static_cast<double>(b), 1) + "' y='" + fmt(chart_h - 20, 0) +
           "' font-size='11'>" + fmt(static_cast<double>(LatencyHistogram::bucket_low(bucket)) / 1e6) + " ms</text>";
  }
  svg += "<text x='4' y='" + fmt(pad_t + 10, 0) + "' font-size='11'>" + std::to_string(top) + "</text>";
  svg += "<text x='" + fmt(pad_l, 0) + "' y='" + fmt(chart_h - 4, 0) +
         "' font-size='11'>latency (log-spaced buckets); bar height = requests</text>";
  return svg + "</svg>";
}

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

std::string row(std::initializer_list<std::string> cells) {
  std::string out = "<tr>";
  for (const std::string& c : cells) out += "<td>" + escape(c) + "</td>";
  return out + "</tr>";
}

}  // namespace

std::string to_html(const RunReport& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>spop-sim report</title><style>"
      "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin-bottom:1em}"
      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.bad{color:#c0392b}.ok{color:#27ae60}"
      "</style></head><body>\n";
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
