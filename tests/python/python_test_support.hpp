// Fixture of the Python engine tests: a temp dir per test for scripts, an engine, and calls that return
// the finished ACK as hex.
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
#include "agent/engines/python/python_engine.hpp"
#include "spop/value.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/text.hpp"

namespace spoa::test {

class PythonEngineTest : public ::testing::Test {
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
  /// Writes `text` as "script.py" and loads it; fails the test on LoadError.
  void load_script(std::string_view text, const std::string& name = "script.py");
  /// Calls `message` with `args` into a fresh ACK (stream 1, frame 1) and finishes it.
  Outcome call(std::string_view message, const std::vector<spop::Argument>& args = {},
               std::uint32_t max_frame_size = 16380);
  const std::filesystem::path& dir() const { return dir_; }
  const std::vector<std::pair<LogLevel, std::string>>& logs() const { return *logs_; }

 private:
  std::filesystem::path dir_;
  EngineOptions options_;
  std::shared_ptr<std::vector<std::pair<LogLevel, std::string>>> logs_ =
      std::make_shared<std::vector<std::pair<LogLevel, std::string>>>();
  std::unique_ptr<Engine> engine_;
};

/// The expected ACK (stream 1, frame 1) holding actions given in hex (shared with the other engines).
using spop::test::ack_with;

using spop::test::contains;

/// A Python prelude for scripts: `import spoa` and raises(exc, fn, *args) -> the exception's text, which
/// fails with AssertionError when fn does not raise exc.
extern const char* const prelude;

}  // namespace spoa::test
