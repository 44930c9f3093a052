// `spop-sim conform`: the SPOP conformance suite, run against any agent.
#pragma once

namespace spop::sim {

/// Runs the `conform` subcommand; argv[0] names the command. Returns the process exit status.
int conform_command(int argc, char** argv);

}  // namespace spop::sim
