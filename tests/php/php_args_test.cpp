// What a handler receives: $args in HAProxy's order, each ['name' => ..., 'value' => ...], with every SPOP
// type mapped as documented (64-bit ints, address text, binary-safe strings, null).
#include <limits>
#include <string>

#include "spop/ack_reader.hpp"
#include "tests/php/php_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace {

// The handler renders $args with var_export() into a str variable, so the test sees PHP's exact values.
const char* const export_script = R"PHP(
spoa\register_message('m', function (array $args): void {
    spoa\set_var_bin('x', spoa\SCOPE_TXN, var_export($args, true));
});
)PHP";

/// The value of the ACK's one SET-VAR (the exported text the handler sent back).
std::string exported(const std::string& ack_hex) {
  const std::vector<std::byte> frame = spop::test::hex(ack_hex);
  spop::AckContents contents;
  spop::read_ack_actions(std::span<const std::byte>(frame).subspan(4 + 7), contents);  // after LEN and header
  if (contents.actions.size() != 1) return "(" + std::to_string(contents.actions.size()) + " actions)";
  return std::string(contents.actions[0].value.as_bytes());
}

TEST_F(PhpEngineTest, TheStandardArgumentsArriveInOrderWithTheirPhpTypes) {
  load_script(std::string(prelude) + export_script);
  spop::Ipv4Address src;
  src.bytes = {127, 0, 0, 1};
  spop::Ipv6Address v6;
  v6.bytes[15] = 0x55;
  const auto out = call("m", {{"", spop::Value::boolean(true)},
                              {"", spop::Value::int32(1234)},
                              {"", spop::Value::ipv4(src)},
                              {"", spop::Value::ipv6(v6)},
                              {"host", spop::Value::string("127.0.0.1:10001")}});
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(exported(out.ack),
            "array (\n"
            "  0 => \n  array (\n    'name' => '',\n    'value' => true,\n  ),\n"
            "  1 => \n  array (\n    'name' => '',\n    'value' => 1234,\n  ),\n"
            "  2 => \n  array (\n    'name' => '',\n    'value' => '127.0.0.1',\n  ),\n"
            "  3 => \n  array (\n    'name' => '',\n    'value' => '::55',\n  ),\n"
            "  4 => \n  array (\n    'name' => 'host',\n    'value' => '127.0.0.1:10001',\n  ),\n"
            ")");
}

TEST_F(PhpEngineTest, EveryTypeKeepsItsFullValue) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function (array $args): void {
    check(count($args) === 11, 'count ' . count($args));
    check($args[0]['value'] === null && array_key_exists('value', $args[0]), 'null is present as null');
    check($args[1]['value'] === false, 'false');
    check($args[2]['value'] === PHP_INT_MIN, 'int64 min');
    check($args[3]['value'] === PHP_INT_MAX, 'int64 max');
    check($args[4]['value'] === -1, 'uint64 max wraps to -1 like in Lua');
    check($args[5]['value'] === 4294967295, 'uint32 max');
    check($args[6]['value'] === -2147483648, 'int32 min');
    check($args[7]['value'] === '1::f', 'ipv6 text');
    check($args[8]['value'] === "a\0b\xff", 'binary with NUL and high byte');
    check($args[9]['value'] === '' && $args[10]['value'] === '', 'empty string and binary');
    check($args[9]['name'] === 'empty', 'names are kept');
    spoa\set_var_int32('ok', spoa\SCOPE_TXN, 1);
});
)PHP");
  spop::Ipv6Address v6;
  v6.bytes[1] = 1;
  v6.bytes[15] = 0xf;
  const auto out = call("m", {{"", spop::Value::null()},
                              {"", spop::Value::boolean(false)},
                              {"", spop::Value::int64(std::numeric_limits<std::int64_t>::min())},
                              {"", spop::Value::int64(std::numeric_limits<std::int64_t>::max())},
                              {"", spop::Value::uint64(std::numeric_limits<std::uint64_t>::max())},
                              {"", spop::Value::uint32(std::numeric_limits<std::uint32_t>::max())},
                              {"", spop::Value::int32(std::numeric_limits<std::int32_t>::min())},
                              {"", spop::Value::ipv6(v6)},
                              {"", spop::Value::binary(std::string_view("a\0b\xff", 4))},
                              {"empty", spop::Value::string("")},
                              {"", spop::Value::binary("")}});
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 02 6f6b 02 01"));
}

TEST_F(PhpEngineTest, EachCallGetsAFreshArrayAndHandlerStateSurvivesBetweenCalls) {
  load_script(std::string(prelude) + R"PHP(
$calls = 0;
spoa\register_message('m', function (array $args) use (&$calls): void {
    $calls++;
    check(count($args) === 1 && $args[0]['value'] === $calls * 10, 'fresh args');
    $args[] = 'scribble';  // a copy: the next call must not see it
    spoa\set_var_int32('calls', spoa\SCOPE_TXN, $calls);
});
)PHP");
  const auto first = call("m", {{"", spop::Value::int32(10)}});
  const auto second = call("m", {{"", spop::Value::int32(20)}});
  ASSERT_TRUE(first.result.ok()) << first.result.detail;
  ASSERT_TRUE(second.result.ok()) << second.result.detail;
  EXPECT_EQ(second.ack, ack_with("01 03 02 05 63616c6c73 02 02"));
}

TEST_F(PhpEngineTest, AnyCallableCanBeAHandler) {
  load_script(std::string(prelude) + R"PHP(
function by_name(array $args): void { spoa\set_var_int32('f', spoa\SCOPE_TXN, 1); }
class Handlers {
    public function method(array $args): void { spoa\set_var_int32('m', spoa\SCOPE_TXN, 2); }
    public static function stat(array $args): void { spoa\set_var_int32('s', spoa\SCOPE_TXN, 3); }
    public function __invoke(array $args): void { spoa\set_var_int32('i', spoa\SCOPE_TXN, 4); }
}
spoa\register_message('name', 'by_name');
spoa\register_message('method', [new Handlers(), 'method']);
spoa\register_message('static', 'Handlers::stat');
spoa\register_message('invokable', new Handlers());
spoa\register_message('arrow', fn (array $args) => spoa\set_var_int32('a', spoa\SCOPE_TXN, 5));
$m = raises('TypeError', fn () => spoa\register_message('bad', 'no_such_function'));
check(str_contains($m, 'Argument #2 ($handler) must be a valid callback'), $m);
$m = raises('ValueError', fn () => spoa\register_message('', 'by_name'));
check(str_contains($m, 'Argument #1 ($name) must not be empty'), $m);
)PHP");
  const std::pair<const char*, const char*> expected[] = {
      {"name", "01 03 02 01 66 02 01"},   {"method", "01 03 02 01 6d 02 02"}, {"static", "01 03 02 01 73 02 03"},
      {"invokable", "01 03 02 01 69 02 04"}, {"arrow", "01 03 02 01 61 02 05"},
  };
  for (const auto& [message, actions] : expected) {
    const auto out = call(message);
    ASSERT_TRUE(out.result.ok()) << message << ": " << out.result.detail;
    EXPECT_EQ(out.ack, ack_with(actions)) << message;
  }
  ASSERT_EQ(engine().registrations().size(), 5u);
  EXPECT_EQ(engine().registrations()[1].message, "method");
  EXPECT_EQ(engine().registrations()[1].file, dir() / "script.php");
}

}  // namespace
}  // namespace spoa::test
