#include "simulator/replay/replay_report.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "simulator/run/html_parts.hpp"
#include "simulator/run/run_report.hpp"

namespace spop::sim::replay {

namespace {

using html::fmt;

std::string ms_text(std::uint64_t ns) { return fmt(static_cast<double>(ns) / 1e6); }

// Transitions by count, largest first.
std::vector<std::pair<std::string, std::uint64_t>> by_count(const std::map<std::string, std::uint64_t>& m) {
  std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return v;
}

nlohmann::json latency_json(const LatencyHistogram& h) {
  nlohmann::json j = {{"count", h.count()}, {"mean_ms", h.mean() / 1e6}};
  for (const NamedQuantile& q : report_quantiles)
    j[std::string(q.label) + "_ms"] = static_cast<double>(h.value_at(q.quantile)) / 1e6;
  return j;
}

}  // namespace

void FirstExamples::offer(std::uint64_t order, std::string text) {
  if (kept_.contains(order)) return;
  if (kept_.size() == max_examples_kept) {
    const auto last = std::prev(kept_.end());
    if (order >= last->first) return;
    kept_.erase(last);
  }
  kept_.emplace(order, std::move(text));
}

std::vector<std::string> FirstExamples::list() const {
  std::vector<std::string> out;
  for (const auto& [order, text] : kept_) out.push_back(text);
  return out;
}

bool ReplayReport::input_errors() const noexcept {
  return std::any_of(inputs.begin(), inputs.end(), [](const InputFile& f) { return !f.errors.empty(); });
}

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string to_text(const ReplayReport& r) {
  std::string out = "spop-sim replay: " + r.agent + ", HAProxy " + r.profile + ", " + r.mode + "\n";
  for (const InputFile& f : r.inputs) {
    out += "input " + f.path + (f.kind.empty() ? "" : " (" + f.kind + ")") + ": " + with_commas(f.exchanges) +
           " exchanges";
    if (f.without_ack) out += ", " + with_commas(f.without_ack) + " of them without an ACK";
    out += "\n";
    for (const std::string& e : f.errors) out += "  error: " + e + "\n";
    for (const std::string& n : f.notes) out += "  note: " + n + "\n";
  }
  out += "replayed " + with_commas(r.sent) + " of " + with_commas(r.exchanges) + " NOTIFYs in " + fmt(r.elapsed_s, 2) +
         " s (" + with_commas(static_cast<std::uint64_t>(r.rate())) + "/s), " + with_commas(r.answered) + " answered, " +
         with_commas(r.connections_opened) + " connection(s) opened\n";
  out += "compared " + with_commas(r.compared) + " ACKs: " + with_commas(r.compared - r.differing) + " identical, " +
         with_commas(r.differing) + " differ\n";
  for (const auto& [message, m] : r.messages) {
    if (m.differing == 0) continue;
    out += "  " + message + ": " + with_commas(m.differing) + " of " + with_commas(m.compared) + " ACKs differ\n";
    for (const auto& [name, v] : m.variables) {
      const auto sorted = by_count(v.transitions);
      for (std::size_t i = 0; i < sorted.size() && i < 5; ++i)
        out += "    " + name + ": " + sorted[i].first + " in " + with_commas(sorted[i].second) + " of " +
               with_commas(m.compared) + " ACKs\n";
      std::uint64_t rest = v.other;
      for (std::size_t i = 5; i < sorted.size(); ++i) rest += sorted[i].second;
      if (rest > 0) out += "    " + name + ": other changes in " + with_commas(rest) + " ACKs\n";
      for (const std::string& e : v.examples.list()) out += "      e.g. " + e + "\n";
    }
  }
  if (r.unanswered_then > 0)
    out += "without an ACK in the input: " + with_commas(r.unanswered_then) + ", answered now: " +
           with_commas(r.answered_now) + " (not compared)\n";
  if (!r.failures.empty()) {
    out += "calls that failed now (answered when recorded):\n";
    for (const auto& [kind, f] : r.failures) {
      out += "  " + with_commas(f.count) + "  " + kind + "\n";
      for (const std::string& e : f.examples.list()) out += "      e.g. " + e + "\n";
    }
  }
  out += "latency (ms)  ";
  for (const NamedQuantile& q : report_quantiles) {
    char cell[16];
    std::snprintf(cell, sizeof cell, "%9s", q.label);
    out += cell;
  }
  out += "\n";
  for (const auto& [label, h] : {std::pair{"recorded", &r.recorded_latency}, std::pair{"replayed", &r.replayed_latency}}) {
    char head[16];
    std::snprintf(head, sizeof head, "  %-12s", label);
    out += head;
    for (const NamedQuantile& q : report_quantiles) {
      char cell[16];
      std::snprintf(cell, sizeof cell, "%9s", ms_text(h->value_at(q.quantile)).c_str());
      out += cell;
    }
    out += "  (" + with_commas(h->count()) + ")\n";
  }
  if (!r.ignore.empty()) {
    out += "ignored (--ignore";
    for (const std::string& p : r.ignore) out += " " + p;
    out += "): ";
    for (std::size_t i = 0; i < r.ignored_variables.size(); ++i) out += (i ? ", " : "") + r.ignored_variables[i];
    out += r.ignored_variables.empty() ? "no variable matched\n" : "\n";
  }
  for (const std::string& w : r.warnings) out += "warning: " + w + "\n";
  if (r.input_errors()) out += "INPUT ERRORS: what came before each error was replayed\n";
  if (r.differs()) {
    out += "DIFFERENT: " + with_commas(r.differing) + " ACK(s) differ, " + with_commas(r.failed) +
           " call(s) failed\n";
  } else {
    out += "SAME: no difference\n";
  }
  return out;
}

nlohmann::json to_json(const ReplayReport& r) {
  using nlohmann::json;
  json inputs = json::array();
  for (const InputFile& f : r.inputs)
    inputs.push_back({{"path", f.path},
                      {"kind", f.kind},
                      {"exchanges", f.exchanges},
                      {"without_ack", f.without_ack},
                      {"errors", f.errors},
                      {"notes", f.notes}});
  json messages = json::object();
  for (const auto& [message, m] : r.messages) {
    json vars = json::object();
    for (const auto& [name, v] : m.variables) {
      json transitions = json::array();
      for (const auto& [t, n] : by_count(v.transitions)) {
        const std::size_t arrow = t.find(" -> ");
        transitions.push_back({{"from", t.substr(0, arrow)}, {"to", t.substr(arrow + 4)}, {"count", n}});
      }
      vars[name] = {{"differing", v.differing},
                    {"added", v.added},
                    {"missing", v.missing},
                    {"changed", v.differing - v.added - v.missing},
                    {"transitions", std::move(transitions)},
                    {"other", v.other},
                    {"examples", v.examples.list()}};
    }
    messages[message] = {{"compared", m.compared}, {"differing", m.differing}, {"variables", std::move(vars)}};
  }
  json failures = json::object();
  for (const auto& [kind, f] : r.failures) failures[kind] = {{"count", f.count}, {"examples", f.examples.list()}};
  return {{"agent", r.agent},
          {"profile", r.profile},
          {"mode", r.mode},
          {"inputs", std::move(inputs)},
          {"input_errors", r.input_errors()},
          {"elapsed_s", r.elapsed_s},
          {"cpu_s", r.cpu_s},
          {"rate", r.rate()},
          {"exchanges", r.exchanges},
          {"sent", r.sent},
          {"answered", r.answered},
          {"compared", r.compared},
          {"identical", r.compared - r.differing},
          {"differing", r.differing},
          {"failed", r.failed},
          {"unanswered_then", r.unanswered_then},
          {"answered_now", r.answered_now},
          {"connections_opened", r.connections_opened},
          {"differs", r.differs()},
          {"messages", std::move(messages)},
          {"failures", std::move(failures)},
          {"latency", {{"recorded", latency_json(r.recorded_latency)}, {"replayed", latency_json(r.replayed_latency)}}},
          {"ignore", r.ignore},
          {"ignored_variables", r.ignored_variables},
          {"warnings", r.warnings}};
}

}  // namespace spop::sim::replay
