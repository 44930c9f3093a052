#include "simulator/cfg_lexer.hpp"

#include <gtest/gtest.h>

#include "tests/simulator/sim_test_support.hpp"

namespace spop::sim {
namespace {

using Words = std::vector<std::string>;

// The words of a one-line text; fails the test on a diagnostic.
Words words_of(std::string_view line) {
  DiagnosticLog log;
  const std::vector<ConfigLine> lines = tokenize_config(line, "t.cfg", log, test::fixed_env());
  EXPECT_FALSE(log.has_errors()) << (log.has_errors() ? to_string(log.errors()[0]) : "");
  if (lines.size() != 1) return {};
  return lines[0].words;
}

std::vector<std::string> lexer_errors(std::string_view text) {
  DiagnosticLog log;
  tokenize_config(text, "t.cfg", log, test::fixed_env());
  return test::strings_of(log.errors());
}

// Each expectation below was checked against HAProxy 2.6.12 (`haproxy -c` with the word as a backend name).
TEST(CfgLexer, SplitsWordsOnBlanksAndSkipsCommentsAndEmptyLines) {
  DiagnosticLog log;
  const auto lines = tokenize_config("# comment\n\n  a b\tc  \n   \n  # indented comment\nd\r\n", "t.cfg", log);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].number, 3);
  EXPECT_EQ(lines[0].words, (Words{"a", "b", "c"}));
  EXPECT_EQ(lines[1].number, 6);
  EXPECT_EQ(lines[1].words, (Words{"d"}));
}

TEST(CfgLexer, HashEndsTheLineEvenInsideAWord) { EXPECT_EQ(words_of("a#b c"), (Words{"a"})); }

TEST(CfgLexer, Quotes) {
  EXPECT_EQ(words_of("\"a b\" c"), (Words{"a b", "c"}));
  EXPECT_EQ(words_of("'a b'"), (Words{"a b"}));
  EXPECT_EQ(words_of("a\"b c\"d"), (Words{"ab cd"}));
  EXPECT_EQ(words_of("x \"\" y"), (Words{"x", "", "y"}));
  EXPECT_EQ(words_of("'a#b'"), (Words{"a#b"}));
}

TEST(CfgLexer, BackslashEscapes) {
  EXPECT_EQ(words_of(R"(a\ b)"), (Words{"a b"}));
  EXPECT_EQ(words_of(R"(a\#b)"), (Words{"a#b"}));
  EXPECT_EQ(words_of(R"(a\\b)"), (Words{"a\\b"}));
  EXPECT_EQ(words_of(R"("a\"b")"), (Words{"a\"b"}));
  EXPECT_EQ(words_of(R"(a\tb)"), (Words{"a\tb"}));
  EXPECT_EQ(words_of(R"(a\x41b)"), (Words{"aAb"}));
  EXPECT_EQ(words_of(R"(a\qb)"), (Words{"a\\qb"}));  // unknown escapes keep the backslash
  EXPECT_EQ(words_of(R"(a\)"), (Words{"a\\"}));
  EXPECT_EQ(words_of(R"('a\tb')"), (Words{"a\\tb"}));  // nothing is escaped inside single quotes
}

TEST(CfgLexer, EnvironmentVariablesExpandOnlyInsideDoubleQuotes) {
  EXPECT_EQ(words_of(R"("$FOO")"), (Words{"bar"}));
  EXPECT_EQ(words_of(R"("${FOO}x")"), (Words{"barx"}));
  EXPECT_EQ(words_of(R"($FOO)"), (Words{"$FOO"}));
  EXPECT_EQ(words_of(R"('$FOO')"), (Words{"$FOO"}));
  EXPECT_EQ(words_of(R"("$NOPE" x)"), (Words{"", "x"}));
  EXPECT_EQ(words_of(R"("a$" "$1")"), (Words{"a$", "$1"}));
}

TEST(CfgLexer, Scopes) {
  DiagnosticLog log;
  const auto lines = tokenize_config("[test]\n  [other] # c\nx\n", "t.cfg", log);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].scope, "test");
  EXPECT_TRUE(lines[0].words.empty());
  EXPECT_EQ(lines[1].scope, "other");
  EXPECT_FALSE(lines[2].scope.has_value());
}

TEST(CfgLexer, ReportsBadLinesAndKeepsGoing) {
  EXPECT_EQ(lexer_errors("\"a\nok\n'b\n[test\n[]\n[te st]\n[test] x\n.if defined(X)\na\\x4\n"),
            (std::vector<std::string>{
                "t.cfg:1: unmatched quote",
                "t.cfg:3: unmatched quote",
                "t.cfg:4: missing ']' after scope name",
                "t.cfg:5: empty scope name is forbidden",
                "t.cfg:6: character ' ' is not permitted in a scope name",
                "t.cfg:7: character 'x' is not permitted after scope declaration",
                "t.cfg:8: '.if': conditional blocks and directives are not supported by spop-sim",
                "t.cfg:9: truncated or invalid hexadecimal sequence",
            }));
}

TEST(CfgLexer, NameRule) {
  EXPECT_EQ(invalid_name_char("a-b_c.d:e09"), std::nullopt);
  EXPECT_EQ(invalid_name_char("a$"), '$');
  EXPECT_EQ(invalid_name_char("a b"), ' ');
}

TEST(CfgLexer, ReadConfigFileReportsAMissingFile) {
  try {
    read_config_file("/nonexistent/spop-sim.conf");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(to_string(e.errors()[0]),
              "/nonexistent/spop-sim.conf: Could not open configuration file: No such file or directory");
  }
}

}  // namespace
}  // namespace spop::sim
