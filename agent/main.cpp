// spoa: parses the command line (and --config file) and runs the agent, or checks it (--check).
#include <iostream>

#include "agent/check.hpp"
#include "agent/logging.hpp"
#include "agent/options.hpp"
#include "agent/supervisor.hpp"

int main(int argc, char** argv) {
  auto parsed = spoa::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  const spoa::Options& options = *parsed.options;
  if (options.check) {
    // Script load messages belong on the terminal of whoever runs --check, whatever --log-target says.
    spoa::setup_logging(options.log_level);
    return spoa::run_check(options, std::cout, std::cerr);
  }
  spoa::setup_logging(options.log_level, options.log_output);
  return spoa::run_agent(options);
}
