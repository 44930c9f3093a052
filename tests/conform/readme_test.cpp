// The README's table of checks is the registry's (`spop-sim conform --list --markdown`).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "simulator/conform/report.hpp"

namespace spop::sim::conform {
namespace {

TEST(ConformReadme, CheckTableMatchesTheRegistry) {
  std::ifstream in(std::string(SPOP_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream readme;
  readme << in.rdbuf();
  std::vector<const Check*> checks;
  for (const Check& c : all_checks()) checks.push_back(&c);
  std::ostringstream table;
  print_markdown(table, checks);
  EXPECT_NE(readme.str().find(table.str()), std::string::npos)
      << "README.md's check table is out of date; regenerate it with\n"
         "  spop-sim conform --list --markdown\nExpected:\n"
      << table.str();
}

}  // namespace
}  // namespace spop::sim::conform
