// Runs the built spop-cli binary as a child process, for the end-to-end tests of exit statuses and output.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace spop_cli::test {

struct CliResult {
  int status = -1;  ///< exit status, or -1 when killed by a signal or the timeout
  std::string out;
  std::string err;
};

/// `spop-cli <args...>` with `input` on stdin; killed after `timeout`.
CliResult run_cli(const std::vector<std::string>& args, const std::string& input = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// A path under a fresh temporary directory (removed at exit of the test binary is not needed: /tmp).
std::string temp_path(const std::string& name);

}  // namespace spop_cli::test
