// The mutator of the replay driver: deterministic per seed, within its size limit, really changing its
// inputs, using its dictionary; and the dictionary reader's escapes and errors.
#include "fuzz/driver/mutator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace spop::fuzz {
namespace {

Input bytes_of(const std::string& text) { return Input(text.begin(), text.end()); }

std::vector<Input> run(std::uint64_t seed, std::size_t count, std::size_t max_size,
                       std::vector<std::string> dictionary = {}) {
  Mutator mutator(seed, max_size, std::move(dictionary));
  const Input base = bytes_of("spoe-agent iprep\n    messages check-client-ip\n");
  const Input other = bytes_of("\x00\x00\x00\x0c\x03\x00\x00\x00\x01\x01\x01");
  std::vector<Input> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(mutator.mutate(base, other));
  return out;
}

TEST(Mutator, TheSameSeedGivesTheSameInputsAndAnotherSeedOthers) {
  EXPECT_EQ(run(7, 200, 4096), run(7, 200, 4096));
  EXPECT_NE(run(7, 200, 4096), run(8, 200, 4096));
}

TEST(Mutator, AlmostEveryInputDiffersFromItsBaseAndTheyAreVaried) {
  const Input base = bytes_of("spoe-agent iprep\n    messages check-client-ip\n");
  const auto inputs = run(1, 1000, 4096);
  const auto unchanged = std::count(inputs.begin(), inputs.end(), base);
  // An edit can undo another (flip the same bit twice), so a few may come back unchanged.
  EXPECT_LT(unchanged, 20);
  EXPECT_GT(std::set<Input>(inputs.begin(), inputs.end()).size(), 900u);
}

TEST(Mutator, NeverExceedsItsMaximumSize) {
  for (const Input& input : run(3, 2000, 50)) EXPECT_LE(input.size(), 50u);
}

TEST(Mutator, InsertsDictionaryWords) {
  const std::string word = "max-frame-size";
  const auto inputs = run(5, 500, 4096, {word});
  const auto with_word = std::count_if(inputs.begin(), inputs.end(), [&](const Input& input) {
    return std::search(input.begin(), input.end(), word.begin(), word.end()) != input.end();
  });
  EXPECT_GT(with_word, 50);
  const auto without_dictionary = run(5, 500, 4096);
  EXPECT_EQ(std::count_if(without_dictionary.begin(), without_dictionary.end(),
                          [&](const Input& input) {
                            return std::search(input.begin(), input.end(), word.begin(), word.end()) != input.end();
                          }),
            0);
}

TEST(Mutator, GrowsAnEmptyInput) {
  Mutator mutator(1, 100, {});
  const Input none;
  EXPECT_FALSE(mutator.mutate(none, none).empty());
}

TEST(Dictionary, ReadsNamedAndBareWordsWithEscapes) {
  std::string error;
  const auto words = parse_dictionary("# comment\n\nkw=\"max-frame-size\"\n\"a\\\"b\\\\c\"\r\n  hdr=\"\\x03\\x00\\xfF\"\n",
                                      error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0], "max-frame-size");
  EXPECT_EQ(words[1], "a\"b\\c");
  EXPECT_EQ(words[2], std::string("\x03\x00\xff", 3));
}

TEST(Dictionary, NamesTheBadLine) {
  std::string error;
  parse_dictionary("ok=\"x\"\nbad=\"x\n", error);
  EXPECT_EQ(error, "line 2: no closing quote");
  parse_dictionary("\"\\q\"", error);
  EXPECT_EQ(error, "line 1: unknown escape");
  parse_dictionary("x=\"a\" tail", error);
  EXPECT_EQ(error, "line 1: text after the closing quote");
  parse_dictionary("just words", error);
  EXPECT_EQ(error, "line 1: no quoted value");
}

TEST(Dictionary, ReadsTheRepositoryDictionaries) {
  for (const char* name : {"spop.dict", "spoe_config.dict"}) {
    std::ifstream in(std::string(SPOP_SOURCE_DIR) + "/corpus/" + name);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << name;
    std::string error;
    EXPECT_GT(parse_dictionary(text, error).size(), 20u) << name;
    EXPECT_EQ(error, "") << name;
  }
}

}  // namespace
}  // namespace spop::fuzz
