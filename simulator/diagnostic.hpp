// Diagnostics for spop-sim's input files: an error or warning tied to file:line, a log that collects
// them while one file is read, and the exception that hands a batch of errors to the caller.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace spop::sim {

/// Where something was written. Lines and columns count from 1; 0 means "unknown".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

/// "file:12:5", "file:12" or "file", depending on what is known.
std::string to_string(const SourceLocation& where);

/// One error or warning: `spoe.conf:12: unknown keyword 'foo' in spoe-agent section` (just the message
/// when the location is unknown).
struct Diagnostic {
  SourceLocation where;
  std::string message;
};

std::string to_string(const Diagnostic& d);

/// Thrown when a file has errors. Carries every error found (readers collect as many as they can,
/// as HAProxy does) and the warnings seen so far; what() lists the errors one per line.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> errors, std::vector<Diagnostic> warnings = {});

  const std::vector<Diagnostic>& errors() const noexcept { return errors_; }
  const std::vector<Diagnostic>& warnings() const noexcept { return warnings_; }

 private:
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

/// Collects diagnostics while one input is read.
class DiagnosticLog {
 public:
  void error(SourceLocation where, std::string message);
  void warning(SourceLocation where, std::string message);

  bool has_errors() const noexcept { return !errors_.empty(); }
  const std::vector<Diagnostic>& errors() const noexcept { return errors_; }
  const std::vector<Diagnostic>& warnings() const noexcept { return warnings_; }

  /// Throws ConfigError with everything collected if there is at least one error.
  void throw_if_errors() const;

 private:
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace spop::sim
