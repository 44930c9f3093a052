// spop-sim: entry point. Picks the subcommand and hands the rest of the command line to it.
#include <cstdio>
#include <string_view>

#include "simulator/conform/conform_command.hpp"
#include "simulator/replay/replay_command.hpp"
#include "simulator/run/run_command.hpp"

namespace {

void print_usage(std::FILE* out) {
  std::fputs(
      "usage: spop-sim <command> [options]\n"
      "\n"
      "commands:\n"
      "  run       emulate HAProxy: send scenario traffic to an agent, inject faults, check and report\n"
      "  replay    replay recorded traffic (recordings, pcap captures) against an agent, report what differs\n"
      "  conform   run the SPOP conformance suite against an agent\n"
      "\n"
      "`spop-sim <command> --help` describes each command's options; `spop-sim --version` prints the version.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    print_usage(stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("spop-sim %s\n", SPOP_SIM_VERSION);
    return 0;
  }
  // Each subcommand sees argv as if it were its own program: argv[0] is "spop-sim <command>".
  if (command == "run") return spop::sim::run_command(argc - 1, argv + 1);
  if (command == "replay") return spop::sim::replay_command(argc - 1, argv + 1);
  if (command == "conform") return spop::sim::conform_command(argc - 1, argv + 1);
  std::fprintf(stderr, "spop-sim: unknown command '%s' (expected run, replay or conform; see spop-sim --help)\n",
               argv[1]);
  return 2;
}
