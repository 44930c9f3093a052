// What a group of options that declares and checks its own TCLAP arguments (--state-*, --tls-*, --record-*) shares
// with options.cpp: the TCLAP types it names (declared here, so that its header does not pull TCLAP
// in), and the refused value it reports, which options.cpp prints like its other bad values.
#pragma once

#include <string>

namespace TCLAP {
class CmdLine;
template <typename T>
class ValueArg;
template <typename T>
class MultiArg;
}  // namespace TCLAP

namespace spoa {

struct OptionError {
  std::string option;    ///< "--tls-min-version"
  std::string value;     ///< what was given
  std::string expected;  ///< "1.2 or 1.3"
};

}  // namespace spoa
