// The suite runner: facts first, then each selected check on its own connections.
#include "simulator/conform/runner.hpp"

#include <algorithm>
#include <cctype>

#include "simulator/conform/echo.hpp"
#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One handshake as the profile, then one echo NOTIFY: what the checks may rely on.
ProfileFacts learn(Context& ctx) {
  ProfileFacts p;
  p.profile = ctx.profile;
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) {
    p.handshake_error = e;
    p.facts.echo_detail = "no handshake";
    return p;
  }
  AgentFacts& f = p.facts;
  f.handshake_ok = true;
  f.capabilities = s.hello().capabilities;
  f.pipelining = has_capability(f.capabilities, capability::pipelining);
  f.fragmentation = has_capability(f.capabilities, capability::fragmentation);
  f.max_frame_size = s.frame_size();
  EchoArgs probe;
  probe.add("str_probe", Value::string("spop-conform"));
  AckReply ack;
  if (std::string e = s.round_trip(echo_message, probe.args(), ack); !e.empty()) {
    f.echo_detail = "the echo NOTIFY failed: " + e;
  } else if (ack.contents.actions.empty()) {
    f.echo_detail = "empty ACK: spop-conformance-echo not implemented";
  } else {
    // Any action means the agent implements the message; the echo checks judge whether it does it right.
    f.echo = true;
  }
  return p;
}

}  // namespace

std::size_t Report::count(Verdict v) const {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [v](const Result& r) { return r.outcome.verdict == v; }));
}

std::size_t Report::failures() const {
  return static_cast<std::size_t>(std::count_if(results.begin(), results.end(), [](const Result& r) { return r.failed(); }));
}

std::size_t Report::warnings() const {
  return static_cast<std::size_t>(std::count_if(results.begin(), results.end(), [](const Result& r) { return r.warned(); }));
}

std::string select_checks(const std::vector<std::string>& selectors, std::vector<const Check*>& out) {
  out.clear();
  const auto checks = all_checks();
  std::vector<bool> chosen(checks.size(), selectors.empty());
  for (const std::string& sel : selectors) {
    const std::string want = upper(sel);
    bool any = false;
    for (std::size_t i = 0; i < checks.size(); ++i) {
      const std::string id(checks[i].id);
      if (id == want || id.substr(0, id.find('-')) == want) {
        chosen[i] = true;
        any = true;
      }
    }
    if (!any) return sel;
  }
  for (std::size_t i = 0; i < checks.size(); ++i) {
    if (chosen[i]) out.push_back(&checks[i]);
  }
  return "";
}

std::optional<Report> run_suite(const RunOptions& options, std::string& error,
                                const std::function<void(const Result&)>& progress) {
  {
    Probe p;
    if (error = p.connect(options.endpoint, options.tls.get(), Clock::now() + options.timeout); !error.empty()) return std::nullopt;
  }
  std::vector<const Check*> checks = options.checks;
  if (checks.empty()) select_checks({}, checks);
  Report report;
  report.endpoint = options.endpoint;
  for (HaproxyProfile profile : options.profiles) {
    Context ctx;
    ctx.endpoint = options.endpoint;
    ctx.tls = options.tls;
    ctx.profile = profile;
    ctx.timeout = options.timeout;
    ProfileFacts facts = learn(ctx);
    ctx.facts = facts.facts;
    report.profiles.push_back(std::move(facts));
    for (const Check* check : checks) {
      Result r;
      r.check = check;
      r.profile = profile;
      const auto start = Clock::now();
      if (check->needs_echo && !ctx.facts.echo) {
        r.outcome = skip("needs spop-conformance-echo (" + ctx.facts.echo_detail + ")");
      } else {
        r.outcome = check->run(ctx);
      }
      r.duration = std::chrono::duration_cast<Millis>(Clock::now() - start);
      if (progress) progress(r);
      report.results.push_back(std::move(r));
    }
  }
  return report;
}

}  // namespace spop::sim::conform
