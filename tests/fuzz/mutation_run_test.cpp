// The mutation run: the same sequence for the same seed, and the input that kills the process kept in
// the crash directory, byte for byte.
#include "fuzz/driver/mutation_run.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/driver/mutator.hpp"
#include "tests/support/temp_dir.hpp"

namespace spop::fuzz {
namespace {

std::vector<Input> seen;
int record(const std::uint8_t* data, std::size_t size) {
  seen.emplace_back(data, data + size);
  return 0;
}

// Dies on the fourth input it is given, as a target whose invariant check aborts.
int count_calls = 0;
int abort_on_fourth(const std::uint8_t*, std::size_t) {
  if (++count_calls == 4) std::abort();
  return 0;
}

const std::vector<Input> corpus = {Input{1, 2, 3, 4, 5, 6, 7, 8}, Input{'a', 'b', 'c'}};

TEST(MutationRun, RunsTheCountAndRepeatsItsSequence) {
  MutationRun run;
  run.seed = 42;
  run.count = 300;
  run.max_size = 64;
  seen.clear();
  run_mutations(corpus, run, record);
  const std::vector<Input> first = seen;
  ASSERT_EQ(first.size(), 300u);
  seen.clear();
  run_mutations(corpus, run, record);
  EXPECT_EQ(seen, first);
  for (const Input& input : first) EXPECT_LE(input.size(), 64u);
}

TEST(MutationRunDeathTest, KeepsTheInputThatKilledTheProcess) {
  const auto dir = spop::test::scratch_dir("spop-mutation");
  MutationRun run;
  run.seed = 9;
  run.count = 10;
  run.max_size = 64;
  run.crash_dir = dir;
  EXPECT_DEATH(run_mutations(corpus, run, abort_on_fourth), "the input that failed is in .*mutation-9-3");

  // The same seed replays the same inputs: the fourth is the one that must have been kept.
  seen.clear();
  run.crash_dir = dir / "unused";
  run_mutations(corpus, run, record);
  ASSERT_EQ(seen.size(), 10u);
  std::ifstream in(crash_file(dir, 9, 3), std::ios::binary);
  ASSERT_TRUE(in) << crash_file(dir, 9, 3);
  const Input kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, seen[3]);
}

}  // namespace
}  // namespace spop::fuzz
