// The --state URL forms, credentials, names without secrets, and the password file.
#include "agent/state/redis_target.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <variant>

#include "tests/support/temp_dir.hpp"

namespace spoa {
namespace {

RedisTarget parsed(const std::string& url) {
  auto r = parse_redis_target(url);
  if (auto* why = std::get_if<std::string>(&r)) ADD_FAILURE() << url << ": " << *why;
  return std::holds_alternative<RedisTarget>(r) ? std::get<RedisTarget>(r) : RedisTarget{};
}

std::string refusal(const std::string& url) {
  auto r = parse_redis_target(url);
  if (!std::holds_alternative<std::string>(r)) return "(accepted)";
  return std::get<std::string>(r);
}

TEST(RedisTarget, TcpForms) {
  auto a = parsed("redis://127.0.0.1:6380/2");
  ASSERT_EQ(a.servers.size(), 1u);
  EXPECT_EQ(a.servers[0], (RedisEndpoint{"127.0.0.1", 6380, {}}));
  EXPECT_EQ(a.db, 2);
  EXPECT_FALSE(a.uses_sentinel());
  EXPECT_EQ(a.describe(), "redis 127.0.0.1:6380/2");
  auto b = parsed("redis://cache.local");
  EXPECT_EQ(b.servers[0], (RedisEndpoint{"cache.local", 6379, {}}));
  EXPECT_EQ(b.describe(), "redis cache.local:6379");
  auto c = parsed("redis://[::1]:7000");
  EXPECT_EQ(c.servers[0], (RedisEndpoint{"::1", 7000, {}}));
  EXPECT_EQ(c.describe(), "redis [::1]:7000");
}

TEST(RedisTarget, Credentials) {
  auto user_and_password = parsed("redis://spoa:s3cret@10.0.0.5:6379/1");
  EXPECT_EQ(user_and_password.credentials.user, "spoa");
  EXPECT_EQ(user_and_password.credentials.password, "s3cret");
  EXPECT_EQ(user_and_password.describe(), "redis 10.0.0.5:6379/1") << "never the user's secret";
  auto password_only = parsed("redis://:s3cret@h");
  EXPECT_EQ(password_only.credentials.user, "");
  EXPECT_EQ(password_only.credentials.password, "s3cret");
  auto user_only = parsed("redis://spoa@h");  // the password comes from --state-password-file
  EXPECT_EQ(user_only.credentials.user, "spoa");
  EXPECT_FALSE(user_only.credentials.password);
  auto escaped = parsed("redis://a%40b:p%3Aw%2F%40rd@h:1");
  EXPECT_EQ(escaped.credentials.user, "a@b");
  EXPECT_EQ(escaped.credentials.password, "p:w/@rd");
  auto at_in_password = parsed("redis://u:p@ss@h");  // the last '@' ends the user info
  EXPECT_EQ(at_in_password.credentials.password, "p@ss");
  EXPECT_EQ(at_in_password.servers[0].host, "h");
}

TEST(RedisTarget, UnixSockets) {
  auto a = parsed("unix:///run/redis/redis.sock");
  ASSERT_EQ(a.servers.size(), 1u);
  EXPECT_TRUE(a.servers[0].is_unix());
  EXPECT_EQ(a.servers[0].unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(a.db, 0);
  EXPECT_EQ(a.describe(), "redis unix:/run/redis/redis.sock");
  auto b = parsed("unix://spoa:pw@/run/redis/redis.sock?db=4");
  EXPECT_EQ(b.servers[0].unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(b.db, 4);
  EXPECT_EQ(b.credentials.user, "spoa");
  EXPECT_EQ(b.credentials.password, "pw");
  EXPECT_EQ(b.describe(), "redis unix:/run/redis/redis.sock/4");
}

TEST(RedisTarget, SentinelForms) {
  auto a = parsed("redis-sentinel://10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster/3");
  ASSERT_EQ(a.servers.size(), 3u);
  EXPECT_EQ(a.servers[0], (RedisEndpoint{"10.0.0.1", 26379, {}}));
  EXPECT_EQ(a.servers[1], (RedisEndpoint{"10.0.0.2", 26379, {}})) << "26379 by default";
  EXPECT_EQ(a.servers[2], (RedisEndpoint{"::1", 26380, {}}));
  EXPECT_EQ(a.master_name, "mymaster");
  EXPECT_EQ(a.db, 3);
  EXPECT_TRUE(a.uses_sentinel());
  EXPECT_EQ(a.describe(), "redis-sentinel mymaster/3");
  auto b = parsed("redis-sentinel://:pw@s1:1/m");
  EXPECT_EQ(b.credentials.password, "pw");
  EXPECT_EQ(b.describe(), "redis-sentinel m");
}

TEST(RedisTarget, MalformedUrlsSayWhatIsWrong) {
  struct Case {
    const char* url;
    const char* why;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"http://x", "not a redis://, unix:// or redis-sentinel:// URL"},
           {"redis://", "missing or bad host"},
           {"redis://:6379", "missing or bad host"},
           {"redis://h:", "bad port '' (1..65535)"},
           {"redis://h:0", "bad port '0' (1..65535)"},
           {"redis://h:65536", "bad port '65536' (1..65535)"},
           {"redis://h:12x", "bad port '12x' (1..65535)"},
           {"redis://h/x", "bad database number 'x' (0, 1, 2, ...)"},
           {"redis://h/-1", "bad database number '-1' (0, 1, 2, ...)"},
           {"redis://[::1", "unclosed '[' in the host"},
           {"redis://[::1]x", "unexpected text after ']'"},
           {"redis://@h", "empty user and password before '@'"},
           {"redis://:@h", "empty user and password before '@'"},
           {"redis://u:%zz@h", "bad %-escape in the user or password"},
           {"redis://u:%4@h", "bad %-escape in the user or password"},
           {"unix://run/redis.sock", "the socket path must be absolute (unix:///run/redis/redis.sock)"},
           {"unix://", "the socket path must be absolute (unix:///run/redis/redis.sock)"},
           {"unix:///r.sock?database=1", "the only parameter is ?db=N"},
           {"unix:///r.sock?db=x", "bad database number 'x' (0, 1, 2, ...)"},
           {"redis-sentinel://h:1", "missing /master-name after the sentinels"},
           {"redis-sentinel://h:1/", "missing master name"},
           {"redis-sentinel://h:1,/m", "missing or bad host"},
           {"redis-sentinel://h:1/m/x", "bad database number 'x' (0, 1, 2, ...)"},
       }) {
    EXPECT_EQ(refusal(c.url), c.why) << c.url;
  }
  EXPECT_EQ(refusal("redis://u:hunter2@h:0").find("hunter2"), std::string::npos);
}

TEST(RedisTarget, RedactionHidesOnlyThePassword) {
  EXPECT_EQ(redact_redis_url("redis://spoa:s3cret@h:1/2"), "redis://spoa:***@h:1/2");
  EXPECT_EQ(redact_redis_url("redis://:s3cret@h"), "redis://:***@h");
  EXPECT_EQ(redact_redis_url("unix://u:p@/run/r.sock?db=1"), "unix://u:***@/run/r.sock?db=1");
  EXPECT_EQ(redact_redis_url("redis-sentinel://:pw@a:1,b:2/m"), "redis-sentinel://:***@a:1,b:2/m");
  EXPECT_EQ(redact_redis_url("redis://spoa@h"), "redis://spoa@h");
  EXPECT_EQ(redact_redis_url("redis://h:1"), "redis://h:1");
  const std::string url = "redis://u:p@ss@h";
  auto where = find_url_password(url);
  ASSERT_TRUE(where);
  EXPECT_EQ(url.substr(where->first, where->second), "p@ss");
  EXPECT_FALSE(find_url_password("embedded"));
}

TEST(RedisTarget, PasswordFile) {
  const auto dir = spop::test::scratch_dir("password");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  };
  EXPECT_EQ(read_password_file(write("plain", "s3cret")), "s3cret");
  EXPECT_EQ(read_password_file(write("newline", "s3cret\n")), "s3cret");
  EXPECT_EQ(read_password_file(write("crlf", "s3cret\r\n")), "s3cret");
  EXPECT_EQ(read_password_file(write("spaces", " a b \n")), " a b ") << "spaces are part of a password";
  auto error_of = [](const std::filesystem::path& p) {
    try {
      read_password_file(p);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("(read)");
  };
  EXPECT_EQ(error_of(dir / "missing"), "cannot read " + (dir / "missing").string() + ": No such file or directory");
  EXPECT_EQ(error_of(write("empty", "\n")), (dir / "empty").string() + " is empty (it should hold the password)");
  const std::string two = error_of(write("two", "line1\nline2\n"));
  EXPECT_EQ(two, (dir / "two").string() + " has more than one line (it should hold the password alone)");
  EXPECT_EQ(two.find("line1"), std::string::npos);
}

}  // namespace
}  // namespace spoa
