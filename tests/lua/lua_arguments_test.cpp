// What a handler receives: the `args` array and the Lua value of every SPOP type.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/lua/lua_test_support.hpp"

namespace spoa::lua::test {
namespace {

spop::Ipv4Address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return spop::Ipv4Address{{a, b, c, d}};
}

spop::Ipv6Address v6_low(std::uint8_t last) {  // ::<last>
  spop::Ipv6Address address{};
  address.bytes[15] = last;
  return address;
}

TEST_F(LuaEngineTest, EveryValueTypeReachesTheHandlerAsScriptApiSays) {
  // The script checks each value itself: any mismatch is an error naming the argument.
  auto engine = load_script(R"(
    local function check(args, i, name, want, kind)
      local a = args[i]
      assert(type(a) == 'table', 'argument ' .. i .. ' is not a table')
      assert(a.name == name, 'argument ' .. i .. ' name ' .. tostring(a.name))
      assert(a.value == want, 'argument ' .. i .. ' value ' .. tostring(a.value))
      if kind then assert(math.type(a.value) == kind, 'argument ' .. i .. ' is ' .. tostring(math.type(a.value))) end
    end
    spoa.register_message('types', function(args)
      assert(#args == 14, 'got ' .. #args .. ' arguments')
      check(args, 1, '', true)
      check(args, 2, 'off', false)
      check(args, 3, 'i32', -5, 'integer')
      check(args, 4, 'u32', 4294967295, 'integer')
      check(args, 5, 'i64min', math.mininteger, 'integer')
      check(args, 6, 'i64max', math.maxinteger, 'integer')
      check(args, 7, 'u64max', -1, 'integer')          -- 2^64-1: all 64 bits, read as a signed integer
      check(args, 8, 'u64big', math.mininteger, 'integer') -- 2^63
      check(args, 9, 'src', '127.0.0.1')
      check(args, 10, '', '::55')
      check(args, 11, 'empty', '')
      check(args, 12, 'bin', 'a\0b\255')
      assert(args[13].name == 'null' and args[13].value == nil and rawget(args[13], 'value') == nil)
      check(args, 14, 'host', '127.0.0.1:10001')
      -- echo the binary value back: the bytes must survive both ways
      spoa.set_var_bin('echo', spoa.scope.txn, args[12].value)
    end)
  )");
  const std::string binary("a\0b\xff", 4);
  const std::vector<spop::Argument> args = {
      {"", spop::Value::boolean(true)},
      {"off", spop::Value::boolean(false)},
      {"i32", spop::Value::int32(-5)},
      {"u32", spop::Value::uint32(std::numeric_limits<std::uint32_t>::max())},
      {"i64min", spop::Value::int64(std::numeric_limits<std::int64_t>::min())},
      {"i64max", spop::Value::int64(std::numeric_limits<std::int64_t>::max())},
      {"u64max", spop::Value::uint64(std::numeric_limits<std::uint64_t>::max())},
      {"u64big", spop::Value::uint64(std::uint64_t{1} << 63)},
      {"src", spop::Value::ipv4(v4(127, 0, 0, 1))},
      {"", spop::Value::ipv6(v6_low(0x55))},
      {"empty", spop::Value::string("")},
      {"bin", spop::Value::binary(binary)},
      {"null", spop::Value::null()},
      {"host", spop::Value::string("127.0.0.1:10001")},
  };
  const Ack ack = call(*engine, "types", args);
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.hex(), canonical_hex("00000015 67 00000001 01 01  01 03 02 04 6563686f 09 04 610062ff"));
}

TEST_F(LuaEngineTest, IntegerTypesFromTheWireKeepTheirBits) {
  // Value::integer() is how decoded NOTIFY values look: a type id and raw bits.
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      for i, a in ipairs(args) do spoa.set_var_int64('n' .. i, spoa.scope.txn, a.value) end
    end)
  )");
  const std::vector<spop::Argument> args = {
      {"", spop::Value::integer(spop::DataType::int32, static_cast<std::uint64_t>(std::int64_t{-2}))},
      {"", spop::Value::integer(spop::DataType::uint32, 240)},
  };
  const Ack ack = call(*engine, "m", args);
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  // -2 sign-extended: fe ff ff ... -> varint fe f0 fe fe fe fe fe fe fe 0e; 240 -> f0 00.
  EXPECT_EQ(ack.hex(), canonical_hex("00000021 67 00000001 01 01"
                                     "  01 03 02 02 6e31 04 fef0fefefefefefefe0e"
                                     "  01 03 02 02 6e32 04 f000"));
}

TEST_F(LuaEngineTest, NoArgumentsGiveAnEmptyArray) {
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      assert(type(args) == 'table' and #args == 0 and next(args) == nil)
    end)
  )");
  EXPECT_TRUE(call(*engine, "m").result.ok());
}

TEST_F(LuaEngineTest, ArgsAreResetBetweenCallsWhateverTheScriptDidToThem) {
  // The engine refills the same tables on each call (lua_values.hpp): what one call's script changes
  // must not show in the next call.
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      local want = {}
      for word in args[1].value:gmatch('[^,]+') do want[#want + 1] = word end
      assert(#args == #want + 1, 'length ' .. #args .. ', expected ' .. (#want + 1))
      for i, w in ipairs(want) do
        local a = args[i + 1]
        assert(a.name == 'n' .. i, 'name ' .. tostring(a.name))
        if w == 'nil' then assert(a.value == nil, 'value ' .. tostring(a.value))
        else assert(a.value == w, 'value ' .. tostring(a.value)) end
      end
      assert(args[#args + 1] == nil)
      -- now vandalise everything
      args[1].name, args[1].value = 'changed', 'junk'
      setmetatable(args[2] or {}, { __newindex = function() error('metatable used') end })
      args[#args + 1] = 'appended'
      args[#args + 1] = 'appended again'
      table.remove(args, 1)
    end)
  )");
  const std::vector<std::vector<spop::Argument>> calls = {
      {{"", spop::Value::string("a,b,c")}, {"n1", spop::Value::string("a")}, {"n2", spop::Value::string("b")},
       {"n3", spop::Value::string("c")}},
      {{"", spop::Value::string("x")}, {"n1", spop::Value::string("x")}},
      {{"", spop::Value::string("nil,y")}, {"n1", spop::Value::null()}, {"n2", spop::Value::string("y")}},
      {{"", spop::Value::string("p,q,r,s")}, {"n1", spop::Value::string("p")}, {"n2", spop::Value::string("q")},
       {"n3", spop::Value::string("r")}, {"n4", spop::Value::string("s")}},
  };
  for (const auto& args : calls) {
    const Ack ack = call(*engine, "m", args);
    EXPECT_TRUE(ack.result.ok()) << ack.result.detail;
  }
}

TEST_F(LuaEngineTest, ArgsAreValidDuringTheCallOnlyAsDocumented) {
  // Documented behaviour (docs/lua.md): a kept `args` shows the next call's values; kept values do not change.
  auto engine = load_script(R"(
    local kept_args, kept_value
    spoa.register_message('m', function(args)
      if kept_args then
        assert(kept_value == 'first', 'a kept value changed')
        assert(kept_args[1].value == 'second', 'kept args now show the current call')
        spoa.set_var_boolean('checked', spoa.scope.txn, true)
      end
      kept_args, kept_value = args, args[1].value
    end)
  )");
  const std::vector<spop::Argument> first = {{"", spop::Value::string("first")}};
  const std::vector<spop::Argument> second = {{"", spop::Value::string("second")}};
  EXPECT_TRUE(call(*engine, "m", first).result.ok());
  const Ack ack = call(*engine, "m", second);
  EXPECT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.actions, 1u);
}

TEST_F(LuaEngineTest, RepeatedAndChangingAddressesAreRenderedCorrectly) {
  // The address text cache must never serve a stale text.
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      spoa.set_var_str('a', spoa.scope.txn, args[1].value .. ' ' .. args[2].value)
    end)
  )");
  const auto run = [&](spop::Ipv4Address a4, std::uint8_t last6) {
    spop::Ipv6Address a6{};
    a6.bytes[15] = last6;
    const std::vector<spop::Argument> args = {{"", spop::Value::ipv4(a4)}, {"", spop::Value::ipv6(a6)}};
    const Ack ack = call(*engine, "m", args);
    EXPECT_TRUE(ack.result.ok()) << ack.result.detail;
    return ack.hex();
  };
  // "10.0.0.1 ::1" = 31302e302e302e3120 3a3a31 (12 bytes)
  const std::string one = canonical_hex("0000001a 67 00000001 01 01  01 03 02 01 61 08 0c 31302e302e302e31203a3a31");
  // "10.0.0.2 ::2"
  const std::string two = canonical_hex("0000001a 67 00000001 01 01  01 03 02 01 61 08 0c 31302e302e302e32203a3a32");
  EXPECT_EQ(run(v4(10, 0, 0, 1), 1), one);
  EXPECT_EQ(run(v4(10, 0, 0, 1), 1), one);
  EXPECT_EQ(run(v4(10, 0, 0, 2), 2), two);
  EXPECT_EQ(run(v4(10, 0, 0, 1), 1), one);
}

TEST_F(LuaEngineTest, CachedArgumentStringsFollowTypeAndBytes) {
  // Names and values are pushed from a per-slot cache when they repeat (lua_values.hpp): the same bytes
  // under another type, or a changed name, must never be served from it.
  auto engine = load_script(R"(
    local seen = {}
    spoa.register_message('m', function(args)
      seen[#seen + 1] = args[1].name .. '=' .. args[1].value
      if #seen == 5 then
        local want = 'a=1.2.3.4|a=\1\2\3\4|b=\1\2\3\4|b=1.2.3.4|b=1.2.3.4'
        local got = table.concat(seen, '|')
        assert(got == want, got)
        spoa.set_var_boolean('ok', spoa.scope.txn, true)
      end
    end)
  )");
  const spop::Ipv4Address address{{1, 2, 3, 4}};
  const std::string raw("\x01\x02\x03\x04", 4);
  const std::vector<std::vector<spop::Argument>> calls = {
      {{"a", spop::Value::ipv4(address)}}, {{"a", spop::Value::string(raw)}}, {{"b", spop::Value::binary(raw)}},
      {{"b", spop::Value::ipv4(address)}}, {{"b", spop::Value::ipv4(address)}},
  };
  Ack ack;
  for (const auto& args : calls) {
    ack = call(*engine, "m", args);
    ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  }
  EXPECT_EQ(ack.actions, 1u) << "the last call checked what all five saw";
}

}  // namespace
}  // namespace spoa::lua::test
