// Splits HAProxy-style configuration text into words the way HAProxy 2.6 reads haproxy.cfg and SPOE
// files: single and double quotes, backslash escapes, "$VAR" expansion inside double quotes,
// '#' comments and `[scope]` lines. Shared by the SPOE and haproxy.cfg readers.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/diagnostic.hpp"

namespace spop::sim {

/// Resolves an environment variable for "$NAME" / "${NAME}"; nullopt when unset (expands to "").
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// One line that holds something: either words or a `[scope]` declaration.
struct ConfigLine {
  int number = 0;                    ///< 1-based line number in the file
  std::vector<std::string> words;    ///< unquoted words; one may be empty (`""`, or an unset "$VAR")
  std::optional<std::string> scope;  ///< set for a `[name]` line, whose `words` is then empty
};

/// Every line of `text` that holds words or a scope, in order. A line with a syntax error (unmatched
/// quote, malformed scope, an unsupported `.if` block) is reported to `log` and left out, so the
/// caller can go on and report more errors. `env` defaults to the process environment.
std::vector<ConfigLine> tokenize_config(std::string_view text, const std::string& file, DiagnosticLog& log,
                                        const EnvLookup& env = {});

/// The whole content of a configuration file. Throws ConfigError ("file: Could not open configuration
/// file: <reason>") when it cannot be read.
std::string read_config_file(const std::filesystem::path& file);

/// The words joined with single spaces: how spop-sim keeps condition, ACL and log text.
std::string join_words(std::span<const std::string> words);

/// HAProxy's rule for object names (proxies, SPOE sections, scopes, ACLs): [A-Za-z0-9_.:-].
/// Returns the first character that is not allowed, or nullopt when `name` is fine.
std::optional<char> invalid_name_char(std::string_view name);

}  // namespace spop::sim
