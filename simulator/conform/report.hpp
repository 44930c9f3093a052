// Rendering a conformance run: the terminal table, JSON, JUnit XML, and the check list (plain or as
// the check table of docs/conformance.md).
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "simulator/conform/runner.hpp"

namespace spop::sim::conform {

/// "pass", "FAIL" (a MUST), "warn" (a SHOULD), "skip".
std::string_view result_word(const Result& r);

void print_table(std::ostream& out, const Report& report);
void print_json(std::ostream& out, const Report& report);
void print_junit(std::ostream& out, const Report& report);

/// `--list`: one line per check. `--list --markdown`: the table of docs/conformance.md.
void print_list(std::ostream& out, std::span<const Check* const> checks);
void print_markdown(std::ostream& out, std::span<const Check* const> checks);

}  // namespace spop::sim::conform
