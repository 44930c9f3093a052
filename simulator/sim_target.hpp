// Everything spop-sim needs to play the HAProxy that a haproxy.cfg describes (`spop-sim --haproxy-cfg`):
// the chosen `filter spoe` line, its resolved SPOE configuration and the backend of agents it talks to,
// checked as HAProxy checks them at start-up.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "simulator/haproxy_config.hpp"
#include "simulator/spoe_config.hpp"

namespace spop::sim {

struct SimTarget {
  SpoeFilter filter;
  SpoeConfig spoe;
  HaproxyBackend backend;             ///< the agent's use-backend
  std::vector<Diagnostic> warnings;   ///< from haproxy.cfg and the SPOE file
};

/// Picks the `filter spoe` line (the only one; with `engine`, the one whose engine id is `engine`, the
/// agent name counting for filters without one), loads its SPOE file and finds its backend. Throws
/// ConfigError when there is no such filter, when several match, or when the backend is missing, in
/// http mode (HAProxy 2.6 refuses it) or without servers.
SimTarget resolve_sim_target(const HaproxyConfig& haproxy, const std::optional<std::string>& engine = {},
                             const EnvLookup& env = {});

/// load_haproxy_config() then resolve_sim_target().
SimTarget load_sim_target(const std::filesystem::path& haproxy_cfg, const std::optional<std::string>& engine = {},
                          const EnvLookup& env = {});

}  // namespace spop::sim
