// Placeholder: replaced by the real subcommand.
#include <cstdio>

#include "simulator/run/run_command.hpp"

namespace spop::sim {

int run_command(int, char**) {
  std::fputs("spop-sim: 'run' is not built yet\n", stderr);
  return 2;
}

}  // namespace spop::sim
