// --state, --state-size and --state-timeout: defaults, accepted and refused values, and the store they make.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/options.hpp"
#include "agent/state/embedded_store.hpp"

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
  auto bare = parse({"--state-timeout", "75"});
  ASSERT_TRUE(bare.options);
  EXPECT_EQ(bare.options->state.timeout, std::chrono::milliseconds{75});
}

TEST(StateOptions, RefusesBadValuesWithExitStatus1) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--state", "memcached://x"},
           {"--state", "redis://"},
           {"--state", "redis://h:99999"},
           {"--state-size", "1K"},
           {"--state-size", "lots"},
           {"--state-timeout", "0"},
           {"--state-timeout", "-5"},
           {"--state-timeout", "5h"},
       }) {
    testing::internal::CaptureStderr();
    auto r = parse(args);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(r.options) << args[0] << " " << args[1];
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_NE(err.find("spoa: bad value for " + args[0] + ": '" + args[1] + "'"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace spoa
