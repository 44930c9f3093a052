// Test helper: runs `spop-sim conform` in-process (conform_command) and captures its output.
#pragma once

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "simulator/conform/conform_command.hpp"

namespace spop::sim::conform::test {

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

inline CliRun run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "spop-sim conform");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  CliRun r;
  r.status = conform_command(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace spop::sim::conform::test
