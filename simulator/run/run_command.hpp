// `spop-sim run`: HAProxy emulation and load generation from a scenario file.
#pragma once

namespace spop::sim {

/// Runs the `run` subcommand; argv[0] names the command. Returns the process exit status.
int run_command(int argc, char** argv);

}  // namespace spop::sim
