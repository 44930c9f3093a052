// The `spoa` setters: exact SET-VAR/UNSET-VAR bytes for each, and every argument error they raise.
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "spop/ack_builder.hpp"
#include "tests/lua/lua_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spoa::lua::test {
namespace {

// ACK header after LEN: type 0x67, flags FIN, stream-id 1, frame-id 1.
#define ACK_HEADER "67 00000001 01 01 "

struct SetterCase {
  const char* label;
  const char* code;      // body of the handler of message "m"
  const char* expected;  // whole ACK frame, grouped hex
};

void PrintTo(const SetterCase& c, std::ostream* os) { *os << c.label; }

class SetterBytes : public LuaEngineTest, public ::testing::WithParamInterface<SetterCase> {};

TEST_P(SetterBytes, AppendsExactlyThisAction) {
  const SetterCase& c = GetParam();
  auto engine = load_script(std::string("spoa.register_message('m', function(args)\n") + c.code + "\nend)\n");
  const Ack ack = call(*engine, "m");
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.hex(), canonical_hex(c.expected));
}

// Variable "x" (01 78) in scope txn (02) unless the label says otherwise.
const SetterCase setter_cases[] = {
    {"int32_ip_score", "spoa.set_var_int32('ip_score', spoa.scope.txn, 42)",
     "00000015 " ACK_HEADER "01 03 02 08 69705f73636f7265 02 2a"},
    {"int32_minus_one", "spoa.set_var_int32('x', spoa.scope.txn, -1)",
     "00000017 " ACK_HEADER "01 03 02 01 78 02 fff0fefefefefefefe0e"},
    {"int32_min", "spoa.set_var_int32('x', spoa.scope.txn, -2147483648)",
     "00000017 " ACK_HEADER "01 03 02 01 78 02 f0f1fefebefefefefe0e"},
    {"int32_max", "spoa.set_var_int32('x', spoa.scope.txn, 2147483647)",
     "00000012 " ACK_HEADER "01 03 02 01 78 02 fff0fefe3e"},
    {"int32_from_numeric_string", "spoa.set_var_int32('x', spoa.scope.txn, '42')",
     "0000000e " ACK_HEADER "01 03 02 01 78 02 2a"},
    {"int32_from_integral_float", "spoa.set_var_int32('x', spoa.scope.txn, 42.0)",
     "0000000e " ACK_HEADER "01 03 02 01 78 02 2a"},
    {"uint32_zero", "spoa.set_var_uint32('x', spoa.scope.txn, 0)",
     "0000000e " ACK_HEADER "01 03 02 01 78 03 00"},
    {"uint32_240_two_byte_varint", "spoa.set_var_uint32('x', spoa.scope.txn, 240)",
     "0000000f " ACK_HEADER "01 03 02 01 78 03 f000"},
    {"uint32_max", "spoa.set_var_uint32('x', spoa.scope.txn, 4294967295)",
     "00000012 " ACK_HEADER "01 03 02 01 78 03 fff0fefe7e"},
    {"int64_min", "spoa.set_var_int64('x', spoa.scope.txn, math.mininteger)",
     "00000017 " ACK_HEADER "01 03 02 01 78 04 f0f1fefefefefefefe06"},
    {"int64_max", "spoa.set_var_int64('x', spoa.scope.txn, math.maxinteger)",
     "00000017 " ACK_HEADER "01 03 02 01 78 04 fff0fefefefefefefe06"},
    {"uint64_zero", "spoa.set_var_uint64('x', spoa.scope.txn, 0)",
     "0000000e " ACK_HEADER "01 03 02 01 78 05 00"},
    {"uint64_largest_lua_integer", "spoa.set_var_uint64('x', spoa.scope.txn, math.maxinteger)",
     "00000017 " ACK_HEADER "01 03 02 01 78 05 fff0fefefefefefefe06"},
    {"null", "spoa.set_var_null('x', spoa.scope.txn)", "0000000d " ACK_HEADER "01 03 02 01 78 00"},
    {"boolean_true", "spoa.set_var_boolean('x', spoa.scope.txn, true)",
     "0000000d " ACK_HEADER "01 03 02 01 78 11"},
    {"boolean_false", "spoa.set_var_boolean('x', spoa.scope.txn, false)",
     "0000000d " ACK_HEADER "01 03 02 01 78 01"},
    {"ipv4", "spoa.set_var_ipv4('x', spoa.scope.txn, '127.0.0.1')",
     "00000011 " ACK_HEADER "01 03 02 01 78 06 7f000001"},
    {"ipv6", "spoa.set_var_ipv6('x', spoa.scope.txn, '1::f')",
     "0000001d " ACK_HEADER "01 03 02 01 78 07 0001000000000000000000000000000f"},
    {"str", "spoa.set_var_str('x', spoa.scope.txn, '1::f')",
     "00000012 " ACK_HEADER "01 03 02 01 78 08 04 313a3a66"},
    {"str_empty", "spoa.set_var_str('x', spoa.scope.txn, '')",
     "0000000e " ACK_HEADER "01 03 02 01 78 08 00"},
    {"str_with_nul_bytes", "spoa.set_var_str('x', spoa.scope.txn, 'a\\0b')",
     "00000011 " ACK_HEADER "01 03 02 01 78 08 03 610062"},
    {"str_from_integer", "spoa.set_var_str('x', spoa.scope.txn, 12)",
     "00000010 " ACK_HEADER "01 03 02 01 78 08 02 3132"},
    {"str_from_float", "spoa.set_var_str('x', spoa.scope.txn, 1.5)",
     "00000011 " ACK_HEADER "01 03 02 01 78 08 03 312e35"},
    {"bin", "spoa.set_var_bin('x', spoa.scope.txn, '1::f')",
     "00000012 " ACK_HEADER "01 03 02 01 78 09 04 313a3a66"},
    {"bin_with_nul_and_high_bytes", "spoa.set_var_bin('x', spoa.scope.txn, '\\0\\255\\0')",
     "00000011 " ACK_HEADER "01 03 02 01 78 09 03 00ff00"},
    {"unset_var", "spoa.unset_var('ip_score', spoa.scope.txn)",
     "00000013 " ACK_HEADER "02 02 02 08 69705f73636f7265"},
    {"scope_proc", "spoa.set_var_null('x', spoa.scope.proc)", "0000000d " ACK_HEADER "01 03 00 01 78 00"},
    {"scope_sess", "spoa.set_var_null('x', spoa.scope.sess)", "0000000d " ACK_HEADER "01 03 01 01 78 00"},
    {"scope_req", "spoa.set_var_null('x', spoa.scope.req)", "0000000d " ACK_HEADER "01 03 03 01 78 00"},
    {"scope_res", "spoa.set_var_null('x', spoa.scope.res)", "0000000d " ACK_HEADER "01 03 04 01 78 00"},
    {"scope_as_plain_integer", "spoa.set_var_null('x', 4)", "0000000d " ACK_HEADER "01 03 04 01 78 00"},
    {"actions_in_call_order",
     "spoa.set_var_boolean('x', spoa.scope.txn, true); spoa.set_var_int32('ip_score', spoa.scope.sess, 42)",
     "0000001b " ACK_HEADER "01 03 02 01 78 11  01 03 01 08 69705f73636f7265 02 2a"},
};

INSTANTIATE_TEST_SUITE_P(Lua, SetterBytes, ::testing::ValuesIn(setter_cases),
                         [](const auto& p) { return std::string(p.param.label); });

// --- errors ------------------------------------------------------------------------------------

struct ErrorCase {
  const char* label;
  const char* code;
  const char* expected;  // must appear in CallResult::detail
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.label; }

class SetterErrors : public LuaEngineTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(SetterErrors, RaiseAndAppendNothing) {
  const ErrorCase& c = GetParam();
  auto engine = load_script(std::string("spoa.register_message('m', function(args)\n") + c.code + "\nend)\n");
  const Ack ack = call(*engine, "m");
  EXPECT_EQ(ack.result.kind, CallResult::Kind::script_error);
  EXPECT_NE(ack.result.detail.find(c.expected), std::string::npos) << ack.result.detail;
  // The error names the script line that called the setter.
  EXPECT_NE(ack.result.detail.find("main.lua:2:"), std::string::npos) << ack.result.detail;
  EXPECT_EQ(ack.actions, 0u);
  EXPECT_EQ(ack.hex(), canonical_hex("00000007 " ACK_HEADER));
}

const ErrorCase error_cases[] = {
    // name and scope (shared by every setter)
    {"name_not_a_string", "spoa.set_var_int32({}, spoa.scope.txn, 1)",
     "set_var_int32: bad argument #1 (string expected, got table)"},
    {"name_missing", "spoa.set_var_null()", "set_var_null: bad argument #1 (string expected, got no value)"},
    {"scope_missing", "spoa.set_var_null('x')", "set_var_null: bad argument #2 (scope 0..4 expected, got no value)"},
    {"scope_as_name", "spoa.set_var_int32('x', 'txn', 1)",
     "set_var_int32: bad argument #2 (scope 0..4 expected, got string)"},
    {"scope_too_big", "spoa.set_var_int32('x', 5, 1)", "set_var_int32: bad scope 5 (expected 0..4"},
    {"scope_negative", "spoa.set_var_str('x', -1, 'v')", "set_var_str: bad scope -1 (expected 0..4"},
    {"scope_fraction", "spoa.set_var_null('x', 1.5)", "set_var_null: bad argument #2 (scope 0..4 expected, got number)"},
    {"unset_bad_scope", "spoa.unset_var('x', 9)", "unset_var: bad scope 9"},
    // boolean
    {"boolean_number", "spoa.set_var_boolean('x', spoa.scope.txn, 1)",
     "set_var_boolean: bad argument #3 (boolean expected, got number)"},
    {"boolean_nil", "spoa.set_var_boolean('x', spoa.scope.txn, nil)",
     "set_var_boolean: bad argument #3 (boolean expected, got nil)"},
    // integers: both edges of every range, and non-integers
    {"int32_above", "spoa.set_var_int32('x', spoa.scope.txn, 2147483648)",
     "set_var_int32: value 2147483648 out of range for int32"},
    {"int32_below", "spoa.set_var_int32('x', spoa.scope.txn, -2147483649)",
     "set_var_int32: value -2147483649 out of range for int32"},
    {"int32_far_above", "spoa.set_var_int32('x', spoa.scope.txn, 4294967296)",
     "set_var_int32: value 4294967296 out of range for int32"},
    {"uint32_below", "spoa.set_var_uint32('x', spoa.scope.txn, -1)",
     "set_var_uint32: value -1 out of range for uint32"},
    {"uint32_above", "spoa.set_var_uint32('x', spoa.scope.txn, 4294967296)",
     "set_var_uint32: value 4294967296 out of range for uint32"},
    {"uint64_below", "spoa.set_var_uint64('x', spoa.scope.txn, -1)",
     "set_var_uint64: value -1 out of range for uint64"},
    {"uint64_min_integer", "spoa.set_var_uint64('x', spoa.scope.txn, math.mininteger)",
     "set_var_uint64: value -9223372036854775808 out of range for uint64"},
    {"int64_fraction", "spoa.set_var_int64('x', spoa.scope.txn, 1.5)",
     "set_var_int64: value 1.5 has no integer representation"},
    {"int64_beyond_integers", "spoa.set_var_int64('x', spoa.scope.txn, 2^63)",
     "set_var_int64: value 9.2233720368548e+18 has no integer representation"},
    {"int32_fraction_string", "spoa.set_var_int32('x', spoa.scope.txn, '1.5')",
     "set_var_int32: value 1.5 has no integer representation"},
    {"int32_text", "spoa.set_var_int32('x', spoa.scope.txn, 'abc')",
     "set_var_int32: bad argument #3 (integer expected, got string)"},
    {"uint32_nil", "spoa.set_var_uint32('x', spoa.scope.txn)",
     "set_var_uint32: bad argument #3 (integer expected, got no value)"},
    {"uint64_boolean", "spoa.set_var_uint64('x', spoa.scope.txn, true)",
     "set_var_uint64: bad argument #3 (integer expected, got boolean)"},
    // addresses
    {"ipv4_short", "spoa.set_var_ipv4('x', spoa.scope.txn, '1.2.3')", "set_var_ipv4: bad IPv4 address '1.2.3'"},
    {"ipv4_octet_too_big", "spoa.set_var_ipv4('x', spoa.scope.txn, '256.0.0.1')",
     "set_var_ipv4: bad IPv4 address '256.0.0.1'"},
    {"ipv4_given_ipv6", "spoa.set_var_ipv4('x', spoa.scope.txn, '::1')", "set_var_ipv4: bad IPv4 address '::1'"},
    {"ipv4_table", "spoa.set_var_ipv4('x', spoa.scope.txn, {})",
     "set_var_ipv4: bad argument #3 (string expected, got table)"},
    {"ipv6_triple_colon", "spoa.set_var_ipv6('x', spoa.scope.txn, '1:::2')",
     "set_var_ipv6: bad IPv6 address '1:::2'"},
    {"ipv6_bad_digit", "spoa.set_var_ipv6('x', spoa.scope.txn, 'g::1')", "set_var_ipv6: bad IPv6 address 'g::1'"},
    {"ipv6_nil", "spoa.set_var_ipv6('x', spoa.scope.txn, nil)",
     "set_var_ipv6: bad argument #3 (string expected, got nil)"},
    // strings
    {"str_table", "spoa.set_var_str('x', spoa.scope.txn, {})",
     "set_var_str: bad argument #3 (string expected, got table)"},
    {"str_boolean", "spoa.set_var_str('x', spoa.scope.txn, true)",
     "set_var_str: bad argument #3 (string expected, got boolean)"},
    {"bin_nil", "spoa.set_var_bin('x', spoa.scope.txn, nil)",
     "set_var_bin: bad argument #3 (string expected, got nil)"},
    // the log extension
    {"log_unknown_level", "spoa.log('loud', 'x')", "log: bad level 'loud'"},
    {"log_level_out_of_range", "spoa.log(6, 'x')", "log: bad level '6'"},
    // registration is for load time
    {"register_in_handler", "spoa.register_message('late', function() end)",
     "register_message: message 'late' registered outside of a script load"},
};

INSTANTIATE_TEST_SUITE_P(Lua, SetterErrors, ::testing::ValuesIn(error_cases),
                         [](const auto& p) { return std::string(p.param.label); });

TEST_F(LuaEngineTest, ScopeTableHoldsTheWireValues) {
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      local s = spoa.scope
      assert(s.proc == 0 and s.sess == 1 and s.txn == 2 and s.req == 3 and s.res == 4)
      assert(math.type(s.txn) == 'integer')
      assert(require('spoa') == spoa, 'require "spoa" gives the same table')
    end)
  )");
  const Ack ack = call(*engine, "m");
  EXPECT_TRUE(ack.result.ok()) << ack.result.detail;
}

TEST_F(LuaEngineTest, CallsOfOneNotifyShareOneAck) {
  auto engine = load_script(R"(
    spoa.register_message('a', function(args) spoa.set_var_null('x', spoa.scope.txn) end)
    spoa.register_message('b', function(args) spoa.set_var_boolean('x', spoa.scope.sess, true) end)
  )");
  std::vector<std::byte> frame;
  spop::AckBuilder builder(frame, 1, 1, spop::default_max_frame_size);
  EXPECT_TRUE(engine->call({"a", 1, 1}, {}, builder).ok());
  EXPECT_TRUE(engine->call({"b", 1, 1}, {}, builder).ok());
  builder.finish();
  EXPECT_EQ(spop::test::to_hex(frame),
            canonical_hex("00000013 " ACK_HEADER "01 03 02 01 78 00  01 03 01 01 78 11"));
}

TEST_F(LuaEngineTest, FullAckRaisesNamingTheVariableAndStaysWithinTheFrameSize) {
  std::vector<std::string> logged;
  EngineOptions options;
  options.log = [&](LogLevel level, std::string_view text) {
    if (level == LogLevel::warning) logged.emplace_back(text);
  };
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      for i = 1, 100 do spoa.set_var_str('v' .. i, spoa.scope.txn, string.rep('x', 20)) end
    end)
  )", options);
  constexpr std::uint32_t max_frame = spop::min_max_frame_size;  // 256
  const Ack ack = call(*engine, "m", {}, max_frame);
  ASSERT_EQ(ack.result.kind, CallResult::Kind::script_error);
  EXPECT_NE(ack.result.detail.find("the ACK is full"), std::string::npos) << ack.result.detail;
  // Each action is 01 03 02 <len> v<i> 08 14 <20 bytes> = 27..28 bytes: 8 fit after the 7-byte header.
  EXPECT_NE(ack.result.detail.find("set_var_str: variable 'v9' not set"), std::string::npos) << ack.result.detail;
  EXPECT_EQ(ack.actions, 8u);
  EXPECT_LE(ack.length_field(), max_frame);
  EXPECT_EQ(ack.frame.size(), ack.length_field() + 4u);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("txn.v9"), std::string::npos) << logged[0];
}

TEST_F(LuaEngineTest, FullAckErrorCanBeCaughtByTheScript) {
  auto engine = load_script(R"(
    spoa.register_message('m', function(args)
      local ok, err = pcall(spoa.set_var_str, 'big', spoa.scope.txn, string.rep('x', 300))
      assert(not ok and err:find('ACK is full', 1, true), err)
      spoa.set_var_boolean('fallback', spoa.scope.txn, true)
    end)
  )");
  const Ack ack = call(*engine, "m", {}, spop::min_max_frame_size);
  ASSERT_TRUE(ack.result.ok()) << ack.result.detail;
  EXPECT_EQ(ack.hex(), canonical_hex("00000014 " ACK_HEADER "01 03 02 08 66616c6c6261636b 11"));
}

}  // namespace
}  // namespace spoa::lua::test
