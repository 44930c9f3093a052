// The command line of `spop-sim replay` (TCLAP) and how it becomes the inputs and a ReplayPlan.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "simulator/replay/replay_input.hpp"
#include "simulator/replay/replay_runner.hpp"

namespace spop::sim::replay {

struct ReplayOptions {
  std::vector<std::string> files;
  ReplayPlan plan;
  InputOptions input;
  bool json = false;
  std::string html;
  std::vector<std::string> warnings;  ///< from the SPOE file
};

/// Parses argv (argv[0] names the command). On a usage or configuration error returns nullopt and
/// sets `error`; for --help/--version prints and sets `exit_now` (to 0).
std::optional<ReplayOptions> parse_replay_options(int argc, char** argv, std::string& error,
                                                  std::optional<int>& exit_now);

}  // namespace spop::sim::replay
