// Loading scripts: errors name the file and line; a failed file registers nothing; duplicate names are
// refused; sibling files are found by require; a second engine in the process is refused.
#include <string>

#include "tests/php/php_test_support.hpp"

namespace spoa::test {
namespace {

TEST_F(PhpEngineTest, ASyntaxErrorNamesTheFileAndLine) {
  const std::string error = load_error("<?php\n\nspoa\\register_message('m', function ($args) {\n  this is not php\n});\n");
  const std::string script = (dir() / "script.php").string();
  EXPECT_EQ(error.rfind(script + ":4: ParseError: syntax error", 0), 0u) << error;
  EXPECT_TRUE(engine().registrations().empty());
}

TEST_F(PhpEngineTest, AnExceptionAtLoadNamesTheFileLineAndTrace) {
  const std::string error = load_error(R"PHP(<?php
function config() {
    throw new RuntimeException('bad config');
}
spoa\register_message('early', fn ($args) => null);
config();
)PHP");
  const std::string script = (dir() / "script.php").string();
  EXPECT_EQ(error.rfind(script + ":3: RuntimeException: bad config", 0), 0u) << error;
  EXPECT_TRUE(contains(error, "#0 " + script + "(6): config()")) << error;
  EXPECT_TRUE(engine().registrations().empty()) << "a file that fails registers nothing";
}

TEST_F(PhpEngineTest, AFatalErrorAtLoadIsALoadErrorAndEarlierScriptsStillWork) {
  load_script("<?php\nspoa\\register_message('first', fn ($a) => spoa\\set_var_int32('ok', spoa\\SCOPE_TXN, 1));\n",
              "first.php");
  const std::string error = load_error("<?php\nfunction f() {}\nfunction f() {}\n", "second.php");
  const std::string second = (dir() / "second.php").string();
  EXPECT_EQ(error.rfind(second + ":3: PHP Fatal error:  Cannot redeclare f()", 0), 0u) << error;
  ASSERT_EQ(engine().registrations().size(), 1u);
  const auto out = call("first");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 02 6f6b 02 01"));
}

TEST_F(PhpEngineTest, AMissingFileOrADirectoryIsALoadError) {
  const std::string missing = (dir() / "absent.php").string();
  try {
    engine().load(missing);
    FAIL() << "loaded a missing file";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot read script: no such file");
  }
  try {
    engine().load(dir());
    FAIL() << "loaded a directory";
  } catch (const LoadError& e) {
    EXPECT_TRUE(contains(e.what(), "is a directory")) << e.what();
  }
}

TEST_F(PhpEngineTest, ADuplicateRegistrationNamesBothFiles) {
  load_script("<?php\nspoa\\register_message('dup', fn ($a) => null);\n", "first.php");
  const std::string error = load_error("<?php\n\nspoa\\register_message('dup', fn ($a) => null);\n", "second.php");
  const std::string first = (dir() / "first.php").string();
  const std::string second = (dir() / "second.php").string();
  EXPECT_EQ(error.rfind(second + ":3: spoa\\Exception: spoa\\register_message(): message 'dup' is already "
                                 "registered by " + first, 0), 0u) << error;
  EXPECT_EQ(engine().registrations().size(), 1u);
}

TEST_F(PhpEngineTest, RequireFindsFilesNextToTheScriptFromAnyWorkingDirectory) {
  write("lib/helper.php", "<?php\nfunction score(): int { return 42; }\n");
  load_script(R"PHP(<?php
require 'helper.php';
require_once __DIR__ . '/helper.php';  // the same file: not loaded twice
spoa\register_message('m', fn ($args) => spoa\set_var_int32('s', spoa\SCOPE_TXN, score()));
)PHP", "lib/main.php");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 01 73 02 2a"));
}

TEST_F(PhpEngineTest, OnlyOneEngineMayExistInAProcess) {
  engine();
  EXPECT_THROW(make_php_engine(options()), std::runtime_error);
}

TEST_F(PhpEngineTest, EachEngineStartsWithFreshGlobals) {
  // The first test in this binary that defines f() is not the only one: engines run in separate requests.
  load_script("<?php\nfunction f() { return 1; }\n$GLOBALS['seen'] = ($GLOBALS['seen'] ?? 0) + 1;\n"
              "spoa\\register_message('m', fn ($a) => spoa\\set_var_int32('seen', spoa\\SCOPE_TXN, $GLOBALS['seen']));\n");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 04 7365656e 02 01"));
}

}  // namespace
}  // namespace spoa::test
