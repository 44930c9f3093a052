#include "tests/lua/lua_test_support.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "agent/engines/lua/lua_engine.hpp"
#include "agent/engines/lua/lua_engine_impl.hpp"
#include "spop/ack_builder.hpp"
#include "tests/support/hex.hpp"

namespace spoa::lua::test {

std::string Ack::hex() const { return spop::test::to_hex(frame); }

std::uint32_t Ack::length_field() const {
  if (frame.size() < 4) return 0;
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) n = (n << 8) | std::to_integer<std::uint32_t>(frame[i]);
  return n;
}

Ack call(Engine& engine, std::string_view message, std::span<const spop::Argument> args,
         std::uint32_t max_frame_size, std::uint64_t stream_id, std::uint64_t frame_id) {
  Ack out;
  spop::AckBuilder builder(out.frame, stream_id, frame_id, max_frame_size);
  const CallInfo info{message, stream_id, frame_id};
  out.result = engine.call(info, args, builder);
  out.actions = builder.action_count();
  builder.finish();
  return out;
}

std::string canonical_hex(std::string_view grouped) { return spop::test::to_hex(spop::test::hex(grouped)); }

int stack_top(Engine& engine) {
  auto* lua = dynamic_cast<LuaEngine*>(&engine);
  if (lua == nullptr) throw std::logic_error("not a Lua engine");
  return lua->stack_top();
}

void LuaEngineTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("spoa-lua-") + info->test_suite_name() + "-" + info->name() + "-" +
                     std::to_string(::getpid());
  for (char& c : name) {
    if (c == '/') c = '_';  // parameterised test names
  }
  dir_ = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  saved_cwd_ = std::filesystem::current_path();
}

void LuaEngineTest::TearDown() {
  std::filesystem::current_path(saved_cwd_);  // some tests move away to prove paths do not depend on it
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::filesystem::path LuaEngineTest::write_file(const std::filesystem::path& relative, std::string_view text) {
  const std::filesystem::path path = dir_ / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path;
}

std::unique_ptr<Engine> LuaEngineTest::new_engine(const EngineOptions& options) {
  return make_lua_engine(options);
}

std::unique_ptr<Engine> LuaEngineTest::load_script(std::string_view script, const EngineOptions& options) {
  auto engine = new_engine(options);
  const auto path = write_file("main.lua", script);
  try {
    engine->load(path);
  } catch (const LoadError& e) {
    ADD_FAILURE() << "load failed: " << e.what();
  }
  return engine;
}

}  // namespace spoa::lua::test
