#include "simulator/diagnostic.hpp"

#include <utility>

namespace spop::sim {

std::string to_string(const SourceLocation& where) {
  std::string s = where.file;
  if (where.line > 0) {
    s += ':' + std::to_string(where.line);
    if (where.column > 0) s += ':' + std::to_string(where.column);
  }
  return s;
}

std::string to_string(const Diagnostic& d) {
  const std::string where = to_string(d.where);
  return where.empty() ? d.message : where + ": " + d.message;
}

namespace {

std::string join_lines(const std::vector<Diagnostic>& list) {
  std::string s;
  for (const Diagnostic& d : list) {
    if (!s.empty()) s += '\n';
    s += to_string(d);
  }
  return s;
}

}  // namespace

ConfigError::ConfigError(std::vector<Diagnostic> errors, std::vector<Diagnostic> warnings)
    : std::runtime_error(join_lines(errors)), errors_(std::move(errors)), warnings_(std::move(warnings)) {}

void DiagnosticLog::error(SourceLocation where, std::string message) {
  errors_.push_back({std::move(where), std::move(message)});
}

void DiagnosticLog::warning(SourceLocation where, std::string message) {
  warnings_.push_back({std::move(where), std::move(message)});
}

void DiagnosticLog::throw_if_errors() const {
  if (has_errors()) throw ConfigError(errors_, warnings_);
}

}  // namespace spop::sim
