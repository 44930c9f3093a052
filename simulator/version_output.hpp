// TCLAP output of spop-sim's subcommands: `--version` prints "spop-sim 0.1.0" on one line, as the other
// tools do, instead of TCLAP's framed text with the subcommand's name.
#pragma once

#include <tclap/CmdLine.h>

#include <iostream>

namespace spop::sim {

class VersionOutput : public TCLAP::StdOutput {
 public:
  void version(TCLAP::CmdLineInterface& cmd) override { std::cout << "spop-sim " << cmd.getVersion() << "\n"; }
};

}  // namespace spop::sim
