#include "simulator/run/run_plan.hpp"

#include "simulator/run/condition.hpp"

namespace spop::sim {

spop::HaproxyOptions haproxy_options_for(const SpoeAgent& agent, Profile profile, std::string engine_id) {
  spop::HaproxyOptions o;
  const bool v26 = profile == Profile::haproxy_2_6;
  o.profile = v26 ? spop::HaproxyProfile::v2_6 : spop::HaproxyProfile::v3_1;
  o.max_frame_size = agent.max_frame_size;
  o.pipelining = agent.pipelining;
  o.async = v26 ? agent.async : false;
  // 2.6: max-waiting-frames per connection; 3.1's mux allows 20 streams (1 without pipelining).
  o.max_in_flight = v26 ? agent.max_waiting_frames : (agent.pipelining ? 20 : 1);
  o.var_prefix = agent.var_prefix;
  o.engine_id = std::move(engine_id);
  if (v26) {  // 3.1+ parses but ignores both
    o.hello_timeout = agent.timeout_hello.value_or(std::chrono::milliseconds(0));
    o.idle_timeout = agent.timeout_idle.value_or(std::chrono::milliseconds(0));
  }
  return o;
}

std::vector<TemplateMessages> resolve_templates(const Scenario& scenario, const SpoeConfig& spoe, Event event,
                                                std::vector<std::string>& warnings) {
  DiagnosticLog log;
  std::vector<TemplateMessages> out;
  std::vector<const SpoeMessage*> by_event;
  for (const SpoeMessage* m : spoe.messages_for(event)) {
    std::string why;
    const std::optional<bool> keep = evaluate_static_condition(m->condition, why);
    if (!keep) {
      warnings.push_back("spoe-message " + m->name + ": condition '" + m->condition +
                         "' is not evaluated (" + why + "); the message is sent with every request");
    }
    if (keep.value_or(true)) by_event.push_back(m);
  }
  auto expected = [&](const SpoeMessage* m) {
    for (const MessageExpectation& e : scenario.expect.messages)
      if (e.message == m->name) return true;
    return false;
  };
  for (const RequestTemplate& t : scenario.requests) {
    TemplateMessages tm;
    if (!t.group.empty()) {
      const SpoeGroup* g = spoe.find_group(t.group);
      if (g == nullptr) {
        log.error(t.where, "request '" + t.name + "': spoe-agent '" + spoe.agent.name + "' has no group '" + t.group +
                               "' (send-spoe-group needs one of its `groups`)");
        out.push_back(std::move(tm));
        continue;
      }
      for (const SpoeMessage& m : g->messages) tm.messages.push_back(&m);
    } else {
      tm.messages = by_event;
    }
    if (tm.messages.empty() && t.weight > 0) {
      log.error(t.where, "request '" + t.name + "' sends no message: spoe-agent '" + spoe.agent.name +
                             "' has none for " + (t.group.empty() ? "event " + std::string(to_string(event))
                                                                  : "group " + t.group));
    }
    for (const SpoeMessage* m : tm.messages) tm.has_expectations = tm.has_expectations || expected(m);
    out.push_back(std::move(tm));
  }
  for (const MessageExpectation& e : scenario.expect.messages) {
    bool used = false;
    for (const TemplateMessages& tm : out)
      for (const SpoeMessage* m : tm.messages) used = used || m->name == e.message;
    if (!used)
      log.error(e.where, "expectations for message '" + e.message + "', which no request sends");
  }
  log.throw_if_errors();
  return out;
}

}  // namespace spop::sim
