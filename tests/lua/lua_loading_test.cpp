// Loading scripts: require next to the script, .luac, load errors, registrations, log, print, the example.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/lua/lua_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spoa::lua::test {
namespace {


/// what() of the LoadError that loading `file` throws; fails the test if it loads.
std::string load_error(Engine& engine, const std::filesystem::path& file) {
  try {
    engine.load(file);
  } catch (const LoadError& e) {
    return e.what();
  }
  ADD_FAILURE() << file << " loaded without error";
  return {};
}

TEST_F(LuaEngineTest, RequireFindsModulesNextToTheScriptWhateverTheCurrentFolder) {
  write_file("scripts/helper.lua", "return { answer = 41 }\n");
  write_file("scripts/pkg/init.lua", "return { bonus = 1 }\n");
  write_file("scripts/lazy.lua", "return 'late'\n");
  const auto main = write_file("scripts/main.lua", R"(
    local helper = require('helper')            -- <dir>/?.lua
    local pkg = require('pkg')                  -- <dir>/?/init.lua
    spoa.register_message('m', function(args)
      local lazy = require('lazy')              -- required during a call, after the cwd moved
      assert(lazy == 'late')
      spoa.set_var_int32('x', spoa.scope.txn, helper.answer + pkg.bonus)
    end)
  )");
  std::filesystem::create_directories(dir() / "elsewhere");
  std::filesystem::current_path(dir() / "elsewhere");

  auto engine = new_engine();
  engine->load(main);
  const Ack ack = call(*engine, "m");
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.hex(), canonical_hex("0000000e 67 00000001 01 01  01 03 02 01 78 02 2a"));
}

TEST_F(LuaEngineTest, RelativeScriptPathStillFindsItsSiblingsAfterTheCwdChanges) {
  write_file("scripts/helper.lua", "return 'found'\n");
  write_file("scripts/main.lua", R"(
    spoa.register_message('m', function(args) spoa.set_var_str('x', spoa.scope.txn, require('helper')) end)
  )");
  std::filesystem::create_directories(dir() / "elsewhere");
  std::filesystem::current_path(dir());
  auto engine = new_engine();
  engine->load("scripts/main.lua");
  std::filesystem::current_path(dir() / "elsewhere");
  const Ack ack = call(*engine, "m");
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.hex(), canonical_hex("00000013 67 00000001 01 01  01 03 02 01 78 08 05 666f756e64"));
}

TEST_F(LuaEngineTest, EachScriptFolderIsSearchedAndTheNormalPathKept) {
  write_file("a/mod_a.lua", "return 'A'\n");
  write_file("b/mod_b.lua", "return 'B'\n");
  const auto a = write_file("a/a.lua", "assert(require('mod_a') == 'A')\n");
  const auto b = write_file("b/b.lua", R"(
    assert(require('mod_b') == 'B')
    assert(package.path:find(';', 1, true))
    assert(require('string') == string, 'standard searchers still work')
  )");
  auto engine = new_engine();
  engine->load(a);
  EXPECT_NO_THROW(engine->load(b));
}

TEST_F(LuaEngineTest, PrecompiledChunksLoad) {
  // string.dump writes the same format as luac, for this exact Lua build.
  const auto luac = dir() / "compiled.luac";
  const auto generator = write_file("gen.lua", "local f = assert(io.open(" + std::string("'") + luac.string() +
                                                   "', 'wb'))\n" + R"(
    local chunk = assert(load([[
      spoa.register_message('compiled', function(args) spoa.set_var_int32('x', spoa.scope.txn, 5) end)
    ]], '=compiled'))
    f:write(string.dump(chunk))
    f:close()
  )");
  new_engine()->load(generator);

  auto engine = new_engine();
  ASSERT_NO_THROW(engine->load(luac));
  const Ack ack = call(*engine, "compiled");
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.hex(), canonical_hex("0000000e 67 00000001 01 01  01 03 02 01 78 02 05"));
}

TEST_F(LuaEngineTest, SyntaxErrorNamesFileAndLine) {
  const auto bad = write_file("bad.lua", "local a = 1\nlocal b = 2\nlocal c = = 3\n");
  auto engine = new_engine();
  const std::string what = load_error(*engine, bad);
  EXPECT_TRUE(contains(what, bad.string() + ":3:")) << what;
}

TEST_F(LuaEngineTest, RuntimeErrorAtLoadNamesFileAndLine) {
  const auto boom = write_file("boom.lua", "local x = 1\nerror('exploded')\n");
  auto engine = new_engine();
  const std::string what = load_error(*engine, boom);
  EXPECT_EQ(what.rfind(boom.string() + ":2: exploded", 0), 0u) << what;
}

TEST_F(LuaEngineTest, ErrorWithoutPositionStillNamesTheFile) {
  const auto plain = write_file("plain.lua", "error('no position', 0)\n");
  auto engine = new_engine();
  const std::string what = load_error(*engine, plain);
  EXPECT_EQ(what.rfind(plain.string() + ": no position", 0), 0u) << what;
}

TEST_F(LuaEngineTest, MissingFileNamesTheFile) {
  const auto missing = dir() / "does-not-exist.lua";
  auto engine = new_engine();
  const std::string what = load_error(*engine, missing);
  EXPECT_TRUE(contains(what, missing.string())) << what;
  EXPECT_TRUE(contains(what, "cannot open")) << what;
}

TEST_F(LuaEngineTest, DuplicateRegistrationIsRefusedNamingBothFiles) {
  const auto first = write_file("first.lua", "spoa.register_message('check', function() end)\n");
  const auto second = write_file("second.lua", "local x = 1\nspoa.register_message('check', function() end)\n");
  auto engine = new_engine();
  engine->load(first);
  const std::string what = load_error(*engine, second);
  EXPECT_TRUE(contains(what, second.string() + ":2:")) << what;
  EXPECT_TRUE(contains(what, "message 'check' is already registered by " + first.string())) << what;
  // The first registration is untouched.
  ASSERT_EQ(engine->registrations().size(), 1u);
  EXPECT_EQ(engine->registrations()[0].file, first);
}

TEST_F(LuaEngineTest, DuplicateRegistrationWithinOneFileIsRefused) {
  const auto file = write_file("twice.lua", "spoa.register_message('m', print)\nspoa.register_message('m', print)\n");
  auto engine = new_engine();
  const std::string what = load_error(*engine, file);
  EXPECT_TRUE(contains(what, file.string() + ":2: register_message: message 'm' is already registered by " +
                                 file.string()))
      << what;
}

TEST_F(LuaEngineTest, RegisteringANonFunctionIsALoadError) {
  for (const char* value : {"nil", "42", "'print'", "{}", "setmetatable({}, {__call = print})"}) {
    SCOPED_TRACE(value);
    const auto file = write_file("nonfn.lua", std::string("spoa.register_message('m', ") + value + ")\n");
    auto engine = new_engine();
    const std::string what = load_error(*engine, file);
    EXPECT_TRUE(contains(what, file.string() + ":1: register_message: bad argument #2 (function expected"))
        << what;
    EXPECT_TRUE(engine->registrations().empty());
  }
  const auto file = write_file("noname.lua", "spoa.register_message({}, print)\n");
  auto engine = new_engine();
  EXPECT_TRUE(contains(load_error(*engine, file), "register_message: bad argument #1 (string expected, got table)"));
}

TEST_F(LuaEngineTest, SetterAtLoadTimeIsAClearError) {
  const auto file = write_file("early.lua", "spoa.set_var_int32('x', spoa.scope.txn, 1)\n");
  auto engine = new_engine();
  const std::string what = load_error(*engine, file);
  EXPECT_TRUE(contains(what, file.string() + ":1: set_var_int32: no message is being handled")) << what;
}

TEST_F(LuaEngineTest, RegistrationsAreListedInOrderWithTheirFile) {
  const auto a = write_file("a.lua", "spoa.register_message('one', print)\nspoa.register_message('two', print)\n");
  const auto b = write_file("b.lua", "spoa.register_message('three', print)\n");
  auto engine = new_engine();
  EXPECT_EQ(engine->language(), "lua");
  engine->load(a);
  engine->load(b);
  const auto regs = engine->registrations();
  ASSERT_EQ(regs.size(), 3u);
  EXPECT_EQ(regs[0].message, "one");
  EXPECT_EQ(regs[0].file, a);
  EXPECT_EQ(regs[1].message, "two");
  EXPECT_EQ(regs[2].message, "three");
  EXPECT_EQ(regs[2].file, b);
}

TEST_F(LuaEngineTest, GlobalsAndStandardLibrariesExistBeforeTheFirstScript) {
  auto engine = load_script(R"(
    assert(type(spoa) == 'table')
    for _, lib in ipairs({'string', 'table', 'math', 'io', 'os', 'coroutine', 'utf8', 'debug', 'package'}) do
      assert(type(_G[lib]) == 'table', lib .. ' missing')
    end
    for _, f in ipairs({'register_message', 'set_var_null', 'set_var_boolean', 'set_var_int32', 'set_var_uint32',
                        'set_var_int64', 'set_var_uint64', 'set_var_ipv4', 'set_var_ipv6', 'set_var_str',
                        'set_var_bin', 'unset_var', 'log'}) do
      assert(type(spoa[f]) == 'function', f .. ' missing')
    end
    assert(spoa.set_var_string == nil, 'the string setter is set_var_str')
    spoa.register_message('m', function() end)
  )");
  EXPECT_EQ(engine->registrations().size(), 1u);
}

TEST_F(LuaEngineTest, LogSendsRecordsWithLevelAndCallContext) {
  std::vector<std::pair<LogLevel, std::string>> records;
  EngineOptions options;
  options.log = [&](LogLevel level, std::string_view text) { records.emplace_back(level, std::string(text)); };
  auto engine = load_script(R"(
    spoa.log('info', 'loaded')
    spoa.register_message('m', function(args)
      spoa.log('debug', 42)
      spoa.log('warning', 'careful')
      spoa.log('warn', 'short name')
      spoa.log(4, 'by number')
      spoa.log('critical', 'a\0b')
      spoa.log('trace', nil)
    end)
  )", options);
  const Ack ack = call(*engine, "m", {}, spop::default_max_frame_size, 3, 9);
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  const std::vector<std::pair<LogLevel, std::string>> expected = {
      {LogLevel::info, "loaded"},
      {LogLevel::debug, "[m sid=3 fid=9] 42"},
      {LogLevel::warning, "[m sid=3 fid=9] careful"},
      {LogLevel::warning, "[m sid=3 fid=9] short name"},
      {LogLevel::error, "[m sid=3 fid=9] by number"},
      {LogLevel::critical, std::string("[m sid=3 fid=9] a\0b", 19)},
      {LogLevel::trace, "[m sid=3 fid=9] nil"},
  };
  EXPECT_EQ(records, expected);
}

TEST_F(LuaEngineTest, LogWithoutSinkIsHarmless) {
  auto engine = load_script("spoa.log('error', 'dropped')\nspoa.register_message('m', function() spoa.log('info', 'x') end)\n");
  EXPECT_TRUE(call(*engine, "m").result.ok());
}

TEST_F(LuaEngineTest, LuaWarningsGoToTheLog) {
  std::vector<std::string> warnings;
  EngineOptions options;
  options.log = [&](LogLevel level, std::string_view text) {
    if (level == LogLevel::warning) warnings.emplace_back(text);
  };
  auto engine = load_script("warn('part one, ', 'part two')\nwarn('@off')\nwarn('silenced')\n", options);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "lua warning: part one, part two");
}

TEST_F(LuaEngineTest, PrintWritesToStandardOutput) {
  auto engine = load_script("spoa.register_message('m', function(args) print('hello from', args[1].value) end)\n");
  const std::vector<spop::Argument> args = {{"", spop::Value::string("lua")}};
  ::testing::internal::CaptureStdout();
  const Ack ack = call(*engine, "m", args);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(out, "hello from\tlua\n");
}

TEST_F(LuaEngineTest, TheStandardExampleSetsEveryTypeInOrder) {
  // Loaded from the source tree while the cwd is elsewhere: print_r.lua must be found next to it.
  std::filesystem::current_path(dir());
  auto engine = new_engine();
  engine->load(std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "ps_lua.lua");
  ASSERT_EQ(engine->registrations().size(), 1u);
  EXPECT_EQ(engine->registrations()[0].message, "check-client-ip");

  spop::Ipv6Address v6{};
  v6.bytes[15] = 0x55;
  const std::vector<spop::Argument> args = {
      {"", spop::Value::boolean(true)},
      {"", spop::Value::int32(1234)},
      {"", spop::Value::ipv4(spop::Ipv4Address{{127, 0, 0, 1}})},
      {"", spop::Value::ipv6(v6)},
      {"", spop::Value::string("127.0.0.1:10001")},
  };
  ::testing::internal::CaptureStdout();
  const Ack ack = call(*engine, "check-client-ip", args);
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;

  // Everything up to the last byte, which is the random ip_score.
  const std::string expected_without_score = canonical_hex(
      "0000009c 67 00000001 01 01"
      " 010302 046e756c6c 00"
      " 010302 07626f6f6c65616e 11"
      " 010302 05696e74333202 f23e"
      " 010302 0675696e74333203 f23e"
      " 010302 05696e74363404 f23e"
      " 010302 0675696e74363405 f23e"
      " 010302 0469707634 06 7f000001"
      " 010302 0469707636 07 0001000000000000000000000000000f"
      " 010302 03737472 08 04 313a3a66"
      " 010302 0362696e 09 04 313a3a66"
      " 010301 0869705f73636f7265 02");
  ASSERT_EQ(ack.frame.size(), 0x9cu + 4);
  const std::vector<std::byte> head(ack.frame.begin(), ack.frame.end() - 1);
  EXPECT_EQ(spop::test::to_hex(head), expected_without_score);
  const auto score = std::to_integer<int>(ack.frame.back());
  EXPECT_GE(score, 1);
  EXPECT_LE(score, 100);

  // print_r shows each argument.
  for (const char* shown : {"value = true", "value = 1234", "value = \"127.0.0.1\"", "value = \"::55\"",
                            "value = \"127.0.0.1:10001\"", "name = \"\""}) {
    EXPECT_TRUE(contains(out, shown)) << "missing " << shown << " in:\n" << out;
  }
}

}  // namespace
}  // namespace spoa::lua::test
