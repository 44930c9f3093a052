// A command-line value that is refused, as the option groups that parse their own arguments (--state-*,
// --tls-*) report it to options.cpp, which prints it like its other bad values.
#pragma once

#include <string>

namespace spoa {

struct OptionError {
  std::string option;    ///< "--tls-min-version"
  std::string value;     ///< what was given
  std::string expected;  ///< "1.2 or 1.3"
};

}  // namespace spoa
