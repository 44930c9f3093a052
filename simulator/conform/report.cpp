// Table, JSON, JUnit and Markdown renderings of checks and results.
#include "simulator/conform/report.hpp"

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

namespace spop::sim::conform {

namespace {

std::string profile_name(HaproxyProfile p) { return std::string(to_string(p)); }

std::string facts_line(const ProfileFacts& p) {
  if (!p.handshake_error.empty()) return "handshake failed: " + p.handshake_error;
  const AgentFacts& f = p.facts;
  return "capabilities \"" + f.capabilities + "\", max-frame-size " + std::to_string(f.max_frame_size) +
         ", echo: " + (f.echo ? std::string("yes") : "no (" + f.echo_detail + ")");
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string seconds(Millis t) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << static_cast<double>(t.count()) / 1000.0;
  return s.str();
}

std::string md_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else out += c;
  }
  return out;
}

}  // namespace

std::string_view result_word(const Result& r) {
  switch (r.outcome.verdict) {
    case Verdict::pass: return "pass";
    case Verdict::skip: return "skip";
    case Verdict::fail: return r.check->level == Level::must ? "FAIL" : "warn";
  }
  return "?";
}

void print_table(std::ostream& out, const Report& report) {
  for (const ProfileFacts& p : report.profiles) {
    out << "agent " << report.endpoint.to_string() << " as HAProxy " << profile_name(p.profile) << ": "
        << facts_line(p) << "\n";
    out << "  ID     LEVEL   RESULT  CHECK\n";
    for (const Result& r : report.results) {
      if (r.profile != p.profile) continue;
      out << "  " << std::left << std::setw(7) << r.check->id << std::setw(8) << to_string(r.check->level)
          << std::setw(8) << result_word(r) << r.check->title << "\n";
      if (r.outcome.verdict != Verdict::pass && !r.outcome.detail.empty()) {
        out << "         " << r.outcome.detail << "\n";
      }
    }
  }
  out << "summary: " << report.count(Verdict::pass) << " passed, " << report.failures() << " failed (MUST), "
      << report.warnings() << " warning(s) (SHOULD), " << report.count(Verdict::skip) << " skipped\n";
}

void print_json(std::ostream& out, const Report& report) {
  nlohmann::json j;
  j["agent"] = report.endpoint.to_string();
  j["profiles"] = nlohmann::json::array();
  for (const ProfileFacts& p : report.profiles) {
    nlohmann::json f = {{"profile", profile_name(p.profile)},
                        {"handshake", p.handshake_error.empty()},
                        {"capabilities", p.facts.capabilities},
                        {"max_frame_size", p.facts.max_frame_size},
                        {"echo", p.facts.echo}};
    if (!p.handshake_error.empty()) f["handshake_error"] = p.handshake_error;
    if (!p.facts.echo) f["echo_detail"] = p.facts.echo_detail;
    j["profiles"].push_back(f);
  }
  j["results"] = nlohmann::json::array();
  for (const Result& r : report.results) {
    std::string verdict(to_string(r.outcome.verdict));
    if (r.warned()) verdict = "warn";
    j["results"].push_back({{"id", r.check->id},
                            {"profile", profile_name(r.profile)},
                            {"group", r.check->group},
                            {"level", to_string(r.check->level)},
                            {"rule", r.check->rule},
                            {"title", r.check->title},
                            {"sent", r.check->sent},
                            {"expected", r.check->expected},
                            {"result", verdict},
                            {"detail", r.outcome.detail},
                            {"duration_ms", r.duration.count()}});
  }
  j["summary"] = {{"passed", report.count(Verdict::pass)},
                  {"failed", report.failures()},
                  {"warnings", report.warnings()},
                  {"skipped", report.count(Verdict::skip)},
                  {"exit_status", report.exit_status()}};
  // Replacement of invalid UTF-8 keeps the output valid JSON whatever the agent sent.
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void print_junit(std::ostream& out, const Report& report) {
  Millis total{0};
  for (const Result& r : report.results) total += r.duration;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"spop-sim conform\" tests=\"" << report.results.size() << "\" failures=\""
      << report.failures() << "\" errors=\"0\" skipped=\"" << report.count(Verdict::skip) << "\" time=\""
      << seconds(total) << "\">\n";
  for (const ProfileFacts& p : report.profiles) {
    std::size_t tests = 0, failures = 0, skipped = 0;
    Millis time{0};
    for (const Result& r : report.results) {
      if (r.profile != p.profile) continue;
      ++tests;
      failures += r.failed() ? 1 : 0;
      skipped += r.outcome.verdict == Verdict::skip ? 1 : 0;
      time += r.duration;
    }
    out << "  <testsuite name=\"HAProxy " << profile_name(p.profile) << "\" tests=\"" << tests << "\" failures=\""
        << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << seconds(time) << "\">\n";
    out << "    <properties>\n";
    out << "      <property name=\"agent\" value=\"" << xml_escape(report.endpoint.to_string()) << "\"/>\n";
    out << "      <property name=\"agent-facts\" value=\"" << xml_escape(facts_line(p)) << "\"/>\n";
    out << "    </properties>\n";
    for (const Result& r : report.results) {
      if (r.profile != p.profile) continue;
      out << "    <testcase classname=\"spop-conform." << profile_name(p.profile) << "." << xml_escape(r.check->group)
          << "\" name=\"" << r.check->id << " " << xml_escape(r.check->title) << "\" time=\"" << seconds(r.duration)
          << "\"";
      if (r.outcome.verdict == Verdict::pass) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      if (r.failed()) {
        out << "      <failure type=\"MUST\" message=\"" << xml_escape(r.outcome.detail) << "\">"
            << xml_escape(std::string(r.check->rule) + ": expected " + std::string(r.check->expected) + "\n" +
                          r.outcome.detail)
            << "</failure>\n";
      } else if (r.warned()) {
        // JUnit has no warning: a failed SHOULD passes, with the warning in its output.
        out << "      <system-out>warning (SHOULD, " << xml_escape(r.check->rule) << "): "
            << xml_escape(r.outcome.detail) << "</system-out>\n";
      } else {
        out << "      <skipped message=\"" << xml_escape(r.outcome.detail) << "\"/>\n";
      }
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

void print_list(std::ostream& out, std::span<const Check* const> checks) {
  for (const Check* c : checks) {
    out << std::left << std::setw(7) << c->id << std::setw(8) << to_string(c->level) << std::setw(16) << c->group
        << c->title << (c->needs_echo ? " (echo)" : "") << "  [" << c->rule << "]\n";
  }
}

void print_markdown(std::ostream& out, std::span<const Check* const> checks) {
  out << "| id | level | rule | check | sent | expected |\n";
  out << "|---|---|---|---|---|---|\n";
  for (const Check* c : checks) {
    out << "| " << c->id << " | " << to_string(c->level) << " | " << md_cell(c->rule) << " | " << md_cell(c->title)
        << (c->needs_echo ? " (echo)" : "") << " | " << md_cell(c->sent) << " | " << md_cell(c->expected) << " |\n";
  }
}

}  // namespace spop::sim::conform
