// Every error path of the spoa functions: the script checks the exception type and text itself (a missing
// or wrong exception fails the call with an AssertionError), and a refused setter appends nothing.
#include <string>

#include "tests/python/python_test_support.hpp"

namespace spoa::test {
namespace {

class SetterErrors : public PythonEngineTest {
 protected:
  /// Runs `body` (Python statements, 4-space indented) inside a handler; it must pass and append nothing.
  void expect_handler_passes(const std::string& body) {
    load_script(std::string(prelude) + "import ipaddress\ndef handler(args):\n" + body +
                "\nspoa.register_message('m', handler)\n");
    const auto out = call("m");
    EXPECT_TRUE(out.result.ok()) << out.result.detail;
    EXPECT_EQ(out.actions, 0u) << "a refused setter must not append an action";
  }
};

TEST_F(SetterErrors, IntegerSettersRaiseOverflowErrorJustOutsideEachEdge) {
  expect_handler_passes(R"PY(
    cases = [
        (spoa.set_var_int32, 2**31, 'int32'), (spoa.set_var_int32, -2**31 - 1, 'int32'),
        (spoa.set_var_uint32, 2**32, 'uint32'), (spoa.set_var_uint32, -1, 'uint32'),
        (spoa.set_var_int64, 2**63, 'int64'), (spoa.set_var_int64, -2**63 - 1, 'int64'),
        (spoa.set_var_uint64, 2**64, 'uint64'), (spoa.set_var_uint64, -1, 'uint64'),
        (spoa.set_var_uint64, -2**70, 'uint64'), (spoa.set_var_int32, 10**30, 'int32'),
    ]
    for fn, value, type_name in cases:
        m = raises(OverflowError, fn, 'v', spoa.scope_txn, value)
        # The message names the value and the type (the original's was garbled).
        assert str(value) in m and type_name in m, m
)PY");
}

TEST_F(SetterErrors, IntegerSettersRejectNonIntegers) {
  expect_handler_passes(R"PY(
    for fn in (spoa.set_var_int32, spoa.set_var_uint32, spoa.set_var_int64, spoa.set_var_uint64):
        raises(TypeError, fn, 'v', spoa.scope_txn, 1.5)
        raises(TypeError, fn, 'v', spoa.scope_txn, 1.0)
        raises(TypeError, fn, 'v', spoa.scope_txn, '12')
        raises(TypeError, fn, 'v', spoa.scope_txn, None)
)PY");
}

TEST_F(SetterErrors, AddressSettersRaiseSpoaErrorForOtherTypes) {
  expect_handler_passes(R"PY(
    m = raises(spoa.error, spoa.set_var_ipv4, 'v', spoa.scope_txn, '127.0.0.1')
    assert 'IPv4Address' in m, m
    raises(spoa.error, spoa.set_var_ipv4, 'v', spoa.scope_txn, ipaddress.IPv6Address('::1'))
    raises(spoa.error, spoa.set_var_ipv4, 'v', spoa.scope_txn, 2130706433)
    raises(spoa.error, spoa.set_var_ipv4, 'v', spoa.scope_txn, b'\x7f\x00\x00\x01')
    m = raises(spoa.error, spoa.set_var_ipv6, 'v', spoa.scope_txn, ipaddress.IPv4Address('127.0.0.1'))
    assert 'IPv6Address' in m, m
    raises(spoa.error, spoa.set_var_ipv6, 'v', spoa.scope_txn, '::1')
    raises(spoa.error, spoa.set_var_ipv6, 'v', spoa.scope_txn, None)
)PY");
}

TEST_F(SetterErrors, ByteSettersRejectOtherTypes) {
  expect_handler_passes(R"PY(
    for fn in (spoa.set_var_str, spoa.set_var_bin):
        raises(TypeError, fn, 'v', spoa.scope_txn, 12)
        raises(TypeError, fn, 'v', spoa.scope_txn, None)
        raises(TypeError, fn, 'v', spoa.scope_txn, ['a'])
    # A lone surrogate outside the surrogateescape range has no byte form.
    raises(UnicodeEncodeError, spoa.set_var_str, 'v', spoa.scope_txn, '\ud800')
)PY");
}

TEST_F(SetterErrors, BadNamesAndScopes) {
  expect_handler_passes(R"PY(
    raises(TypeError, spoa.set_var_null, 12, spoa.scope_txn)
    raises(TypeError, spoa.set_var_null, None, spoa.scope_txn)
    raises(TypeError, spoa.set_var_null, 'v', 'txn')
    raises(TypeError, spoa.set_var_null, 'v', 2.0)
    for bad in (5, -1, 2**70):
        m = raises(ValueError, spoa.set_var_int32, 'v', bad, 1)
        assert 'scope' in m, m
    raises(ValueError, spoa.unset_var, 'v', 9)
)PY");
}

TEST_F(SetterErrors, WrongArgumentCountsRaiseTypeError) {
  expect_handler_passes(R"PY(
    raises(TypeError, spoa.set_var_null, 'v')
    raises(TypeError, spoa.set_var_null, 'v', 2, 3)
    raises(TypeError, spoa.set_var_int32, 'v', 2)
    raises(TypeError, spoa.set_var_str, 'v', 2, 'a', 'b')
    raises(TypeError, spoa.unset_var, 'v')
    raises(TypeError, spoa.register_message, 'x')
    raises(TypeError, spoa.log, 'info')
    try:
        spoa.set_var_int32(name='v', scope=2, value=1)
    except TypeError:
        pass
    else:
        raise AssertionError('keyword arguments were accepted')
)PY");
}

TEST_F(SetterErrors, RegisterMessageInsideAHandlerRaisesSpoaError) {
  expect_handler_passes(R"PY(
    m = raises(spoa.error, spoa.register_message, 'late', handler)
    assert 'load' in m, m
)PY");
  EXPECT_EQ(engine().registrations().size(), 1u);
}

TEST_F(SetterErrors, LogRejectsUnknownLevels) {
  expect_handler_passes(R"PY(
    raises(ValueError, spoa.log, 9, 'x')
    raises(ValueError, spoa.log, -1, 'x')
    raises(ValueError, spoa.log, 'loud', 'x')
    raises(TypeError, spoa.log, 1.0, 'x')
)PY");
}

TEST_F(PythonEngineTest, RegisterMessageValidatesItsArgumentsAtLoad) {
  load_script(std::string(prelude) + R"PY(
m = raises(TypeError, spoa.register_message, 'm', 42)
assert 'callable' in m, m
raises(TypeError, spoa.register_message, 'm', None)
raises(TypeError, spoa.register_message, 42, print)
raises(TypeError, spoa.register_message, b'm', print)
raises(ValueError, spoa.register_message, '', print)
)PY");
  EXPECT_TRUE(engine().registrations().empty());
}

TEST_F(PythonEngineTest, SettersOutsideAHandlerRaiseSpoaError) {
  // At load time no ACK exists; a handler that stashes a setter for later is covered by the same check.
  load_script(std::string(prelude) + R"PY(
import ipaddress
for fn, args in [(spoa.set_var_null, ()), (spoa.set_var_boolean, (True,)), (spoa.set_var_int32, (1,)),
                 (spoa.set_var_uint32, (1,)), (spoa.set_var_int64, (1,)), (spoa.set_var_uint64, (1,)),
                 (spoa.set_var_ipv4, (ipaddress.IPv4Address('1.2.3.4'),)),
                 (spoa.set_var_ipv6, (ipaddress.IPv6Address('::1'),)), (spoa.set_var_str, ('a',)),
                 (spoa.set_var_bin, (b'a',))]:
    m = raises(spoa.error, fn, 'v', spoa.scope_txn, *args)
    assert 'outside' in m, m
raises(spoa.error, spoa.unset_var, 'v', spoa.scope_txn)
pending = []
def handler(args):
    pending.append(lambda: spoa.set_var_int32('late', spoa.scope_txn, 1))
def later(args):
    pending[0]()  # runs inside another call: allowed, it appends to that call's ACK
spoa.register_message('m', handler)
spoa.register_message('later', later)
)PY");
  ASSERT_TRUE(call("m").result.ok());
  const auto out = call("later");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 04 6c617465 02 01"));
}

}  // namespace
}  // namespace spoa::test
