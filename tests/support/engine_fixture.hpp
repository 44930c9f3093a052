// Fixture shared by the Python and PHP engine tests: a temp dir per test for scripts, one engine made on
// first use, its log records, and calls that return the finished ACK as hex. Each language derives from
// it and names its engine factory and default script file.
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
#include "spop/value.hpp"

namespace spoa::test {

class EngineFixture : public ::testing::Test {
 public:
  using EngineFactory = std::unique_ptr<Engine> (*)(const EngineOptions&);

 protected:
  struct Outcome {
    CallResult result;
    std::string ack;  ///< the finished ACK frame, spop::test::to_hex() format
    std::size_t actions = 0;
  };

  /// `language` names the temp dirs; `script_name` is the file load_script() writes when not told.
  EngineFixture(std::string language, std::string script_name, EngineFactory factory);

  void SetUp() override;
  void TearDown() override;

  /// Writes `text` to dir()/name (creating sub-directories) and returns the path.
  std::filesystem::path write(const std::string& name, std::string_view text);
  /// The engine, made on first use with options() (change options() before that).
  Engine& engine();
  EngineOptions& options() { return options_; }
  /// Writes `text` as the default script (or `name`) and loads it; fails the test on LoadError.
  void load_script(std::string_view text) { load_script(text, script_name_); }
  void load_script(std::string_view text, const std::string& name);
  /// Writes `text` as the default script (or `name`) and loads it; the LoadError's text, or "" if it loaded.
  std::string load_error(std::string_view text) { return load_error(text, script_name_); }
  std::string load_error(std::string_view text, const std::string& name);
  /// Calls `message` with `args` into a fresh ACK (stream 1, frame 1) and finishes it.
  Outcome call(std::string_view message, const std::vector<spop::Argument>& args = {},
               std::uint32_t max_frame_size = 16380);
  const std::filesystem::path& dir() const { return dir_; }
  const std::vector<std::pair<LogLevel, std::string>>& logs() const { return *logs_; }
  /// True if a record at `level` contains every one of `parts`.
  bool logged(LogLevel level, const std::vector<std::string>& parts) const;

 private:
  std::string language_;
  std::string script_name_;
  EngineFactory factory_;
  std::filesystem::path dir_;
  EngineOptions options_;
  std::shared_ptr<std::vector<std::pair<LogLevel, std::string>>> logs_ =
      std::make_shared<std::vector<std::pair<LogLevel, std::string>>>();
  std::unique_ptr<Engine> engine_;
};

}  // namespace spoa::test
