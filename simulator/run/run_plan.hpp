// What one `spop-sim run` will do, resolved from its inputs before any socket is opened: the
// scenario after command-line overrides, the SPOE agent being played, the HAProxy options of its
// connections, the messages each request template sends, and the agent's address.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/scenario.hpp"
#include "simulator/spoe_config.hpp"
#include "netclient/endpoint.hpp"
#include "netclient/tls_client.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop::sim {

/// Where the agent listens.
using AgentAddress = spop::netclient::Endpoint;

/// The messages one request template's NOTIFY carries.
struct TemplateMessages {
  std::vector<const SpoeMessage*> messages;  ///< in NOTIFY order; points into RunPlan::spoe
  bool has_expectations = false;             ///< some message has `expect.messages` entries
};

struct RunPlan {
  Scenario scenario;
  SpoeConfig spoe;
  AgentAddress agent;
  spop::netclient::TlsClientOptions tls;  ///< haproxy.cfg's `ssl ...` on the server line, or --tls...
  Event event = Event::on_frontend_http_request;
  spop::HaproxyOptions haproxy;  ///< for traffic connections (health checks derive from it)
  /// Per-event budget: SPOE `timeout processing`, or the command line's, or 1 s.
  std::chrono::milliseconds processing_timeout{1000};
  /// How long a fault waits for the agent's reaction on a poisoned connection.
  std::chrono::milliseconds reaction_timeout{1000};
  bool force_set_var = false;
  bool initial_healthcheck = false;          ///< haproxy.cfg: `option spop-check` and `check`
  std::vector<TemplateMessages> templates;   ///< one per scenario.requests entry
  std::vector<std::string> warnings;         ///< unsupported conditions, config warnings
};

/// HAProxy's options for connections to `agent` as the given profile plays them: max-frame-size,
/// pipelining and async (2.6 only), max-waiting-frames (2.6; 3.1 allows 20 streams), var-prefix,
/// hello and idle timeouts (2.6 only), and `engine_id`.
spop::HaproxyOptions haproxy_options_for(const SpoeAgent& agent, Profile profile, std::string engine_id);

/// The messages of each request template: the group's (`group`) or the event's whose static condition
/// holds (see condition.hpp). Throws ConfigError when a group is unknown or a template sends nothing.
/// Unsupported conditions add a warning and keep the message.
std::vector<TemplateMessages> resolve_templates(const Scenario& scenario, const SpoeConfig& spoe, Event event,
                                                std::vector<std::string>& warnings);

}  // namespace spop::sim
