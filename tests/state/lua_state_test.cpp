// spoa.state_get/set/incr/del in Lua: every function, the value mapping, TTL, and every error path.
#include <memory>
#include <string>

#include "agent/state/embedded_store.hpp"
#include "agent/state/redis_store.hpp"
#include "tests/lua/lua_test_support.hpp"
#include "tests/state/failing_store.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa::lua::test {
namespace {

class LuaState : public LuaEngineTest {
 protected:
  EngineOptions with_embedded() {
    auto now = now_;
    store_ = std::make_shared<EmbeddedStore>(256 * 1024, [now] { return *now; });
    EngineOptions o;
    o.state = store_;
    return o;
  }
  std::shared_ptr<std::int64_t> now_ = std::make_shared<std::int64_t>(1000);
  std::shared_ptr<EmbeddedStore> store_;
};

TEST_F(LuaState, EveryFunctionRoundTripsItsValues) {
  auto engine = load_script(R"LUA(
spoa.state_set("at-load", 1)
spoa.register_message("m", function(args)
  assert(spoa.state_get("k") == nil)
  spoa.state_set("k", "text")
  assert(spoa.state_get("k") == "text")
  spoa.state_set("bin", "\0\255")
  assert(spoa.state_get("bin") == "\0\255")
  spoa.state_set("n", -5)
  local v = spoa.state_get("n")
  assert(math.type(v) == "integer" and v == -5, tostring(v))
  spoa.state_set("f", 3.0)                 -- a float with an integer value is stored as an integer
  assert(math.type(spoa.state_get("f")) == "integer")
  spoa.state_set("digits", "12")           -- a string stays a string
  assert(spoa.state_get("digits") == "12" and type(spoa.state_get("digits")) == "string")
  assert(spoa.state_incr("n") == -4)
  assert(spoa.state_incr("n", 10) == 6)
  assert(spoa.state_incr("n", "-6") == 0)  -- Lua's integer conversions apply to the delta
  assert(spoa.state_incr("fresh", 2, 1.5) == 2)
  spoa.state_set("short", "x", 1)
  spoa.state_set(42, "numeric key")        -- a number key is its text
  assert(spoa.state_get("42") == "numeric key")
  assert(spoa.state_del("n") == true)
  assert(spoa.state_del("n") == false)
  assert(spoa.state_get("at-load") == 1)
end)
spoa.register_message("later", function(args)
  assert(spoa.state_get("fresh") == nil, "fresh should have expired")
  assert(spoa.state_get("short") == nil)
  assert(spoa.state_get("k") == "text")
end)
)LUA", with_embedded());
  auto first = call(*engine, "m");
  EXPECT_TRUE(first.result.ok()) << first.result.detail;
  EXPECT_EQ(store_->get("k"), StateValue::of_text("text"));
  EXPECT_EQ(store_->get("bin"), StateValue::of_text(std::string("\0\xff", 2)));
  EXPECT_EQ(store_->get("fresh"), StateValue::of_integer(2));
  *now_ += 1500;
  auto later = call(*engine, "later");
  EXPECT_TRUE(later.result.ok()) << later.result.detail;
}

TEST_F(LuaState, WrongArgumentsAreLuaErrorsNamingTheFunction) {
  auto engine = load_script(R"LUA(
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "no error")
  return (e:gsub("^[^:]*:%d+: ", ""))
end
local cases = {
  {spoa.state_get, 0, {}, "state_get: bad argument #1 (string expected, got no value)"},
  {spoa.state_get, 1, {{}}, "state_get: bad argument #1 (string expected, got table)"},
  {spoa.state_set, 1, {"k"}, "state_set: bad argument #2 (string or integer expected, got no value)"},
  {spoa.state_set, 2, {"k", true}, "state_set: bad argument #2 (string or integer expected, got boolean)"},
  {spoa.state_set, 2, {"k", 1.5}, "state_set: value 1.5 has no integer representation (store floats as strings)"},
  {spoa.state_set, 3, {"k", "v", -1}, "state_set: bad TTL -1 (expected 0..2147483 seconds; 0 or nil = no expiry)"},
  {spoa.state_set, 3, {"k", "v", "soon"}, "state_set: bad argument #3 (number of seconds expected, got string)"},
  {spoa.state_incr, 2, {"k", 1.5}, "state_incr: bad argument #2 (integer delta expected, got number)"},
  {spoa.state_incr, 3, {"k", 1, {}}, "state_incr: bad argument #3 (number of seconds expected, got table)"},
  {spoa.state_del, 1, {nil}, "state_del: bad argument #1 (string expected, got nil)"},
  {spoa.state_set, 2, {string.rep("k", 251), 1}, "state_set: embedded store: key too long (251 bytes, limit 250)"},
  {spoa.state_set, 2, {"k", string.rep("v", 1001)}, "state_set: embedded store: value too long (1001 bytes, limit 1000)"},
  {spoa.state_get, 1, {""}, "state_get: embedded store: empty key"},
}
spoa.register_message("m", function(args)
  for i, c in ipairs(cases) do
    local got = err(c[1], table.unpack(c[3], 1, c[2]))
    assert(got == c[4], i .. ": " .. got)
  end
  spoa.state_set("s", "abc")
  local got = err(spoa.state_incr, "s")
  assert(got == "state_incr: embedded store: value of key 's' is not an integer", got)
  spoa.state_set("max", math.maxinteger)
  got = err(spoa.state_incr, "max")
  assert(got == "state_incr: embedded store: incrementing key 'max' by 1 would overflow int64", got)
  assert(spoa.state_get("max") == math.maxinteger)
  assert(spoa.state_get("k") == nil)
end)
)LUA", with_embedded());
  auto out = call(*engine, "m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(stack_top(*engine), 0);
}

TEST_F(LuaState, AnUnavailableStoreIsAnErrorNamingIt) {
  EngineOptions o;
  o.state = std::make_shared<spoa::test::UnreachableStore>();
  auto engine = load_script(R"LUA(
spoa.register_message("caught", function(args)
  local ok, e = pcall(spoa.state_incr, "hits")
  assert(not ok and e == "state_incr: redis 127.0.0.1:1: connection lost: Connection reset by peer", e)
  spoa.set_var_int32("fallback", spoa.scope.txn, 1)
end)
spoa.register_message("uncaught", function(args) spoa.state_get("hits") end)
)LUA", o);
  auto caught = call(*engine, "caught");
  EXPECT_TRUE(caught.result.ok()) << caught.result.detail;
  EXPECT_EQ(caught.actions, 1u);
  auto failed = call(*engine, "uncaught");
  EXPECT_EQ(failed.result.kind, CallResult::Kind::script_error);
  EXPECT_NE(failed.result.detail.find("state_get: redis 127.0.0.1:1: connection lost"), std::string::npos)
      << failed.result.detail;
  auto again = call(*engine, "caught");  // the state is fine after the error
  EXPECT_TRUE(again.result.ok()) << again.result.detail;
}

// --state-prefix: the script names "k", the store holds "<prefix>k"; the same in both stores.
constexpr const char* prefixed_lua = R"LUA(
spoa.register_message("m", function(args)
  spoa.state_set("k", "v")
  assert(spoa.state_incr("n", 2, 60) == 2)
  assert(spoa.state_get("k") == "v")
  local ok, e = pcall(spoa.state_incr, "k")
  assert(not ok and e:find("value of key 'k' is not an integer", 1, true), e)   -- the script's name for it
  assert(spoa.state_del("k") == true)
  spoa.state_set("kept", 7)
end)
)LUA";

TEST_F(LuaState, TheKeyPrefixAppliesInTheEmbeddedStore) {
  auto o = with_embedded();
  store_->set_key_prefix("lua:");
  auto engine = load_script(prefixed_lua, o);
  auto out = call(*engine, "m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  store_->set_key_prefix("");
  EXPECT_EQ(store_->get("lua:n"), StateValue::of_integer(2));
  EXPECT_EQ(store_->get("lua:kept"), StateValue::of_integer(7));
  EXPECT_FALSE(store_->get("n"));
}

TEST_F(LuaState, TheKeyPrefixAppliesInTheRedisStore) {
  if (!spoa::test::redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  spoa::test::RedisServer server;
  ASSERT_TRUE(server.running());
  EngineOptions o;
  o.state = std::make_shared<RedisStore>(spoa::test::redis_store_options(server.port()), nullptr);
  o.state->set_key_prefix("lua:");
  auto engine = load_script(prefixed_lua, o);
  auto out = call(*engine, "m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(server.command({"GET", "lua:n"})->text, "2");
  EXPECT_EQ(server.command({"GET", "lua:kept"})->text, "7");
  EXPECT_EQ(server.command({"EXISTS", "n"})->integer, 0);
}

TEST_F(LuaState, WithoutAStoreTheFunctionsSaySo) {
  auto engine = load_script(R"LUA(
spoa.register_message("m", function(args)
  for _, f in ipairs({spoa.state_get, spoa.state_set, spoa.state_incr, spoa.state_del}) do
    local ok, e = pcall(f, "k", 1)
    assert(not ok and e:find("no shared store is configured", 1, true), e)
  end
end)
)LUA");
  auto out = call(*engine, "m");
  EXPECT_TRUE(out.result.ok()) << out.result.detail;
}

}  // namespace
}  // namespace spoa::lua::test
