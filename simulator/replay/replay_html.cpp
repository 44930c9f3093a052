// The replay report as one self-contained page, with spop-sim run's style and latency charts.
#include "simulator/replay/replay_report.hpp"
#include "simulator/run/html_parts.hpp"
#include "simulator/run/run_report.hpp"

namespace spop::sim::replay {

std::string to_html(const ReplayReport& r) {
  using html::escape;
  using html::row;
  std::string h = html::page_start("spop-sim replay report");
  h += "<h1>spop-sim replay</h1><p>" + escape(r.agent) + ", HAProxy " + escape(r.profile) + ", " + escape(r.mode) + "</p>";
  h += r.differs() ? "<p class='bad'><b>DIFFERENT: " + with_commas(r.differing) + " ACK(s) differ, " +
                         with_commas(r.failed) + " call(s) failed</b></p>"
                   : "<p class='ok'><b>SAME: no difference</b></p>";
  h += "<h2>Input</h2><table><tr><th>file</th><th>kind</th><th>exchanges</th><th>without ACK</th><th>problems</th></tr>";
  for (const InputFile& f : r.inputs) {
    std::string problems;
    for (const std::string& e : f.errors) problems += e + "; ";
    for (const std::string& n : f.notes) problems += n + "; ";
    h += row({f.path, f.kind, with_commas(f.exchanges), with_commas(f.without_ack), problems});
  }
  h += "</table><h2>Summary</h2><table>";
  h += row({"NOTIFYs replayed", with_commas(r.sent) + " of " + with_commas(r.exchanges)}) +
       row({"duration", html::fmt(r.elapsed_s, 2) + " s"}) + row({"rate", with_commas(static_cast<std::uint64_t>(r.rate())) + "/s"}) +
       row({"answered", with_commas(r.answered)}) + row({"ACKs compared", with_commas(r.compared)}) +
       row({"ACKs that differ", with_commas(r.differing)}) + row({"calls that failed now", with_commas(r.failed)}) +
       row({"without an ACK in the input / answered now", with_commas(r.unanswered_then) + " / " + with_commas(r.answered_now)});
  h += "</table>";
  h += "<h2>Differences</h2>";
  bool any = false;
  h += "<table><tr><th>message</th><th>variable</th><th>recorded -&gt; replayed</th><th>ACKs</th><th>of</th><th>first examples</th></tr>";
  for (const auto& [message, m] : r.messages) {
    for (const auto& [name, v] : m.variables) {
      std::string examples;
      for (const std::string& e : v.examples.list()) examples += e + "; ";
      for (const auto& [t, n] : v.transitions) {
        h += row({message, name, t, with_commas(n), with_commas(m.compared), examples});
        any = true;
      }
      if (v.other > 0) h += row({message, name, "other changes", with_commas(v.other), with_commas(m.compared), ""});
    }
  }
  h += "</table>";
  if (!any) h += "<p>none</p>";
  if (!r.failures.empty()) {
    h += "<h2>Calls that failed now</h2><table>";
    for (const auto& [kind, f] : r.failures) {
      std::string examples;
      for (const std::string& e : f.examples.list()) examples += e + "; ";
      h += row({with_commas(f.count), kind, examples});
    }
    h += "</table>";
  }
  h += "<h2>Latency</h2><table><tr><th></th>";
  for (const NamedQuantile& q : report_quantiles) h += "<th>" + std::string(q.label) + "</th>";
  h += "<th>count</th></tr>";
  for (const auto& [label, hist] : {std::pair{"recorded", &r.recorded_latency}, std::pair{"replayed", &r.replayed_latency}}) {
    h += "<tr><td>" + std::string(label) + "</td>";
    for (const NamedQuantile& q : report_quantiles)
      h += "<td>" + html::fmt(static_cast<double>(hist->value_at(q.quantile)) / 1e6) + " ms</td>";
    h += "<td>" + with_commas(hist->count()) + "</td></tr>";
  }
  h += "</table><h3>Recorded</h3>" + html::latency_svg(r.recorded_latency, "recorded latency") + "<h3>Replayed</h3>" +
       html::latency_svg(r.replayed_latency, "replayed latency");
  if (!r.ignore.empty()) {
    std::string names;
    for (const std::string& n : r.ignored_variables) names += n + " ";
    std::string patterns;
    for (const std::string& p : r.ignore) patterns += p + " ";
    h += "<p>ignored (" + escape(patterns) + "): " + escape(names) + "</p>";
  }
  for (const std::string& w : r.warnings) h += "<p>warning: " + escape(w) + "</p>";
  return h + "</body></html>\n";
}

}  // namespace spop::sim::replay
