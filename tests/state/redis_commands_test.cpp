// What the Redis store sends for each operation (exact RESP bytes) and what each reply means, without a
// server: the part an asynchronous client reuses as it is.
#include "agent/state/redis_commands.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/state/state_error_of.hpp"

namespace spoa::redis {
namespace {

using namespace std::string_literals;
using std::chrono::milliseconds;
using spoa::test::error_of;

resp::Reply reply_of(const std::string& bytes) {
  resp::Reply r;
  std::size_t used = 0;
  EXPECT_EQ(resp::parse_reply(bytes, r, used), resp::ParseStatus::complete) << bytes;
  return r;
}

const ReplyContext ctx{"redis 127.0.0.1:6379", "hits"};

TEST(RedisValues, RoundTripAndForeignValues) {
  for (const StateValue& v : {StateValue::of_integer(0), StateValue::of_integer(-9223372036854775807LL - 1),
                              StateValue::of_text("12"), StateValue::of_text(""), StateValue::of_bytes("b\0x"s)}) {
    EXPECT_EQ(decode_value(encode_value(v)), v);
  }
  EXPECT_EQ(encode_value(StateValue::of_integer(-5)), "-5");
  EXPECT_EQ(encode_value(StateValue::of_text("hi")), "shi");
  EXPECT_EQ(encode_value(StateValue::of_bytes("hi")), "bhi");
  EXPECT_EQ(decode_value("hello"), StateValue::of_bytes("hello"));  // written by another program
  EXPECT_EQ(decode_value("007"), StateValue::of_bytes("007"));
}

TEST(RedisCommands, RequestBytes) {
  std::string out;
  append_get(out, "app:hits");
  EXPECT_EQ(out, "*2\r\n$3\r\nGET\r\n$8\r\napp:hits\r\n");
  out.clear();
  append_set(out, "k", StateValue::of_text("v"), milliseconds{0});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nsv\r\n");
  out.clear();
  append_set(out, "k", StateValue::of_integer(7), milliseconds{1500});
  EXPECT_EQ(out, "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n7\r\n$2\r\nPX\r\n$4\r\n1500\r\n");
  out.clear();
  append_incr(out, "k", -3, milliseconds{0});
  EXPECT_EQ(out, "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n-3\r\n");
  out.clear();
  append_incr(out, "k", 1, milliseconds{10'000});
  EXPECT_EQ(out.rfind("*6\r\n$4\r\nEVAL\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("$1\r\n1\r\n$1\r\nk\r\n$1\r\n1\r\n$5\r\n10000\r\n"), std::string::npos) << out;
  out.clear();
  append_del(out, "k");
  EXPECT_EQ(out, "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
}

TEST(RedisCommands, RepliesBecomeResults) {
  EXPECT_EQ(get_result(reply_of("$-1\r\n"), ctx), std::nullopt);
  EXPECT_EQ(get_result(reply_of("$2\r\n42\r\n"), ctx), StateValue::of_integer(42));
  EXPECT_EQ(get_result(reply_of("$3\r\nsab\r\n"), ctx), StateValue::of_text("ab"));
  EXPECT_NO_THROW(set_result(reply_of("+OK\r\n"), ctx));
  EXPECT_EQ(incr_result(reply_of(":-7\r\n"), ctx, 1), -7);
  EXPECT_TRUE(del_result(reply_of(":1\r\n"), ctx));
  EXPECT_FALSE(del_result(reply_of(":0\r\n"), ctx));
}

TEST(RedisCommands, RefusalsAndSurprisesAreStateErrors) {
  auto not_int = error_of([] { incr_result(reply_of("-ERR value is not an integer or out of range\r\n"), ctx, 1); });
  EXPECT_EQ(not_int.code(), StateErrc::not_integer);
  EXPECT_STREQ(not_int.what(), "redis 127.0.0.1:6379: value of key 'hits' is not an integer");
  auto overflow = error_of([] { incr_result(reply_of("-ERR increment or decrement would overflow\r\n"), ctx, 5); });
  EXPECT_EQ(overflow.code(), StateErrc::overflow);
  EXPECT_STREQ(overflow.what(), "redis 127.0.0.1:6379: incrementing key 'hits' by 5 would overflow int64");
  auto noperm = error_of([] { get_result(reply_of("-NOPERM No permissions to access a key\r\n"), ctx); });
  EXPECT_EQ(noperm.code(), StateErrc::unavailable);
  EXPECT_STREQ(noperm.what(), "redis 127.0.0.1:6379: unexpected answer to GET: NOPERM No permissions to access a key");
  EXPECT_STREQ(error_of([] { set_result(reply_of(":1\r\n"), ctx); }).what(),
               "redis 127.0.0.1:6379: unexpected answer to SET: integer 1");
  EXPECT_STREQ(error_of([] { del_result(reply_of("$1\r\nx\r\n"), ctx); }).what(),
               "redis 127.0.0.1:6379: unexpected answer to DEL: a string");
  EXPECT_STREQ(error_of([] { incr_result(reply_of("*0\r\n"), ctx, 1); }).what(),
               "redis 127.0.0.1:6379: unexpected answer to INCRBY: an array");
}

TEST(RedisCommands, ServerUnusableReplies) {
  EXPECT_EQ(server_unusable(reply_of("-READONLY You can't write against a read only replica.\r\n")),
            "the server is a read-only replica now (READONLY You can't write against a read only replica.)");
  EXPECT_EQ(server_unusable(reply_of("-LOADING Redis is loading the dataset in memory\r\n")),
            "LOADING Redis is loading the dataset in memory");
  EXPECT_TRUE(server_unusable(reply_of("-NOAUTH Authentication required.\r\n")));
  EXPECT_TRUE(server_unusable(reply_of("-MOVED 3999 127.0.0.1:6381\r\n")));
  EXPECT_FALSE(server_unusable(reply_of("-ERR value is not an integer or out of range\r\n")));
  EXPECT_FALSE(server_unusable(reply_of("-NOPERM no\r\n")));
  EXPECT_FALSE(server_unusable(reply_of("+OK\r\n")));
}

TEST(RedisCommands, HandshakeBytes) {
  std::string out;
  EXPECT_EQ(append_handshake(out, {}, 0, false), 1u);
  EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n");
  out.clear();
  EXPECT_EQ(append_handshake(out, {"", "pw"}, 2, false), 3u);
  EXPECT_EQ(out, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$4\r\nPING\r\n");
  out.clear();
  EXPECT_EQ(append_handshake(out, {"spoa", "pw"}, 0, true), 2u);
  EXPECT_EQ(out, "*3\r\n$4\r\nAUTH\r\n$4\r\nspoa\r\n$2\r\npw\r\n*1\r\n$4\r\nROLE\r\n");
}

TEST(RedisCommands, HandshakeProblems) {
  const RedisCredentials none;
  const RedisCredentials password{"", "hunter2"};
  const RedisCredentials user{"spoa", "hunter2"};
  auto problem = [](std::vector<std::string> replies, const RedisCredentials& c, int db, bool master) {
    std::vector<resp::Reply> parsed;
    for (const auto& r : replies) parsed.push_back(reply_of(r));
    return handshake_problem(parsed, c, db, master);
  };
  EXPECT_FALSE(problem({"+PONG\r\n"}, none, 0, false));
  EXPECT_FALSE(problem({"+OK\r\n", "+OK\r\n", "+PONG\r\n"}, password, 3, false));
  EXPECT_FALSE(problem({"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"}, none, 0, true));

  auto wrong = problem({"-WRONGPASS invalid username-password pair or user is disabled.\r\n", "-NOAUTH x\r\n"},
                       user, 0, false);
  ASSERT_TRUE(wrong);
  EXPECT_TRUE(wrong->refused);
  EXPECT_EQ(wrong->text,
            "authentication as user 'spoa' failed: WRONGPASS invalid username-password pair or user is disabled.");
  auto echoed = problem({"-ERR bad password hunter2\r\n", "+PONG\r\n"}, password, 0, false);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->text, "authentication failed: ERR bad password ***") << "a secret echoed by a server is hidden";
  auto needs = problem({"-NOAUTH Authentication required.\r\n"}, none, 0, false);
  ASSERT_TRUE(needs);
  EXPECT_TRUE(needs->refused);
  EXPECT_EQ(needs->text,
            "the server requires a password (NOAUTH Authentication required.): give it in the URL or with "
            "--state-password-file");
  auto db = problem({"-ERR DB index is out of range\r\n", "+PONG\r\n"}, none, 99, false);
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->refused);
  EXPECT_EQ(db->text, "SELECT 99 refused: ERR DB index is out of range");
  auto loading = problem({"-LOADING Redis is loading the dataset in memory\r\n"}, none, 0, false);
  ASSERT_TRUE(loading);
  EXPECT_FALSE(loading->refused) << "a loading server is only unusable for now";
  auto replica = problem({"*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:1\r\n"}, none, 0, true);
  ASSERT_TRUE(replica);
  EXPECT_FALSE(replica->refused);
  EXPECT_EQ(replica->text, "the server is a slave, not the master");
  auto missing = problem({}, password, 0, false);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->refused);
}

TEST(RedisCommands, SentinelQuery) {
  std::string out;
  EXPECT_EQ(append_sentinel_query(out, "mymaster", nullptr), 1u);
  EXPECT_EQ(out, "*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$8\r\nmymaster\r\n");
  out.clear();
  const RedisCredentials password{"", "pw"};
  EXPECT_EQ(append_sentinel_query(out, "m", &password), 2u);
  EXPECT_EQ(out.rfind("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n", 0), 0u);

  auto result = [](std::vector<std::string> replies) {
    std::vector<resp::Reply> parsed;
    for (const auto& r : replies) parsed.push_back(reply_of(r));
    return sentinel_query_result(parsed, "mymaster");
  };
  auto found = result({"*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n"});
  ASSERT_TRUE(std::holds_alternative<RedisEndpoint>(found));
  EXPECT_EQ(std::get<RedisEndpoint>(found), (RedisEndpoint{"127.0.0.1", 6380, {}}));
  auto unknown = result({"*-1\r\n"});
  ASSERT_TRUE(std::holds_alternative<SetupProblem>(unknown));
  EXPECT_TRUE(std::get<SetupProblem>(unknown).refused);
  EXPECT_EQ(std::get<SetupProblem>(unknown).text, "does not know a master named 'mymaster'");
  auto noauth = result({"-NOAUTH Authentication required.\r\n"});
  ASSERT_TRUE(std::holds_alternative<SetupProblem>(noauth));
  EXPECT_TRUE(std::get<SetupProblem>(noauth).refused);
  auto bad_port = result({"*2\r\n$9\r\n127.0.0.1\r\n$1\r\nx\r\n"});
  ASSERT_TRUE(std::holds_alternative<SetupProblem>(bad_port));
  EXPECT_EQ(std::get<SetupProblem>(bad_port).text, "unusable master address '127.0.0.1:x'");
  auto wrong_auth = result({"-WRONGPASS no\r\n", "-NOAUTH x\r\n"});
  ASSERT_TRUE(std::holds_alternative<SetupProblem>(wrong_auth));
  EXPECT_EQ(std::get<SetupProblem>(wrong_auth).text, "authentication failed: WRONGPASS no");
}

TEST(RedisCommands, SecretsAreReplaced) {
  EXPECT_EQ(without_secret("a pw b pw", std::string("pw")), "a *** b ***");
  EXPECT_EQ(without_secret("nothing", std::nullopt), "nothing");
  EXPECT_EQ(without_secret("xx", std::string("x")), "******");
}

}  // namespace
}  // namespace spoa::redis
