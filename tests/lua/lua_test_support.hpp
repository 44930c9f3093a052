// Shared fixture of the Lua engine tests: a private temp dir for scripts, and a one-call ACK runner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "agent/engines/engine.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"
#include "tests/support/text.hpp"

namespace spoa::lua::test {

using spop::test::contains;

/// What one call() produced: its result and the finished ACK frame.
struct Ack {
  CallResult result;
  std::vector<std::byte> frame;
  std::size_t actions = 0;

  /// The frame as spop::test::to_hex() prints it.
  std::string hex() const;
  /// The LEN field of the frame.
  std::uint32_t length_field() const;
};

/// Runs `message` once into a fresh ACK (sid=1, fid=1 unless given) and finishes the frame.
Ack call(Engine& engine, std::string_view message, std::span<const spop::Argument> args = {},
         std::uint32_t max_frame_size = spop::default_max_frame_size, std::uint64_t stream_id = 1,
         std::uint64_t frame_id = 1);

/// "0000000d 67 ..." (grouped hex as written in the tests) -> the form Ack::hex() returns.
std::string canonical_hex(std::string_view grouped);

/// Lua stack height of a Lua engine (through its internal class).
int stack_top(Engine& engine);

class LuaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// Writes `text` to dir()/relative (creating folders) and returns the absolute path.
  std::filesystem::path write_file(const std::filesystem::path& relative, std::string_view text);
  /// A fresh engine from make_lua_engine().
  std::unique_ptr<Engine> new_engine(const EngineOptions& options = {});
  /// Writes `script` to dir()/main.lua and loads it into a fresh engine (load errors fail the test).
  std::unique_ptr<Engine> load_script(std::string_view script, const EngineOptions& options = {});

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path saved_cwd_;
};

}  // namespace spoa::lua::test
