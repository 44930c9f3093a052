// The event loop of `spop-sim replay`: plays HAProxy toward the agent with a pool of SPOP connections
// (spop::HaproxyConnection, one profile's id rules), sends the recorded NOTIFY payloads as fast as the
// in-flight limit allows or at the recorded pace times --speed, and compares every ACK with the
// recorded one as it arrives. Single-threaded, non-blocking sockets and poll(), like `spop-sim run`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/replay/replay_input.hpp"
#include "simulator/replay/replay_report.hpp"
#include "netclient/endpoint.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop::sim::replay {

struct ReplayPlan {
  spop::netclient::Endpoint agent;
  spop::HaproxyOptions haproxy;      ///< profile, frame size, capabilities, var-prefix, engine-id
  std::uint32_t connections = 1;
  std::uint32_t in_flight = 20;      ///< per connection (at most haproxy.max_in_flight)
  std::optional<double> speed;       ///< the recorded pace times this; nullopt: as fast as possible
  std::uint64_t repeat = 1;          ///< play the input this many times
  std::chrono::milliseconds processing_timeout{1000};
  std::vector<std::string> ignore;   ///< variable name patterns left out of the comparison
};

/// Replays `input` against the agent and compares. Never throws for what the agent does. When no
/// connection to the agent completes its handshake, `unreachable` says why and nothing is compared.
struct ReplayOutcome {
  ReplayReport report;
  std::optional<std::string> unreachable;
};
ReplayOutcome run_replay(const ReplayInput& input, const ReplayPlan& plan);

}  // namespace spop::sim::replay
