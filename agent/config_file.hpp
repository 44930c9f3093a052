// --config FILE: a YAML mapping of long option names to values, turned into command-line arguments
// before TCLAP parses them. Every option therefore works in the file with the same checks and
// messages, including options added later, and the command line wins over the file.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace spoa {

/// An option the command-line parser knows.
struct OptionSpec {
  std::string name;         ///< long name, without "--"
  std::string flag;         ///< short flag without "-", or empty
  bool takes_value = true;  ///< false for switches
  bool repeatable = false;  ///< may be given several times (the file then takes a YAML list)
};

/// Options that make no sense in a file ("config", "help", "version", "check").
bool allowed_in_config(const std::string& name);

/// `argv` (argv[0] first) with the options of the --config file (if any) inserted after argv[0].
/// A file option is skipped when the command line sets the same option (by long name or short flag):
/// for a repeatable option, the command line's list replaces the file's. Switches take true/false.
/// Returns the new argument list, or an error message such as "spoa.yaml:3: unknown option 'wokers'".
std::variant<std::vector<std::string>, std::string> expand_config_file(const std::vector<OptionSpec>& known,
                                                                       const std::vector<std::string>& argv);

}  // namespace spoa
