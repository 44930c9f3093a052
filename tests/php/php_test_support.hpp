// Fixture of the PHP engine tests: a temp dir per test for scripts, an engine, and calls that return the
// finished ACK as hex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "agent/engines/engine.hpp"
#include "agent/engines/php/php_engine.hpp"
#include "spop/value.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {

class PhpEngineTest : public ::testing::Test {
 protected:
  struct Outcome {
    CallResult result;
    std::string ack;  ///< the finished ACK frame, spop::test::to_hex() format
    std::size_t actions = 0;
  };

  void SetUp() override;
  void TearDown() override;

  /// Writes `text` to dir()/name (creating sub-directories) and returns the path.
  std::filesystem::path write(const std::string& name, std::string_view text);
  /// The engine, made on first use with options() (change options() before that).
  Engine& engine();
  EngineOptions& options() { return options_; }
  /// Writes `text` as "script.php" and loads it; fails the test on LoadError.
  void load_script(std::string_view text, const std::string& name = "script.php");
  /// Writes `text` as `name` and loads it; the LoadError's text, or "" if it loaded.
  std::string load_error(std::string_view text, const std::string& name = "script.php");
  /// Calls `message` with `args` into a fresh ACK (stream 1, frame 1) and finishes it.
  Outcome call(std::string_view message, const std::vector<spop::Argument>& args = {},
               std::uint32_t max_frame_size = 16380);
  const std::filesystem::path& dir() const { return dir_; }
  const std::vector<std::pair<LogLevel, std::string>>& logs() const { return *logs_; }
  /// True if a log record contains every one of `parts`.
  bool logged(LogLevel level, const std::vector<std::string>& parts) const;

 private:
  std::filesystem::path dir_;
  EngineOptions options_;
  std::shared_ptr<std::vector<std::pair<LogLevel, std::string>>> logs_ =
      std::make_shared<std::vector<std::pair<LogLevel, std::string>>>();
  std::unique_ptr<Engine> engine_;
};

/// The expected ACK (stream 1, frame 1) holding actions given in hex (shared with the other engines).
using spop::test::ack_with;

/// PHP prelude for scripts: `<?php`, `use` of the spoa namespace's functions and constants is not needed
/// (scripts call spoa\...), plus check($condition, $what) and raises($class, $fn, ...$args) -> the message,
/// both throwing AssertionError on failure (PHP's assert() is off in production php.ini).
extern const char* const prelude;

bool contains(const std::string& text, const std::string& part);

/// The 1-based number of the first line of `script` that contains `needle` (0 if none).
int line_of(std::string_view script, std::string_view needle);

}  // namespace spoa::test
