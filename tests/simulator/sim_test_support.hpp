// Helpers for the spop-sim configuration tests: parse text and collect the diagnostics as
// "file:line: message" strings, a fixed environment for "$VAR", and a scratch directory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/cfg_lexer.hpp"
#include "simulator/diagnostic.hpp"
#include "simulator/scenario.hpp"
#include "simulator/spoe_config.hpp"
#include "spop/value.hpp"

namespace spop::sim::test {

/// FOO=bar, EMPTY="", everything else unset.
EnvLookup fixed_env();

/// Parses SPOE text named "t.conf"; a ConfigError fails the calling test (through ADD_FAILURE).
SpoeConfig spoe(std::string_view text, SpoeLoadOptions options = {});

/// The errors of parsing SPOE text named "t.conf", as "t.conf:3: ..."; empty when it parses.
std::vector<std::string> spoe_errors(std::string_view text, SpoeLoadOptions options = {});

/// The warnings of a successful parse, as "t.conf:3: ...".
std::vector<std::string> spoe_warnings(std::string_view text, SpoeLoadOptions options = {});

/// Parses a scenario named "s.yaml"; a ConfigError fails the calling test.
Scenario scenario(std::string_view yaml);

/// The errors of parsing a scenario named "s.yaml", as "s.yaml:3:5: ..."; empty when it parses.
std::vector<std::string> scenario_errors(std::string_view yaml);

/// An IPv6 address from its text; a test failure when the text does not parse.
spop::Ipv6Address v6(const char* text);

std::vector<std::string> strings_of(const std::vector<Diagnostic>& list);

/// A fresh directory under the system temp dir, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Writes `text` to path()/name (creating subdirectories) and returns the full path.
  std::filesystem::path write(const std::string& name, std::string_view text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace spop::sim::test
