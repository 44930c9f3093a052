// spop-sim run: what the agent answers, as HAProxy would take it (see runner_internals.hpp).
#include <algorithm>

#include "simulator/run/runner_internals.hpp"
#include "spop/status.hpp"

namespace spop::sim::detail {

using namespace std::chrono_literals;

namespace {

std::string status_text(std::uint32_t code) {
  std::string s = std::to_string(code);
  if (spop::is_known_status(code)) s += " \"" + std::string(spop::status_message(static_cast<spop::Status>(code))) + "\"";
  return s;
}

}  // namespace

void Runner::drain(Conn& c, Clock::time_point now) {
  while (auto ev = c.hc->next_event()) {
    if (const auto* ce = std::get_if<spop::ConnectedEvent>(&*ev)) {
      ever_connected_ = true;
      if (c.healthcheck) health_result(c, "passed", true);
      if (c.check_next_handshake) {
        react(*c.check_next_handshake, "the agent accepted the next connection", true);
        c.check_next_handshake.reset();
      }
      (void)ce;
    } else if (const auto* ack = std::get_if<spop::AckEvent>(&*ev)) {
      on_ack(c, *ack, now);
    } else if (const auto* d = std::get_if<spop::AgentDisconnectedEvent>(&*ev)) {
      const auto code = static_cast<std::uint32_t>(d->status);
      const bool usual = spop::is_known_status(code) && d->message == spop::status_message(d->status);
      const std::string what = "AGENT-DISCONNECT " + status_text(code) +
                               (usual ? "" : " with message \"" + std::string(d->message) + "\"");
      if (c.poison != Poison::none) {
        if (!c.reacted) react(c.fault, what, true);
        c.reacted = true;
      } else if (c.healthcheck) {
        health_result(c, "failed: " + what, false);
      } else {
        report_.errors += c.pending.size();
        if (!c.pending.empty()) report_.errors_by_kind[what + " with requests in flight"] += c.pending.size();
        else ++report_.anomalies["agent closed an idle connection with " + what];
        c.pending.clear();
      }
    } else if (const auto* p = std::get_if<spop::ProtocolErrorEvent>(&*ev)) {
      const std::string what = "HAProxy would disconnect with status " +
                               status_text(static_cast<std::uint32_t>(p->status));
      if (first_detail_.insert(static_cast<std::uint32_t>(p->status)).second)
        report_.warnings.push_back(what + ": " + std::string(p->detail));
      if (c.poison != Poison::none) {
        if (!c.reacted) react(c.fault, what + " (" + std::string(p->detail) + ")", false);
        c.reacted = true;
      } else if (c.healthcheck) {
        health_result(c, "failed: " + what + " (" + std::string(p->detail) + ")", false);
      } else {
        const std::size_t n = std::max<std::size_t>(c.pending.size(), 1);
        report_.errors += c.pending.size();
        report_.errors_by_kind["protocol error: " + what] += n;
        c.pending.clear();
        c.close_deadline = now + plan_.reaction_timeout;
      }
    }
  }
}

void Runner::on_ack(Conn& c, const spop::AckEvent& ack, Clock::time_point now) {
  const auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending& p) {
    return p.ids.stream_id == ack.stream_id && p.ids.frame_id == ack.frame_id;
  });
  if (it == c.pending.end()) return;  // cancelled: the connection would not have reported it
  const Pending p = *it;
  c.pending.erase(it);
  report_.latency.record(now - p.start);
  ++report_.completed;
  slice(now).completed++;
  if (ack.stop_reason != spop::Errc::ok)
    ++report_.anomalies["ACK actions cut short, HAProxy ignores the rest: " +
                        std::string(spop::make_error_code(ack.stop_reason).message())];
  if (p.tmpl == fault_template) {
    react(fault_index_[idx(FaultKind::unknown_message)],
          "ACK with " + std::to_string(ack.actions.size()) + " action(s)", true);
    return;
  }
  const TemplateMessages& tm = plan_.templates[p.tmpl];
  for (const SpoeMessage* m : tm.messages) record_variables(m->name, ack.actions);
  if (tm.has_expectations) check_expectations(tm, ack.actions);
}

void Runner::record_variables(const std::string& message, std::span<const spop::AckAction> actions) {
  auto mit = report_.variables.find(message);
  if (mit == report_.variables.end()) mit = report_.variables.emplace(message, std::map<std::string, VariableSeen, std::less<>>{}).first;
  auto& vars = mit->second;
  for (const spop::AckAction& a : actions) {
    auto vit = vars.find(a.variable);
    if (vit == vars.end()) {
      vit = vars.emplace(std::string(a.variable), VariableSeen{}).first;
      vit->second.example = a.type == spop::ActionType::unset_var ? "unset" : spop::describe(a.value);
    }
    VariableSeen& v = vit->second;
    ++v.count;
    const std::string_view type = a.type == spop::ActionType::unset_var || a.value.is_null()
                                      ? std::string_view("unset")
                                      : spop::to_string(a.value.type());
    auto tit = v.types.find(type);
    if (tit == v.types.end()) v.types.emplace(std::string(type), 1);
    else ++tit->second;
  }
}

void Runner::check_expectations(const TemplateMessages& tm, std::span<const spop::AckAction> actions) {
  spop::VariableStore store = proc_vars_;  // each request is a new session and transaction
  spop::apply_actions(actions, store, plan_.force_set_var);
  VariableMap vars;
  for (const auto& [name, value] : store) vars.emplace(name, value.view());
  names_.clear();
  for (const SpoeMessage* m : tm.messages) names_.push_back(m->name);
  std::vector<Violation> v = check_request(plan_.scenario.expect, names_, vars);
  report_.violation_count += v.size();
  for (Violation& one : v) {
    if (report_.violations.size() >= max_violations_kept) break;
    const bool seen = std::any_of(report_.violations.begin(), report_.violations.end(), [&](const Violation& x) {
      return x.subject == one.subject && x.message == one.message;
    });
    if (!seen) report_.violations.push_back(std::move(one));
  }
  proc_vars_.clear();
  for (auto& [name, value] : store)
    if (name.starts_with("proc.")) proc_vars_.emplace(name, value);
}

void Runner::health_result(Conn& c, const std::string& what, bool ok) {
  if (c.fd < 0) return;
  if (initial_check_ && !report_.healthcheck) report_.healthcheck = what;
  if (spec(FaultKind::healthcheck_flood) && !initial_check_)
    react(fault_index_[idx(FaultKind::healthcheck_flood)], ok ? "passed" : what, ok);
  // HAProxy resets the connection right after the answer (spop-protocol.md §5.5).
  close_conn(c, true, Clock::now());
}

}  // namespace spop::sim::detail
