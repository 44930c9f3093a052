// Every spoa\set_var_* setter produces the exact SET-VAR bytes (expected bytes come from the SPOP encoding
// rules, worked out independently of the code under test), and refuses bad arguments with PHP's errors.
#include <ostream>
#include <string>

#include "spop/ack_builder.hpp"
#include "tests/php/php_test_support.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/setter_case.hpp"

namespace spoa::test {
namespace {

TEST_F(PhpEngineTest, Int32MatchesTheReferenceFrameByteForByte) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('check-client-ip', function (array $args): void {
    spoa\set_var_int32('ip_score', spoa\SCOPE_TXN, 42);
});
)PHP");
  const auto out = call("check-client-ip");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, spop::test::to_hex(spop::test::hex("00000015 67 00000001 01 01  01 03 02 08 69705f73636f7265 02 2a")));
}

class PhpSetterBytes : public PhpEngineTest, public ::testing::WithParamInterface<SetterCase> {};

TEST_P(PhpSetterBytes, AppendsTheExactAction) {
  load_script(std::string(prelude) + "spoa\\register_message('m', function ($args) {\n    " + GetParam().statement +
              ";\n});\n");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with(GetParam().actions)) << GetParam().statement;
}

// Variable "v" = 01 76. Scope txn = 02.
const SetterCase setter_cases[] = {
    {"null", "spoa\\set_var_null('v', spoa\\SCOPE_TXN)", "01 03 02 01 76 00"},
    {"boolean_true", "spoa\\set_var_boolean('v', spoa\\SCOPE_TXN, true)", "01 03 02 01 76 11"},
    {"boolean_false", "spoa\\set_var_boolean('v', spoa\\SCOPE_TXN, false)", "01 03 02 01 76 01"},
    {"boolean_from_int", "spoa\\set_var_boolean('v', spoa\\SCOPE_TXN, 7)", "01 03 02 01 76 11"},
    {"int32_1234", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, 1234)", "01 03 02 01 76 02 f2 3e"},
    {"int32_minus_one", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, -1)", "01 03 02 01 76 02 ff f0 fe fe fe fe fe fe fe 0e"},
    {"int32_max", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, 2147483647)", "01 03 02 01 76 02 ff f0 fe fe 3e"},
    {"int32_min", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, -2147483648)", "01 03 02 01 76 02 f0 f1 fe fe be fe fe fe fe 0e"},
    {"int32_numeric_string", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, '42')", "01 03 02 01 76 02 2a"},
    {"uint32_zero", "spoa\\set_var_uint32('v', spoa\\SCOPE_TXN, 0)", "01 03 02 01 76 03 00"},
    {"uint32_max", "spoa\\set_var_uint32('v', spoa\\SCOPE_TXN, 4294967295)", "01 03 02 01 76 03 ff f0 fe fe 7e"},
    {"int64_minus_five", "spoa\\set_var_int64('v', spoa\\SCOPE_TXN, -5)", "01 03 02 01 76 04 fb f0 fe fe fe fe fe fe fe 0e"},
    {"int64_min", "spoa\\set_var_int64('v', spoa\\SCOPE_TXN, PHP_INT_MIN)", "01 03 02 01 76 04 f0 f1 fe fe fe fe fe fe fe 06"},
    {"int64_max", "spoa\\set_var_int64('v', spoa\\SCOPE_TXN, PHP_INT_MAX)", "01 03 02 01 76 04 ff f0 fe fe fe fe fe fe fe 06"},
    {"uint64_1234", "spoa\\set_var_uint64('v', spoa\\SCOPE_TXN, 1234)", "01 03 02 01 76 05 f2 3e"},
    {"uint64_int_max", "spoa\\set_var_uint64('v', spoa\\SCOPE_TXN, PHP_INT_MAX)", "01 03 02 01 76 05 ff f0 fe fe fe fe fe fe fe 06"},
    {"uint64_max_as_string", "spoa\\set_var_uint64('v', spoa\\SCOPE_TXN, '18446744073709551615')",
     "01 03 02 01 76 05 ff f0 fe fe fe fe fe fe fe 0e"},
    {"ipv4", "spoa\\set_var_ipv4('v', spoa\\SCOPE_TXN, '127.0.0.1')", "01 03 02 01 76 06 7f000001"},
    {"ipv6", "spoa\\set_var_ipv6('v', spoa\\SCOPE_TXN, '1::f')", "01 03 02 01 76 07 0001 0000 0000 0000 0000 0000 0000 000f"},
    {"str", "spoa\\set_var_str('v', spoa\\SCOPE_TXN, '1::f')", "01 03 02 01 76 08 04 313a3a66"},
    {"str_utf8", "spoa\\set_var_str('v', spoa\\SCOPE_TXN, \"h\\u{e9}\")", "01 03 02 01 76 08 03 68c3a9"},
    {"str_empty", "spoa\\set_var_str('v', spoa\\SCOPE_TXN, '')", "01 03 02 01 76 08 00"},
    {"str_from_int", "spoa\\set_var_str('v', spoa\\SCOPE_TXN, 12)", "01 03 02 01 76 08 02 3132"},
    {"bin_with_nul", "spoa\\set_var_bin('v', spoa\\SCOPE_TXN, \"\\x01\\x02\\x00\\x03\")", "01 03 02 01 76 09 04 01020003"},
    {"bin_high_bytes", "spoa\\set_var_bin('v', spoa\\SCOPE_TXN, \"\\x00\\xff\")", "01 03 02 01 76 09 02 00ff"},
    {"unset_var", "spoa\\unset_var('v', spoa\\SCOPE_SESS)", "02 02 01 01 76"},
    {"scope_proc", "spoa\\set_var_null('v', spoa\\SCOPE_PROC)", "01 03 00 01 76 00"},
    {"scope_sess", "spoa\\set_var_null('v', spoa\\SCOPE_SESS)", "01 03 01 01 76 00"},
    {"scope_req", "spoa\\set_var_null('v', spoa\\SCOPE_REQ)", "01 03 03 01 76 00"},
    {"scope_res", "spoa\\set_var_null('v', spoa\\SCOPE_RES)", "01 03 04 01 76 00"},
    {"scope_as_plain_int", "spoa\\set_var_null('v', 4)", "01 03 04 01 76 00"},
    {"named_arguments", "spoa\\set_var_int32(value: 1, scope: spoa\\SCOPE_TXN, name: 'v')", "01 03 02 01 76 02 01"},
    {"binary_name", "spoa\\set_var_null(\"a\\x00b\", spoa\\SCOPE_TXN)", "01 03 02 03 610062 00"},
};

INSTANTIATE_TEST_SUITE_P(PhpSetters, PhpSetterBytes, ::testing::ValuesIn(setter_cases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST_F(PhpEngineTest, ConstantsAndTheExceptionClassExist) {
  load_script(std::string(prelude) + R"PHP(
check([spoa\SCOPE_PROC, spoa\SCOPE_SESS, spoa\SCOPE_TXN, spoa\SCOPE_REQ, spoa\SCOPE_RES] === [0, 1, 2, 3, 4], 'scopes');
check([spoa\LOG_TRACE, spoa\LOG_DEBUG, spoa\LOG_INFO, spoa\LOG_WARNING, spoa\LOG_ERROR, spoa\LOG_CRITICAL]
      === [0, 1, 2, 3, 4, 5], 'levels');
check(is_subclass_of('spoa\Exception', 'RuntimeException'), 'spoa\Exception extends RuntimeException');
check((new ReflectionFunction('spoa\set_var_int32'))->getNumberOfRequiredParameters() === 3, 'arginfo');
)PHP");
}

struct ErrorCase {
  const char* name;
  const char* statement;  // PHP expression that must throw
  const char* type;       // expected class
  const char* message;    // expected part of the message
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class PhpSetterErrors : public PhpEngineTest, public ::testing::WithParamInterface<ErrorCase> {};

// Each bad call throws inside the handler; the handler catches it, checks it, and sets "ok" afterwards, so
// a failing setter appends nothing and the call goes on.
TEST_P(PhpSetterErrors, ThrowTheRightErrorAndAppendNothing) {
  const ErrorCase& c = GetParam();
  load_script(std::string(prelude) + "spoa\\register_message('m', function ($args) {\n    $m = raises('" + c.type +
              "', fn () => " + c.statement + ");\n    check(str_contains($m, '" + c.message +
              "'), $m);\n    spoa\\set_var_int32('ok', spoa\\SCOPE_TXN, 1);\n});\n");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 02 6f6b 02 01"));
}

const ErrorCase error_cases[] = {
    {"int32_above", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, 2147483648)", "ValueError",
     "spoa\\\\set_var_int32(): Argument #3 ($value) must be between -2147483648 and 2147483647 (int32), 2147483648 given"},
    {"int32_below", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN, -2147483649)", "ValueError", "-2147483649 given"},
    {"uint32_negative", "spoa\\set_var_uint32('v', spoa\\SCOPE_TXN, -1)", "ValueError", "(uint32), -1 given"},
    {"uint32_above", "spoa\\set_var_uint32('v', spoa\\SCOPE_TXN, 4294967296)", "ValueError", "4294967296 given"},
    {"uint64_negative", "spoa\\set_var_uint64('v', spoa\\SCOPE_TXN, -1)", "ValueError", "(uint64), -1 given"},
    {"uint64_string_too_big", "spoa\\set_var_uint64('v', spoa\\SCOPE_TXN, '18446744073709551616')", "ValueError",
     "must be a decimal string"},
    {"uint64_float", "spoa\\set_var_uint64('v', spoa\\SCOPE_TXN, 1.5)", "TypeError", "must be of type int|string, float given"},
    {"int_from_huge_float", "spoa\\set_var_int64('v', spoa\\SCOPE_TXN, 1e20)", "TypeError", "must be of type int, float given"},
    {"int_from_word", "spoa\\set_var_int64('v', spoa\\SCOPE_TXN, 'x')", "TypeError", "must be of type int, string given"},
    {"boolean_from_array", "spoa\\set_var_boolean('v', spoa\\SCOPE_TXN, [])", "TypeError", "must be of type bool"},
    {"bad_ipv4", "spoa\\set_var_ipv4('v', spoa\\SCOPE_TXN, '1.2.3')", "ValueError", "must be an IPv4 address, \"1.2.3\" given"},
    {"ipv6_in_ipv4", "spoa\\set_var_ipv4('v', spoa\\SCOPE_TXN, '::1')", "ValueError", "IPv4"},
    {"bad_ipv6", "spoa\\set_var_ipv6('v', spoa\\SCOPE_TXN, '1:::2')", "ValueError", "must be an IPv6 address"},
    {"scope_too_big", "spoa\\set_var_null('v', 5)", "ValueError", "Argument #2 ($scope) must be a scope"},
    {"scope_negative", "spoa\\set_var_null('v', -1)", "ValueError", "-1 given"},
    {"missing_value", "spoa\\set_var_int32('v', spoa\\SCOPE_TXN)", "ArgumentCountError", "expects exactly 3 arguments, 2 given"},
    {"str_from_array", "spoa\\set_var_str('v', spoa\\SCOPE_TXN, [])", "TypeError", "must be of type string, array given"},
    {"bad_log_level", "spoa\\log('loud', 'x')", "ValueError", "must be spoa\\\\LOG_TRACE"},
    {"register_in_handler", "spoa\\register_message('late', fn ($a) => null)", "spoa\\\\Exception",
     "registered outside of a script load"},
};

INSTANTIATE_TEST_SUITE_P(PhpSetters, PhpSetterErrors, ::testing::ValuesIn(error_cases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST_F(PhpEngineTest, SettersOutsideAHandlerThrowSpoaException) {
  load_script(std::string(prelude) + R"PHP(
$m = raises('spoa\Exception', fn () => spoa\set_var_int32('v', spoa\SCOPE_TXN, 1));
check(str_contains($m, 'spoa\set_var_int32(): no message is being handled'), $m);
spoa\register_message('m', fn ($args) => null);
)PHP");
  EXPECT_TRUE(call("m").result.ok());
}

TEST_F(PhpEngineTest, StrictTypesMakeCoercionsTypeErrors) {
  load_script(std::string("<?php declare(strict_types=1);\n") + (prelude + 6) + R"PHP(
spoa\register_message('m', function ($args) {
    $m = raises('TypeError', fn () => spoa\set_var_int32('v', spoa\SCOPE_TXN, '42'));
    check(str_contains($m, 'must be of type int, string given'), $m);
    spoa\set_var_int32('ok', spoa\SCOPE_TXN, 1);
});
)PHP");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 02 6f6b 02 01"));
}

TEST_F(PhpEngineTest, ActionsKeepCallOrderAcrossHandlersOfOneAck) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('first', function ($args) {
    spoa\set_var_int32('a', spoa\SCOPE_TXN, 1);
    spoa\set_var_int32('b', spoa\SCOPE_SESS, 2);
});
spoa\register_message('second', function ($args) {
    spoa\set_var_int32('c', spoa\SCOPE_REQ, 3);
});
)PHP");
  std::vector<std::byte> frame;
  spop::AckBuilder builder(frame, 1, 1, 16380);
  ASSERT_TRUE(engine().call(CallInfo{"first", 1, 1}, {}, builder).ok());
  ASSERT_TRUE(engine().call(CallInfo{"second", 1, 1}, {}, builder).ok());
  builder.finish();
  EXPECT_EQ(spop::test::to_hex(frame), ack_with("01 03 02 01 61 02 01  01 03 01 01 62 02 02  01 03 03 01 63 02 03"));
}

TEST_F(PhpEngineTest, AckFullThrowsSpoaExceptionNamingTheVariableAndKeepsTheFrameValid) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function ($args) {
    $m = raises('spoa\Exception', fn () => spoa\set_var_str('big', spoa\SCOPE_TXN, str_repeat('x', 100)));
    check(str_contains($m, 'txn.big not set: the ACK is full'), $m);
    spoa\set_var_int32('small', spoa\SCOPE_TXN, 1);
});
)PHP");
  const auto out = call("m", {}, 40);  // 7 bytes of header leave 33 for actions
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 736d616c6c 02 01"));
  EXPECT_TRUE(logged(LogLevel::warning, {"txn.big", "message 'm'", "ACK is full"}));
}

TEST_F(PhpEngineTest, UncaughtAckFullIsAScriptErrorNamingTheVariable) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function ($args) {
    spoa\set_var_int32('kept', spoa\SCOPE_TXN, 7);
    spoa\set_var_bin('huge', spoa\SCOPE_SESS, str_repeat("\0", 5000));
});
)PHP");
  const auto out = call("m", {}, 256);
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(out.result.detail, "sess.huge")) << out.result.detail;
  EXPECT_TRUE(contains(out.result.detail, "spoa\\Exception")) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 04 6b657074 02 07"));
}

}  // namespace
}  // namespace spoa::test
