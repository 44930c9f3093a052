// spoa: parses the command line and runs the agent.
#include "agent/logging.hpp"
#include "agent/options.hpp"
#include "agent/supervisor.hpp"

int main(int argc, char** argv) {
  auto parsed = spoa::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  spoa::setup_logging(parsed.options->log_level);
  return spoa::run_agent(*parsed.options);
}
