// The check table of docs/conformance.md is the registry's (`spop-sim conform --list --markdown`).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "simulator/conform/report.hpp"

namespace spop::sim::conform {
namespace {

TEST(ConformDocs, CheckTableMatchesTheRegistry) {
  const std::string page = std::string(SPOP_SOURCE_DIR) + "/docs/conformance.md";
  std::ifstream in(page);
  ASSERT_TRUE(in) << page << " not found";
  std::stringstream text;
  text << in.rdbuf();
  std::vector<const Check*> checks;
  for (const Check& c : all_checks()) checks.push_back(&c);
  std::ostringstream table;
  print_markdown(table, checks);
  EXPECT_NE(text.str().find(table.str()), std::string::npos)
      << "docs/conformance.md's check table is out of date; regenerate it with\n"
         "  spop-sim conform --list --markdown\nExpected:\n"
      << table.str();
}

}  // namespace
}  // namespace spop::sim::conform
