// The subcommands. Each takes its own arguments (args[0] = "spop-cli <name>") and streams, and returns
// the process exit status (exit_codes.hpp); main() only dispatches on argv[1].
#pragma once

#include "spop-cli/cli_common.hpp"

namespace spop_cli {

int run_send(const CommandArgs& a);
int run_hello(const CommandArgs& a);
int run_check(const CommandArgs& a);
int run_decode(const CommandArgs& a);
int run_encode(const CommandArgs& a);

/// spop-cli --help: the subcommands and the exit statuses.
void print_overview(std::ostream& os);

}  // namespace spop_cli
