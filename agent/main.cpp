// spoa: parses the command line and runs the agent.
#include <spdlog/spdlog.h>

#include <exception>

#include "agent/exit_status.hpp"
#include "agent/logging.hpp"
#include "agent/options.hpp"
#include "agent/supervisor.hpp"

int main(int argc, char** argv) {
  auto parsed = spoa::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  spoa::setup_logging(parsed.options->log_level);
  // The shared state store (issue #11): created here, before the supervisor forks, so that the workers
  // inherit the embedded store's shared memory.
  try {
    parsed.options->engine.state = spoa::make_shared_store(parsed.options->state, spoa::engine_log_sink());
  } catch (const std::exception& e) {
    spdlog::critical("cannot create the shared state store: {}", e.what());
    return spoa::exit_status::internal;
  }
  return spoa::run_agent(*parsed.options);
}
