// Placeholder: replaced by the real subcommand.
#include <cstdio>

#include "simulator/conform/conform_command.hpp"

namespace spop::sim {

int conform_command(int, char**) {
  std::fputs("spop-sim: 'conform' is not built yet\n", stderr);
  return 2;
}

}  // namespace spop::sim
