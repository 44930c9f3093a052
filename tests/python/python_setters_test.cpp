// Every spoa.set_var_* setter produces the exact SET-VAR bytes (expected bytes come from the SPOP encoding
// rules, worked out independently of the code under test).
#include <ostream>
#include <string>

#include "spop/ack_builder.hpp"
#include "tests/python/python_test_support.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/setter_case.hpp"

namespace spoa::test {
namespace {

TEST_F(PythonEngineTest, Int32MatchesTheReferenceFrameByteForByte) {
  load_script(std::string(prelude) + R"PY(
def handler(args):
    spoa.set_var_int32('ip_score', spoa.scope_txn, 42)
spoa.register_message('check-client-ip', handler)
)PY");
  const auto out = call("check-client-ip");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, spop::test::to_hex(spop::test::hex("00000015 67 00000001 01 01  01 03 02 08 69705f73636f7265 02 2a")));
}

class SetterBytes : public PythonEngineTest, public ::testing::WithParamInterface<SetterCase> {};

TEST_P(SetterBytes, AppendsTheExactAction) {
  load_script(std::string(prelude) + "import ipaddress\ndef handler(args):\n    " + GetParam().statement +
              "\nspoa.register_message('m', handler)\n");
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with(GetParam().actions)) << GetParam().statement;
}

// Variable "v" = 01 76. Scope txn = 02.
const SetterCase setter_cases[] = {
    {"null", "spoa.set_var_null('v', spoa.scope_txn)", "01 03 02 01 76 00"},
    {"boolean_true", "spoa.set_var_boolean('v', spoa.scope_txn, True)", "01 03 02 01 76 11"},
    {"boolean_false", "spoa.set_var_boolean('v', spoa.scope_txn, False)", "01 03 02 01 76 01"},
    {"boolean_int_truthy", "spoa.set_var_boolean('v', spoa.scope_txn, 7)", "01 03 02 01 76 11"},
    {"boolean_int_zero", "spoa.set_var_boolean('v', spoa.scope_txn, 0)", "01 03 02 01 76 01"},
    {"boolean_empty_str", "spoa.set_var_boolean('v', spoa.scope_txn, '')", "01 03 02 01 76 01"},
    {"int32_small", "spoa.set_var_int32('v', spoa.scope_txn, 42)", "01 03 02 01 76 02 2a"},
    {"int32_1234", "spoa.set_var_int32('v', spoa.scope_txn, 1234)", "01 03 02 01 76 02 f2 3e"},
    {"int32_minus_one", "spoa.set_var_int32('v', spoa.scope_txn, -1)", "01 03 02 01 76 02 ff f0 fe fe fe fe fe fe fe 0e"},
    {"int32_max", "spoa.set_var_int32('v', spoa.scope_txn, 2**31 - 1)", "01 03 02 01 76 02 ff f0 fe fe 3e"},
    {"int32_min", "spoa.set_var_int32('v', spoa.scope_txn, -2**31)", "01 03 02 01 76 02 f0 f1 fe fe be fe fe fe fe 0e"},
    {"uint32_zero", "spoa.set_var_uint32('v', spoa.scope_txn, 0)", "01 03 02 01 76 03 00"},
    {"uint32_1234", "spoa.set_var_uint32('v', spoa.scope_txn, 1234)", "01 03 02 01 76 03 f2 3e"},
    {"uint32_max", "spoa.set_var_uint32('v', spoa.scope_txn, 2**32 - 1)", "01 03 02 01 76 03 ff f0 fe fe 7e"},
    {"int64_minus_five", "spoa.set_var_int64('v', spoa.scope_txn, -5)", "01 03 02 01 76 04 fb f0 fe fe fe fe fe fe fe 0e"},
    {"int64_min", "spoa.set_var_int64('v', spoa.scope_txn, -2**63)", "01 03 02 01 76 04 f0 f1 fe fe fe fe fe fe fe 06"},
    {"int64_max", "spoa.set_var_int64('v', spoa.scope_txn, 2**63 - 1)", "01 03 02 01 76 04 ff f0 fe fe fe fe fe fe fe 06"},
    {"int64_bool_is_an_int", "spoa.set_var_int64('v', spoa.scope_txn, True)", "01 03 02 01 76 04 01"},
    {"uint64_1234", "spoa.set_var_uint64('v', spoa.scope_txn, 1234)", "01 03 02 01 76 05 f2 3e"},
    {"uint64_max", "spoa.set_var_uint64('v', spoa.scope_txn, 2**64 - 1)", "01 03 02 01 76 05 ff f0 fe fe fe fe fe fe fe 0e"},
    {"ipv4", "spoa.set_var_ipv4('v', spoa.scope_txn, ipaddress.IPv4Address('127.0.0.1'))", "01 03 02 01 76 06 7f000001"},
    {"ipv6", "spoa.set_var_ipv6('v', spoa.scope_txn, ipaddress.IPv6Address('1::f'))",
     "01 03 02 01 76 07 0001 0000 0000 0000 0000 0000 0000 000f"},
    {"str", "spoa.set_var_str('v', spoa.scope_txn, '1::f')", "01 03 02 01 76 08 04 313a3a66"},
    {"str_non_ascii_is_utf8", "spoa.set_var_str('v', spoa.scope_txn, 'h\\u00e9')", "01 03 02 01 76 08 03 68c3a9"},
    {"str_from_bytes", "spoa.set_var_str('v', spoa.scope_txn, b'\\xff\\x00')", "01 03 02 01 76 08 02 ff00"},
    {"str_surrogateescape", "spoa.set_var_str('v', spoa.scope_txn, 'a\\udcff')", "01 03 02 01 76 08 02 61ff"},
    {"str_empty", "spoa.set_var_str('v', spoa.scope_txn, '')", "01 03 02 01 76 08 00"},
    {"bin_str_with_nul", "spoa.set_var_bin('v', spoa.scope_txn, '\\x01\\x02\\x00\\x03')", "01 03 02 01 76 09 04 01020003"},
    {"bin_bytes", "spoa.set_var_bin('v', spoa.scope_txn, b'\\x00\\xff')", "01 03 02 01 76 09 02 00ff"},
    {"bin_bytearray", "spoa.set_var_bin('v', spoa.scope_txn, bytearray(b'ab'))", "01 03 02 01 76 09 02 6162"},
    {"unset_var", "spoa.unset_var('v', spoa.scope_sess)", "02 02 01 01 76"},
    {"scope_proc", "spoa.set_var_null('v', spoa.scope_proc)", "01 03 00 01 76 00"},
    {"scope_sess", "spoa.set_var_null('v', spoa.scope_sess)", "01 03 01 01 76 00"},
    {"scope_req", "spoa.set_var_null('v', spoa.scope_req)", "01 03 03 01 76 00"},
    {"scope_res", "spoa.set_var_null('v', spoa.scope_res)", "01 03 04 01 76 00"},
    {"scope_as_plain_int", "spoa.set_var_null('v', 4)", "01 03 04 01 76 00"},
    {"name_as_bytes", "spoa.set_var_null(b'ab', spoa.scope_txn)", "01 03 02 02 6162 00"},
};

INSTANTIATE_TEST_SUITE_P(Setters, SetterBytes, ::testing::ValuesIn(setter_cases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST_F(PythonEngineTest, ScopeConstantsAreZeroToFour) {
  load_script(std::string(prelude) + R"PY(
assert (spoa.scope_proc, spoa.scope_sess, spoa.scope_txn, spoa.scope_req, spoa.scope_res) == (0, 1, 2, 3, 4)
assert issubclass(spoa.error, Exception)
assert issubclass(spoa.TimeBudgetExceeded, BaseException) and not issubclass(spoa.TimeBudgetExceeded, Exception)
)PY");
}

TEST_F(PythonEngineTest, ActionsKeepCallOrderAcrossHandlersOfOneAck) {
  load_script(std::string(prelude) + R"PY(
def first(args):
    spoa.set_var_int32('a', spoa.scope_txn, 1)
    spoa.set_var_int32('b', spoa.scope_sess, 2)
def second(args):
    spoa.set_var_int32('c', spoa.scope_req, 3)
spoa.register_message('first', first)
spoa.register_message('second', second)
)PY");
  // Both messages of one NOTIFY write into the same ACK.
  std::vector<std::byte> frame;
  spop::AckBuilder builder(frame, 1, 1, 16380);
  ASSERT_TRUE(engine().call(CallInfo{"first", 1, 1}, {}, builder).ok());
  ASSERT_TRUE(engine().call(CallInfo{"second", 1, 1}, {}, builder).ok());
  builder.finish();
  EXPECT_EQ(spop::test::to_hex(frame), ack_with("01 03 02 01 61 02 01  01 03 01 01 62 02 02  01 03 03 01 63 02 03"));
}

TEST_F(PythonEngineTest, AckFullRaisesSpoaErrorNamingTheVariableAndKeepsTheFrameValid) {
  load_script(std::string(prelude) + R"PY(
def handler(args):
    m = raises(spoa.error, spoa.set_var_str, 'big', spoa.scope_txn, 'x' * 100)
    assert 'ACK full' in m and 'txn.big' in m, m
    spoa.set_var_int32('small', spoa.scope_txn, 1)
spoa.register_message('m', handler)
)PY");
  const auto out = call("m", {}, 40);  // 7 bytes of header leave 33 for actions
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 05 736d616c6c 02 01"));
  bool warned = false;
  for (const auto& [level, text] : logs()) {
    if (level == LogLevel::warning && text.find("txn.big") != std::string::npos &&
        text.find("message 'm'") != std::string::npos) {
      warned = true;
    }
  }
  EXPECT_TRUE(warned) << "expected a warning naming the dropped variable";
}

TEST_F(PythonEngineTest, UncaughtAckFullIsAScriptErrorNamingTheVariable) {
  load_script(std::string(prelude) + R"PY(
def handler(args):
    spoa.set_var_int32('kept', spoa.scope_txn, 7)
    spoa.set_var_bin('huge', spoa.scope_sess, b'\0' * 5000)
spoa.register_message('m', handler)
)PY");
  const auto out = call("m", {}, 256);
  EXPECT_EQ(out.result.kind, CallResult::Kind::script_error);
  EXPECT_NE(out.result.detail.find("sess.huge"), std::string::npos) << out.result.detail;
  EXPECT_NE(out.result.detail.find("ACK full"), std::string::npos) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 04 6b657074 02 07"));
}

}  // namespace
}  // namespace spoa::test
