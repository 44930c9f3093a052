// spoa: parses the command line (and --config file) and runs the agent, or checks it (--check).
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "agent/check.hpp"
#include "agent/exit_status.hpp"
#include "agent/logging.hpp"
#include "agent/options.hpp"
#include "agent/supervisor.hpp"
#include "agent/tls/server_context.hpp"

int main(int argc, char** argv) {
  auto parsed = spoa::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  spoa::Options& options = *parsed.options;
  spoa::hide_state_password(argc, argv);  // parsed: `ps` need not show a password given in --state
  // One redaction key per agent run, drawn before any worker is forked: every worker, and every file
  // rotated during this run, redacts with it, so their values compare; it is never written anywhere.
  if (options.record.enabled()) options.record.key = spop::recording::RedactionKey::random();
  if (options.check) {
    // Script load messages belong on the terminal of whoever runs --check, whatever --log-target says.
    spoa::setup_logging(options.log_level);
  } else {
    spoa::setup_logging(options.log_level, options.log_output);
  }
  // The shared state store: created before the supervisor forks, so that the workers inherit the
  // embedded store's shared memory. Scripts may use it while they load, under --check too.
  try {
    options.engine.state = spoa::make_shared_store(options.state, spoa::engine_log_sink());
  } catch (const std::exception& e) {
    spdlog::critical("cannot create the shared state store: {}", e.what());
    return spoa::exit_status::internal;
  }
  if (options.check) return spoa::run_check(options, std::cout, std::cerr);
  if (options.tls.enabled()) {
    // Once, before any worker is forked: bad TLS files stop start-up with one message.
    try {
      spdlog::info("serving TLS on the TCP listeners with {}", spoa::tls::make_server_context(options.tls).certificate);
    } catch (const std::exception& e) {
      spdlog::critical("cannot start: TLS: {}", e.what());
      return spoa::exit_status::usage;
    }
  }
  // A Redis store that refuses this configuration (wrong password, no such database or master) stops
  // start-up here, once, instead of failing every call of every worker; one that is merely unreachable
  // now does not: the workers reconnect by themselves.
  const spoa::StoreCheck state = options.engine.state->check();
  switch (state.verdict) {
    case spoa::StoreCheck::Verdict::refused:
      spdlog::critical("cannot use the shared state store: {}", state.text);
      return spoa::exit_status::usage;
    case spoa::StoreCheck::Verdict::unreachable:
      spdlog::warn("shared state: {}; starting anyway: state calls fail until it is reachable", state.text);
      break;
    case spoa::StoreCheck::Verdict::ok:
      spdlog::log(options.state.redis ? spdlog::level::info : spdlog::level::debug, "shared state: {}",
                  spoa::describe_state(options.state, state));
      break;
  }
  return spoa::run_agent(options);
}
