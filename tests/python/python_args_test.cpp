// What a handler receives: fn(args=[{'name': ..., 'value': ...}, ...]) with every SPOP type mapped as in
// script-api.md. The script asserts what it sees; a mismatch fails the call with the assertion's text.
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <limits>
#include <string>
#include <vector>

#include "tests/python/python_test_support.hpp"

namespace spoa::test {
namespace {

spop::Value v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  spop::Ipv4Address ip;
  ip.bytes = {a, b, c, d};
  return spop::Value::ipv4(ip);
}

spop::Value v6_55() {
  spop::Ipv6Address ip;
  ip.bytes[15] = 0x55;
  return spop::Value::ipv6(ip);
}

TEST_F(PythonEngineTest, EveryTypeArrivesAsDocumented) {
  load_script(std::string(prelude) + R"PY(
import ipaddress
def handler(args):
    assert type(args) is list and len(args) == 16, args
    for a in args:
        assert type(a) is dict and list(a) == ['name', 'value'], a
    names = [a['name'] for a in args]
    assert names == ['', '', '', 'i32', '', '', '', '', 'src', '', 'host', '', 'raw', '', 'neg', 'n\udcffm'], names
    v = [a['value'] for a in args]
    assert v[0] is None
    assert v[1] is True and v[2] is False
    assert type(v[3]) is int and v[3] == -5, v[3]
    assert v[4] == 4294967295, v[4]
    assert v[5] == -9223372036854775808, v[5]
    assert v[6] == 9223372036854775807, v[6]
    assert v[7] == 18446744073709551615, v[7]
    assert type(v[8]) is ipaddress.IPv4Address and v[8] == ipaddress.IPv4Address('127.0.0.1'), v[8]
    assert type(v[9]) is ipaddress.IPv6Address and v[9] == ipaddress.IPv6Address('::55'), v[9]
    assert type(v[10]) is str and v[10] == 'h\u00e9llo', ascii(v[10])
    assert type(v[11]) is bytes and v[11] == b'\x00a\x00b', v[11]
    # Not UTF-8: decoded with surrogateescape, the exact bytes come back with .encode(..., 'surrogateescape')
    assert type(v[12]) is str and v[12] == '\udcff\udcfeab', ascii(v[12])
    assert v[12].encode('utf-8', 'surrogateescape') == b'\xff\xfeab'
    assert v[13] == 0 and type(v[13]) is int
    assert v[14] == -7, v[14]        # an INT32 read with all 64 bits, sign included
    assert v[15] == b'', v[15]
    spoa.set_var_str('raw', spoa.scope_txn, v[12])   # round-trips byte for byte
spoa.register_message('m', handler)
)PY");
  const std::string not_utf8 = "\xff\xfe" "ab";
  const std::string nul_bytes("\0a\0b", 4);
  const std::string name_not_utf8 = "n\xffm";
  const std::vector<spop::Argument> args = {
      {"", spop::Value::null()},
      {"", spop::Value::boolean(true)},
      {"", spop::Value::boolean(false)},
      {"i32", spop::Value::int32(-5)},
      {"", spop::Value::uint32(std::numeric_limits<std::uint32_t>::max())},
      {"", spop::Value::int64(std::numeric_limits<std::int64_t>::min())},
      {"", spop::Value::int64(std::numeric_limits<std::int64_t>::max())},
      {"", spop::Value::uint64(std::numeric_limits<std::uint64_t>::max())},
      {"src", v4(127, 0, 0, 1)},
      {"", v6_55()},
      {"host", spop::Value::string("h\xc3\xa9llo")},
      {"", spop::Value::binary(nul_bytes)},
      {"raw", spop::Value::string(not_utf8)},
      {"", spop::Value::uint64(0)},
      {"neg", spop::Value::integer(spop::DataType::int32, static_cast<std::uint64_t>(-7))},
      {name_not_utf8, spop::Value::binary("")},
  };
  const auto out = call("m", args);
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 03 726177 08 04 fffe6162"));
}

TEST_F(PythonEngineTest, AddressesArriveWithAllTheirBits) {
  load_script(std::string(prelude) + R"PY(
import ipaddress
EXPECTED = ['0.0.0.0', '1.2.3.4', '255.255.255.255', '::', '1::f', '2001:db8::1',
            'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:1.2.3.4', '8000::1']
def handler(args):
    got = [a['value'] for a in args]
    assert got == [ipaddress.ip_address(text) for text in EXPECTED], got
    assert [type(v) for v in got] == [ipaddress.IPv4Address] * 3 + [ipaddress.IPv6Address] * 6, got
spoa.register_message('m', handler)
)PY");
  auto v6 = [](std::initializer_list<std::pair<int, std::uint8_t>> set) {
    spop::Ipv6Address ip;
    for (const auto& [index, byte] : set) ip.bytes[static_cast<std::size_t>(index)] = byte;
    return spop::Value::ipv6(ip);
  };
  spop::Ipv6Address all_ones;
  all_ones.bytes.fill(0xff);
  const std::vector<spop::Argument> args = {
      {"", v4(0, 0, 0, 0)},
      {"", v4(1, 2, 3, 4)},
      {"", v4(255, 255, 255, 255)},
      {"", v6({})},
      {"", v6({{1, 0x01}, {15, 0x0f}})},
      {"", v6({{0, 0x20}, {1, 0x01}, {2, 0x0d}, {3, 0xb8}, {15, 0x01}})},
      {"", spop::Value::ipv6(all_ones)},
      {"", v6({{10, 0xff}, {11, 0xff}, {12, 1}, {13, 2}, {14, 3}, {15, 4}})},
      {"", v6({{0, 0x80}, {15, 0x01}})},
  };
  const auto out = call("m", args);
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
}

TEST_F(PythonEngineTest, TheDocumentedExampleArgumentsLookExactlyAsInTheApiDocument) {
  // script-api.md: what a script sees for `args always_true int(1234) src ipv6(::55) req.fhdr(host)`.
  load_script(std::string(prelude) + R"PY(
EXPECTED = ("[{'name': '', 'value': True}, {'name': '', 'value': 1234}, "
            "{'name': '', 'value': IPv4Address('127.0.0.1')}, {'name': '', 'value': IPv6Address('::55')}, "
            "{'name': '', 'value': '127.0.0.1:10001'}]")
def handler(args):
    assert repr(args) == EXPECTED, repr(args)
spoa.register_message('check-client-ip', handler)
)PY");
  const std::vector<spop::Argument> args = {
      {"", spop::Value::boolean(true)},
      {"", spop::Value::integer(spop::DataType::int32, 1234)},
      {"", v4(127, 0, 0, 1)},
      {"", v6_55()},
      {"", spop::Value::string("127.0.0.1:10001")},
  };
  const auto out = call("check-client-ip", args);
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
}

TEST_F(PythonEngineTest, NoArgumentsGiveAnEmptyList) {
  load_script(std::string(prelude) + R"PY(
def handler(args):
    assert args == [], args
spoa.register_message('m', handler)
)PY");
  EXPECT_TRUE(call("m").result.ok());
}

TEST_F(PythonEngineTest, ArgsIsPassedAsAKeywordToAnyCallable) {
  load_script(std::string(prelude) + R"PY(
import functools
def keyword_only(*, args):                      # fails unless `args` is passed by keyword
    spoa.set_var_int32('a', spoa.scope_txn, len(args))
class Handler:
    def __call__(self, args):
        spoa.set_var_int32('b', spoa.scope_txn, len(args))
    def method(self, args):
        spoa.set_var_int32('c', spoa.scope_txn, len(args))
def with_extra(extra, args):
    spoa.set_var_int32('d', spoa.scope_txn, extra + len(args))
spoa.register_message('kw', keyword_only)
spoa.register_message('instance', Handler())
spoa.register_message('method', Handler().method)
spoa.register_message('partial', functools.partial(with_extra, 10))
spoa.register_message('lambda', lambda args: spoa.set_var_int32('e', spoa.scope_txn, len(args)))
)PY");
  const std::vector<spop::Argument> one = {{"", spop::Value::null()}};
  const std::pair<const char*, const char*> cases[] = {
      {"kw", "01 03 02 01 61 02 01"},       {"instance", "01 03 02 01 62 02 01"},
      {"method", "01 03 02 01 63 02 01"},   {"partial", "01 03 02 01 64 02 0b"},
      {"lambda", "01 03 02 01 65 02 01"},
  };
  for (const auto& [message, actions] : cases) {
    const auto out = call(message, one);
    ASSERT_TRUE(out.result.ok()) << message << ": " << out.result.detail;
    EXPECT_EQ(out.ack, ack_with(actions)) << message;
  }
}

TEST_F(PythonEngineTest, EachCallGetsAFreshListThatTheHandlerMayKeep) {
  load_script(std::string(prelude) + R"PY(
kept = []
def handler(args):
    kept.append(args)
    spoa.set_var_int32('n', spoa.scope_txn, len(kept))
    if len(kept) == 2:
        assert kept[0] is not kept[1]
        assert kept[0][0]['value'] == 1 and kept[1][0]['value'] == 2, kept
spoa.register_message('m', handler)
)PY");
  ASSERT_TRUE(call("m", {{"", spop::Value::int32(1)}}).result.ok());
  const auto out = call("m", {{"", spop::Value::int32(2)}});
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 01 6e 02 02"));
}

// The engine hands out the last address object again when the same address comes back: each call must
// still see its own address, whether it repeats or changes.
TEST_F(PythonEngineTest, RepeatedAndChangingAddressesAreEachCallsOwn) {
  load_script(std::string(prelude) + R"PY(
import ipaddress
seen = []
def handler(args):
    seen.append(str(args[0]['value']))
    if len(seen) == 4:
        assert seen == ['1.2.3.4', '1.2.3.4', '5.6.7.8', '1.2.3.4'], seen
        spoa.set_var_int32('ok', spoa.scope_txn, 1)
spoa.register_message('m', handler)
)PY");
  const spop::Value addresses[] = {v4(1, 2, 3, 4), v4(1, 2, 3, 4), v4(5, 6, 7, 8), v4(1, 2, 3, 4)};
  Outcome out;
  for (const auto& address : addresses) {
    out = call("m", {{"", address}});
    ASSERT_TRUE(out.result.ok()) << out.result.detail;
  }
  EXPECT_EQ(out.ack, ack_with("01 03 02 02 6f6b 02 01")) << "the last call checked what all four saw";
}

}  // namespace
}  // namespace spoa::test
