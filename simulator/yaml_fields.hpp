// Typed, validated reads of YAML nodes for spop-sim's scenario files: each reader reports a problem
// to the DiagnosticLog as "file:line:column: message" (from yaml-cpp's marks) and returns nullopt, so
// that a file is checked whole and all its problems are listed at once. Internal to the simulator.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "simulator/diagnostic.hpp"

namespace spop::sim {

bool list_contains(std::initializer_list<std::string_view> list, std::string_view s);
/// "a, b, c".
std::string list_join(std::initializer_list<std::string_view> list);

class YamlFields {
 public:
  YamlFields(const std::string& file, DiagnosticLog& log) : file_(file), log_(log) {}

  /// The node's position, 1-based; line 0 when yaml-cpp has none.
  SourceLocation at(const YAML::Node& n) const;
  void error(const YAML::Node& n, std::string message);

  /// Reports keys that are not in `allowed` and keys given twice; false when `n` is not a mapping.
  bool check_keys(const YAML::Node& n, std::string_view what, std::initializer_list<std::string_view> allowed);

  std::optional<std::string> scalar(const YAML::Node& n, std::string_view what);
  /// An integer in [min, max].
  std::optional<std::uint64_t> unsigned_value(const YAML::Node& n, std::string_view what, std::uint64_t min,
                                              std::uint64_t max);
  /// A number in (above, max].
  std::optional<double> number(const YAML::Node& n, std::string_view what, double above, double max);
  /// A positive HAProxy-style time with an explicit unit ("250us", "10s"): a bare number would be ambiguous.
  std::optional<std::chrono::microseconds> time(const YAML::Node& n, std::string_view what);
  /// YAML's true/false (yes/no, on/off).
  std::optional<bool> boolean(const YAML::Node& n, std::string_view what);

 protected:
  const std::string& file_;
  DiagnosticLog& log_;
};

}  // namespace spop::sim
