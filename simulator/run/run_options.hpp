// The command line of `spop-sim run` (TCLAP) and how it combines with the input files into a RunPlan:
// command-line values override the scenario's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netclient/tls_client.hpp"
#include "simulator/run/run_plan.hpp"

namespace spop::sim {

struct RunOptions {
  std::string spoe_config;     ///< --config
  std::string haproxy_config;  ///< --haproxy-config
  std::optional<std::string> engine;
  std::string scenario;        ///< --scenario
  std::optional<std::string> host;
  std::optional<std::uint16_t> port;
  std::optional<std::string> unix_path;
  /// --tls and the other --tls-* options; when given they replace the TLS settings of haproxy.cfg's server.
  std::optional<spop::netclient::TlsClientOptions> tls;
  std::optional<Profile> profile;
  std::optional<std::uint32_t> connections;
  std::optional<std::uint32_t> in_flight;
  std::optional<double> rate;
  std::optional<std::chrono::microseconds> duration;
  std::optional<std::uint64_t> requests;
  std::vector<FaultSpec> faults;
  bool no_faults = false;      ///< --no-faults: ignore the scenario's faults
  std::optional<std::string> event;
  std::optional<std::string> group;
  std::optional<std::uint64_t> seed;
  std::optional<std::chrono::milliseconds> processing_timeout;
  std::chrono::milliseconds reaction_timeout{1000};
  bool json = false;
  std::string html;
  bool quiet = false;
};

/// Parses argv (argv[0] names the command). On a usage error returns nullopt and sets `error`; for
/// --help/--version prints and sets `exit_now` (to 0).
std::optional<RunOptions> parse_run_options(int argc, char** argv, std::string& error, std::optional<int>& exit_now);

/// Loads the files and applies the overrides. Throws ConfigError on bad files or values.
RunPlan make_plan(const RunOptions& options);

}  // namespace spop::sim
