// --state, --state-prefix, --state-password-file, --state-size and --state-timeout: defaults, accepted and
// refused values (never echoing a password), the YAML equivalents, the store they make, and the password
// hidden from argv.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "agent/options.hpp"
#include "agent/state/embedded_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoa {
namespace {

ParseResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "spoa");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(StateOptions, DefaultsAreTheEmbeddedStore) {
  auto r = parse({});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->state.url, "embedded");
  EXPECT_FALSE(r.options->state.redis);
  EXPECT_EQ(r.options->state.prefix, "");
  EXPECT_EQ(r.options->state.size, std::size_t{16} << 20);
  EXPECT_EQ(r.options->state.timeout, std::chrono::milliseconds{50});
  auto store = make_shared_store(r.options->state, nullptr);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->describe(), "embedded store");
  auto* embedded = dynamic_cast<EmbeddedStore*>(store.get());
  ASSERT_NE(embedded, nullptr);
  EXPECT_EQ(embedded->stats().max_entries, EmbeddedStore::capacity_for(std::size_t{16} << 20));
}

TEST(StateOptions, AcceptsRedisAndSizes) {
  auto r = parse({"--state", "redis://127.0.0.1:6390/2", "--state-timeout", "20ms", "--state-size", "1M"});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->state.url, "redis://127.0.0.1:6390/2");
  EXPECT_EQ(r.options->state.timeout, std::chrono::milliseconds{20});
  EXPECT_EQ(r.options->state.size, std::size_t{1} << 20);
  auto store = make_shared_store(r.options->state, nullptr);  // does not connect yet
  EXPECT_EQ(store->describe(), "redis 127.0.0.1:6390/2");
  EXPECT_EQ(store->key_prefix(), "");
  auto bare = parse({"--state-timeout", "75"});
  ASSERT_TRUE(bare.options);
  EXPECT_EQ(bare.options->state.timeout, std::chrono::milliseconds{75});
}

TEST(StateOptions, RefusesBadValuesWithExitStatus1) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--state", "memcached://x"},
           {"--state", "redis://"},
           {"--state", "redis://h:99999"},
           {"--state", "unix://relative.sock"},
           {"--state", "redis-sentinel://h:1"},
           {"--state-size", "1K"},
           {"--state-size", "lots"},
           {"--state-timeout", "0"},
           {"--state-timeout", "-5"},
           {"--state-timeout", "5h"},
           {"--state-prefix", std::string(65, 'p')},
       }) {
    testing::internal::CaptureStderr();
    auto r = parse(args);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(r.options) << args[0] << " " << args[1];
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_NE(err.find("spoa: bad value for " + args[0] + ": '" + args[1] + "'"), std::string::npos) << err;
  }
}

// The message of a refused command line (stderr).
std::string refusal(std::vector<std::string> args) {
  testing::internal::CaptureStderr();
  auto r = parse(std::move(args));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_status, 1);
  return err;
}

TEST(StateOptions, ABadUrlIsEchoedWithoutItsPassword) {
  const std::string err = refusal({"--state", "redis://spoa:hunter2-secret@h:99999"});
  EXPECT_NE(err.find("spoa: bad value for --state: 'redis://spoa:***@h:99999' (bad port '99999' (1..65535); expected "),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
}

TEST(StateOptions, AcceptsEveryRedisFormAndAPrefix) {
  auto r = parse({"--state", "unix:///run/redis/redis.sock?db=3", "--state-prefix", "app:"});
  ASSERT_TRUE(r.options);
  ASSERT_TRUE(r.options->state.redis);
  EXPECT_EQ(r.options->state.redis->servers.front().unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(r.options->state.redis->db, 3);
  EXPECT_EQ(r.options->state.prefix, "app:");
  auto store = make_shared_store(r.options->state, nullptr);
  EXPECT_EQ(store->key_prefix(), "app:");
  EXPECT_EQ(store->describe(), "redis unix:/run/redis/redis.sock/3");
  auto s = parse({"--state", "redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster"});
  ASSERT_TRUE(s.options);
  EXPECT_EQ(make_shared_store(s.options->state, nullptr)->describe(), "redis-sentinel mymaster");
  // The embedded store takes the prefix as well.
  auto e = parse({"--state-prefix", "edge:"});
  ASSERT_TRUE(e.options);
  EXPECT_EQ(make_shared_store(e.options->state, nullptr)->key_prefix(), "edge:");
}

class PasswordFile : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::filesystem::path dir_ = spop::test::scratch_dir("state-options");
};

TEST_F(PasswordFile, ReadsThePasswordForTheUrlsUser) {
  const std::string file = write("pw", "from-the-file\n");
  auto r = parse({"--state", "redis://spoa@127.0.0.1/1", "--state-password-file", file});
  ASSERT_TRUE(r.options);
  ASSERT_TRUE(r.options->state.redis);
  EXPECT_EQ(r.options->state.redis->credentials.user, "spoa");
  EXPECT_EQ(r.options->state.redis->credentials.password, "from-the-file");
  EXPECT_EQ(r.options->state.password_file, file);
  const std::string line = describe_state(r.options->state, {StoreCheck::Verdict::ok, "redis 127.0.0.1:6379/1: reachable"});
  EXPECT_EQ(line, "redis 127.0.0.1:6379/1: reachable (timeout 50 ms, password from " + file + "), no key prefix");
}

TEST_F(PasswordFile, TheYamlFileSetsTheSameOptions) {
  const std::string pw = write("pw", "yaml-secret");
  const std::string config = write("spoa.yaml", "state: redis://:@127.0.0.1:6390\n");
  // ":@" alone is refused: empty user and password.
  EXPECT_NE(refusal({"--config", config}).find("empty user and password"), std::string::npos);
  const std::string good = write("good.yaml", "state: redis://127.0.0.1:6390/2\nstate-prefix: 'app:'\n"
                                              "state-password-file: " + pw + "\nstate-timeout: 20ms\n");
  auto r = parse({"--config", good});
  ASSERT_TRUE(r.options);
  ASSERT_TRUE(r.options->state.redis);
  EXPECT_EQ(r.options->state.redis->credentials.password, "yaml-secret");
  EXPECT_EQ(r.options->state.prefix, "app:");
  EXPECT_EQ(r.options->state.timeout, std::chrono::milliseconds{20});
}

TEST_F(PasswordFile, RefusalsNameTheProblemNeverThePassword) {
  const std::string pw = write("pw", "file-secret\n");
  std::string err = refusal({"--state", "redis://:url-secret@h", "--state-password-file", pw});
  EXPECT_NE(err.find("bad value for --state-password-file: '" + pw +
                     "' (the --state URL holds a password too: give it in one place only, the file)"),
            std::string::npos)
      << err;
  err += refusal({"--state-password-file", pw});
  EXPECT_NE(err.find("(only for a Redis store (--state redis://...))"), std::string::npos) << err;
  const std::string missing = (dir_ / "missing").string();
  err += refusal({"--state", "redis://h", "--state-password-file", missing});
  EXPECT_NE(err.find("(cannot read " + missing + ": No such file or directory)"), std::string::npos) << err;
  err += refusal({"--state", "redis://h", "--state-password-file", write("empty", "")});
  EXPECT_NE(err.find("is empty (it should hold the password)"), std::string::npos) << err;
  err += refusal({"--state", "redis://spoa@h"});
  EXPECT_NE(err.find("bad value for --state: 'redis://spoa@h' (user 'spoa' needs a password: in the URL "
                     "(user:password@) or with --state-password-file)"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("secret"), std::string::npos) << err;
}

TEST(StateOptions, ThePasswordOfTheUrlIsHiddenInArgv) {
  std::vector<std::string> args{"spoa", "-n", "1", "--state", "redis://spoa:s3cret@h:1/2", "--state=redis://:pw@h",
                                "--state-prefix", "redis://x:kept@h"};
  std::vector<std::vector<char>> storage;
  std::vector<char*> argv;
  for (const auto& a : args) storage.emplace_back(a.begin(), a.end()), storage.back().push_back('\0');
  for (auto& s : storage) argv.push_back(s.data());
  hide_state_password(static_cast<int>(argv.size()), argv.data());
  EXPECT_STREQ(argv[4], "redis://spoa:******@h:1/2");
  EXPECT_STREQ(argv[5], "--state=redis://:**@h");
  EXPECT_STREQ(argv[7], "redis://x:kept@h") << "only the value of --state";
  EXPECT_STREQ(argv[2], "1");
}

}  // namespace
}  // namespace spoa
