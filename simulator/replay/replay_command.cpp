#include "simulator/replay/replay_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "simulator/replay/replay_options.hpp"
#include "simulator/replay/replay_runner.hpp"

namespace spop::sim {

int replay_command(int argc, char** argv) {
  std::string error;
  std::optional<int> exit_now;
  const auto options = replay::parse_replay_options(argc, argv, error, exit_now);
  if (exit_now) return *exit_now;
  if (!options) {
    std::fprintf(stderr, "spop-sim replay: %s (see spop-sim replay --help)\n", error.c_str());
    return 2;
  }
  const replay::ReplayInput input = replay::load_inputs(options->files, options->input);
  // Input problems first, one line each: what came before each of them is replayed all the same.
  for (const replay::InputFile& f : input.files)
    for (const std::string& e : f.errors) std::fprintf(stderr, "spop-sim replay: %s\n", e.c_str());
  if (input.exchanges.empty()) {
    std::fprintf(stderr, "spop-sim replay: nothing to replay\n");
    return 2;
  }
  replay::ReplayOutcome outcome = replay::run_replay(input, options->plan);
  replay::ReplayReport& report = outcome.report;
  report.agent = options->plan.agent.to_string();
  report.profile = std::string(spop::to_string(options->plan.haproxy.profile));
  report.mode = std::to_string(options->plan.connections) + " connection(s) x " +
                std::to_string(std::min<std::size_t>(options->plan.in_flight, options->plan.haproxy.max_in_flight)) +
                " in flight, " +
                (options->plan.speed ? "the recorded pace x " + std::to_string(*options->plan.speed).substr(0, 6)
                                     : std::string("as fast as possible")) +
                (options->plan.repeat > 1 ? ", " + std::to_string(options->plan.repeat) + " passes" : "");
  report.inputs = input.files;
  report.warnings.insert(report.warnings.begin(), options->warnings.begin(), options->warnings.end());
  if (outcome.unreachable) {
    std::fprintf(stderr, "spop-sim replay: the agent at %s could not be reached: %s\n", report.agent.c_str(),
                 outcome.unreachable->c_str());
    return 3;
  }
  if (options->json) std::cout << to_json(report).dump(2) << "\n";
  else std::cout << to_text(report);
  if (!options->html.empty()) {
    std::ofstream html(options->html, std::ios::binary);
    html << to_html(report);
    if (!html) {
      std::fprintf(stderr, "spop-sim replay: cannot write %s\n", options->html.c_str());
      return 2;
    }
  }
  if (report.input_errors()) return 2;
  return report.differs() ? 1 : 0;
}

}  // namespace spop::sim
