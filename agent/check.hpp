// spoa --check: validates the configuration and the scripts and says what would run, without listening.
#pragma once

#include <iosfwd>

namespace spoa {

struct Options;

/// Loads the scripts as a worker would, then prints the listening addresses, workers, scripts with
/// their message names, timeouts, limits and log settings to `out`. Returns 0, or 1 after printing
/// why to `err` (a script that does not load, a duplicate message name).
int run_check(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace spoa
