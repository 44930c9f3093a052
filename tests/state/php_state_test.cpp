// spoa\state_get/set/incr/del in PHP: every function, the value mapping, TTL, and every error path.
#include <memory>
#include <string>

#include "agent/state/embedded_store.hpp"
#include "agent/state/redis_store.hpp"
#include "tests/php/php_test_support.hpp"
#include "tests/state/failing_store.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa::test {
namespace {

class PhpState : public PhpEngineTest {
 protected:
  void use_embedded() {
    auto now = now_;
    store_ = std::make_shared<EmbeddedStore>(256 * 1024, [now] { return *now; });
    options().state = store_;
  }
  void expect_ok(std::string_view message) {
    const auto out = call(message);
    EXPECT_TRUE(out.result.ok()) << out.result.detail;
  }
  std::shared_ptr<std::int64_t> now_ = std::make_shared<std::int64_t>(1000);
  std::shared_ptr<EmbeddedStore> store_;
};

TEST_F(PhpState, EveryFunctionRoundTripsItsValues) {
  use_embedded();
  load_script(std::string(prelude) + R"PHP(
spoa\state_set('at-load', 1);   // the store also works while the script loads

spoa\register_message('m', function (array $args): void {
    check(spoa\state_get('k') === null, 'absent');
    spoa\state_set('k', 'text');
    check(spoa\state_get('k') === 'text', 'text');
    spoa\state_set('bin', "\0\xff");
    check(spoa\state_get('bin') === "\0\xff", 'bytes with a NUL');
    spoa\state_set('n', -5);
    check(spoa\state_get('n') === -5, 'int');
    spoa\state_set('digits', '12');              // a string stays a string
    check(spoa\state_get('digits') === '12', 'digits');
    spoa\state_set('big', PHP_INT_MAX);
    check(spoa\state_get('big') === PHP_INT_MAX, 'PHP_INT_MAX');
    check(spoa\state_incr('n') === -4, 'incr default');
    check(spoa\state_incr('n', 10) === 6, 'incr 10');
    check(spoa\state_incr('n', -6, 0) === 0, 'incr -6');
    check(spoa\state_incr('fresh', 2, 1.5) === 2, 'incr with a float TTL');
    spoa\state_set('short', 'x', 1);
    spoa\state_set('kept', 'y', null);           // null: no expiry
    spoa\state_set(42, 'numeric key');           // PHP's coercion: the key is '42'
    check(spoa\state_get('42') === 'numeric key', 'numeric key');
    check(spoa\state_incr(key: 'named', ttl: 5) === 1, 'named arguments');
    check(spoa\state_del('n') === true, 'del existing');
    check(spoa\state_del('n') === false, 'del absent');
    check(spoa\state_get('at-load') === 1, 'at-load');
    $r = new ReflectionFunction('spoa\state_incr');
    check($r->getNumberOfParameters() === 3 && $r->getNumberOfRequiredParameters() === 1, 'reflection');
});

spoa\register_message('later', function (array $args): void {
    check(spoa\state_get('fresh') === null, 'fresh should have expired');
    check(spoa\state_get('short') === null, 'short should have expired');
    check(spoa\state_get('k') === 'text', 'k has no TTL');
    check(spoa\state_get('kept') === 'y', 'kept has no TTL');
});
)PHP");
  expect_ok("m");
  // What PHP stored, seen from C++: strings are text, binary-safe.
  EXPECT_EQ(store_->get("k"), StateValue::of_text("text"));
  EXPECT_EQ(store_->get("bin"), StateValue::of_text(std::string("\0\xff", 2)));
  EXPECT_EQ(store_->get("fresh"), StateValue::of_integer(2));
  EXPECT_EQ(store_->get("n"), std::nullopt);
  *now_ += 1500;
  expect_ok("later");
  EXPECT_EQ(store_->get("kept"), StateValue::of_text("y"));
}

TEST_F(PhpState, BytesFromAnotherLanguageReadAsAString) {
  use_embedded();
  store_->set("b", StateValue::of_bytes(std::string("a\0b", 3)), std::chrono::milliseconds{0});
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function (array $args): void {
    check(spoa\state_get('b') === "a\0b", 'bytes as string');
});
)PHP");
  expect_ok("m");
}

TEST_F(PhpState, WrongArgumentsThrowTheRightErrors) {
  use_embedded();
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function (array $args): void {
    $long_key = str_repeat('k', 251);
    $cases = [
        [ArgumentCountError::class, 'spoa\state_get', [], 'spoa\state_get() expects exactly 1 argument, 0 given'],
        [TypeError::class, 'spoa\state_get', [[]], 'spoa\state_get(): Argument #1 ($key) must be of type string, array given'],
        [ArgumentCountError::class, 'spoa\state_set', ['k'], 'spoa\state_set() expects at least 2 arguments, 1 given'],
        [TypeError::class, 'spoa\state_set', ['k', null], 'spoa\state_set(): Argument #2 ($value) must be of type int|string, null given'],
        [TypeError::class, 'spoa\state_set', ['k', true], 'spoa\state_set(): Argument #2 ($value) must be of type int|string, bool given'],
        [TypeError::class, 'spoa\state_set', ['k', 1.5], 'spoa\state_set(): Argument #2 ($value) must be of type int|string, float given'],
        [ValueError::class, 'spoa\state_set', ['k', 'v', -1], 'spoa\state_set(): Argument #3 ($ttl) must be between 0 and 2147483 seconds (0 or null = no expiry), -1 given'],
        [ValueError::class, 'spoa\state_set', ['k', 'v', 3e6], 'spoa\state_set(): Argument #3 ($ttl) must be between 0 and 2147483 seconds (0 or null = no expiry), 3000000 given'],
        [ValueError::class, 'spoa\state_incr', ['k', 1, NAN], 'spoa\state_incr(): Argument #3 ($ttl) must be between 0 and 2147483 seconds (0 or null = no expiry), NAN given'],
        [TypeError::class, 'spoa\state_set', ['k', 'v', '10'], 'spoa\state_set(): Argument #3 ($ttl) must be of type int|float|null, string given'],
        [TypeError::class, 'spoa\state_incr', ['k', 'x'], 'spoa\state_incr(): Argument #2 ($delta) must be of type int, string given'],
        [ArgumentCountError::class, 'spoa\state_incr', ['k', 1, 2, 3], 'spoa\state_incr() expects at most 3 arguments, 4 given'],
        [TypeError::class, 'spoa\state_del', [new stdClass()], 'spoa\state_del(): Argument #1 ($key) must be of type string, stdClass given'],
        [spoa\StateError::class, 'spoa\state_set', [$long_key, 1], 'spoa\state_set(): embedded store: key too long (251 bytes, limit 250)'],
        [spoa\StateError::class, 'spoa\state_set', ['k', str_repeat('v', 1001)], 'spoa\state_set(): embedded store: value too long (1001 bytes, limit 1000)'],
        [spoa\StateError::class, 'spoa\state_get', [''], 'spoa\state_get(): embedded store: empty key'],
        [spoa\StateError::class, 'spoa\state_del', [''], 'spoa\state_del(): embedded store: empty key'],
    ];
    foreach ($cases as $i => [$class, $fn, $fargs, $text]) {
        $got = raises($class, $fn, ...$fargs);
        check($got === $text, "case $i: $got");
    }
    spoa\state_set('s', 'abc');
    $got = raises(spoa\StateError::class, 'spoa\state_incr', 's');
    check($got === "spoa\\state_incr(): embedded store: value of key 's' is not an integer", $got);
    spoa\state_set('max', PHP_INT_MAX);
    $got = raises(spoa\StateError::class, 'spoa\state_incr', 'max');
    check($got === "spoa\\state_incr(): embedded store: incrementing key 'max' by 1 would overflow int64", $got);
    check(spoa\state_get('max') === PHP_INT_MAX, 'unchanged after the overflow');
    check(is_subclass_of(spoa\StateError::class, spoa\Exception::class), 'StateError extends spoa\Exception');
    check(spoa\state_get('k') === null, 'nothing was stored by the failed calls');
});
)PHP");
  expect_ok("m");
}

TEST_F(PhpState, AnUnavailableStoreIsAStateErrorNamingIt) {
  options().state = std::make_shared<UnreachableStore>();
  const std::string script = std::string(prelude) + R"PHP(
spoa\register_message('caught', function (array $args): void {
    try {
        spoa\state_incr('hits');
        throw new AssertionError('no error');
    } catch (spoa\Exception $e) {             // the base class catches it too
        check($e instanceof spoa\StateError, get_class($e));
        check($e->getMessage() === 'spoa\state_incr(): redis 127.0.0.1:1: connection lost: Connection reset by peer',
              $e->getMessage());
    }
    spoa\set_var_int32('fallback', spoa\SCOPE_TXN, 1);
});
spoa\register_message('uncaught', function (array $args): void {
    spoa\state_get('hits');
});
)PHP";
  load_script(script);
  const auto ok = call("caught");
  EXPECT_TRUE(ok.result.ok()) << ok.result.detail;
  EXPECT_EQ(ok.actions, 1u);
  const auto failed = call("uncaught");
  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(failed.result.detail,
                       "spoa\\StateError: spoa\\state_get(): redis 127.0.0.1:1: connection lost: Connection reset by "
                       "peer in " + (dir() / "script.php").string() + ":" +
                           std::to_string(line_of(script, "spoa\\state_get('hits')"))))
      << failed.result.detail;
  const auto again = call("caught");  // the engine is fine after the error
  EXPECT_TRUE(again.result.ok()) << again.result.detail;
}

TEST_F(PhpState, ARedisStoreOnAClosedPortIsAStateError) {
  // A real Redis store whose port nobody listens on: connecting fails at once, the call throws.
  const std::uint16_t port = free_port();
  RedisStoreOptions o = redis_store_options(port);
  options().state = std::make_shared<RedisStore>(o, nullptr);
  const std::string store = "redis 127.0.0.1:" + std::to_string(port);
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('caught', function (array $args): void {
    $got = raises(spoa\StateError::class, 'spoa\state_incr', 'hits', 1, 10);
    check(str_starts_with($got, 'spoa\state_incr(): )PHP" + store + R"PHP(: '), $got);
    spoa\set_var_str('error', spoa\SCOPE_TXN, $got);
});
spoa\register_message('uncaught', function (array $args): void {
    spoa\state_set('k', 'v');
});
)PHP");
  const auto ok = call("caught");
  EXPECT_TRUE(ok.result.ok()) << ok.result.detail;
  EXPECT_EQ(ok.actions, 1u);
  const auto failed = call("uncaught");
  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  EXPECT_TRUE(contains(failed.result.detail, "spoa\\StateError: spoa\\state_set(): " + store + ": "))
      << failed.result.detail;
}

// --state-prefix: the script names "k", the store holds "<prefix>k"; the same in both stores.
constexpr const char* prefixed_php = R"PHP(
spoa\register_message('m', function (array $args): void {
    spoa\state_set('k', 'v');
    check(spoa\state_incr('n', 2, 60) === 2, 'incr');
    check(spoa\state_get('k') === 'v', 'get');
    $got = raises(spoa\StateError::class, 'spoa\state_incr', 'k');
    check(str_ends_with($got, ": value of key 'k' is not an integer"), $got);   // the script's name for it
    check(spoa\state_del('k') === true, 'del');
    spoa\state_set('kept', 7);
});
)PHP";

TEST_F(PhpState, TheKeyPrefixAppliesInTheEmbeddedStore) {
  use_embedded();
  store_->set_key_prefix("php:");
  load_script(std::string(prelude) + prefixed_php);
  expect_ok("m");
  store_->set_key_prefix("");
  EXPECT_EQ(store_->get("php:n"), StateValue::of_integer(2));
  EXPECT_EQ(store_->get("php:kept"), StateValue::of_integer(7));
  EXPECT_FALSE(store_->get("n"));
}

TEST_F(PhpState, TheKeyPrefixAppliesInTheRedisStore) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer server;
  ASSERT_TRUE(server.running());
  options().state = std::make_shared<RedisStore>(redis_store_options(server.port()), nullptr);
  options().state->set_key_prefix("php:");
  load_script(std::string(prelude) + prefixed_php);
  expect_ok("m");
  EXPECT_EQ(server.command({"GET", "php:n"})->text, "2");
  EXPECT_EQ(server.command({"GET", "php:kept"})->text, "7");
  EXPECT_EQ(server.command({"EXISTS", "n"})->integer, 0);
}

TEST_F(PhpState, WithoutAStoreTheFunctionsSaySo) {
  load_script(std::string(prelude) + R"PHP(
spoa\register_message('m', function (array $args): void {
    foreach ([['spoa\state_get', ['k']], ['spoa\state_set', ['k', 1]], ['spoa\state_incr', ['k']],
              ['spoa\state_del', ['k']]] as [$fn, $fargs]) {
        $got = raises(spoa\StateError::class, $fn, ...$fargs);
        check($got === "$fn(): no shared store is configured", $got);
    }
});
)PHP");
  expect_ok("m");
}

}  // namespace
}  // namespace spoa::test
