// Unit tests of spoa's option parsing (no process started).
#include "agent/options.hpp"

#include <gtest/gtest.h>

namespace spoa {
namespace {

using std::chrono::milliseconds;

ParseResult parse(std::vector<const char*> args) {
  args.insert(args.begin(), "spoa");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(SpoaOptions, DefaultsMatchTheDocumentation) {
  auto r = parse({});
  ASSERT_TRUE(r.options);
  const Options& o = *r.options;
  EXPECT_EQ(o.port, 12345);
  EXPECT_EQ(o.workers, 5u);
  EXPECT_FALSE(o.debug);
  EXPECT_TRUE(o.files.empty());
  EXPECT_TRUE(o.listen_tcp());
  EXPECT_EQ(o.agent.max_frame_size, 16380u);
  EXPECT_EQ(o.agent.max_in_flight, 64u);
  EXPECT_EQ(o.agent.hello_timeout, milliseconds(10'000));
  EXPECT_EQ(o.agent.idle_timeout, milliseconds(0));
  EXPECT_EQ(o.engine.call_budget, milliseconds(1000));
  EXPECT_EQ(o.engine.memory_limit, 0u);
  EXPECT_EQ(o.drain_timeout, milliseconds(5000));
  EXPECT_EQ(o.max_connections, 10000u);
  EXPECT_TRUE(o.agent.pipelining);
  EXPECT_FALSE(o.agent.async);  // off unless --async: see the reload note in options.cpp
  EXPECT_FALSE(o.agent.fragmentation);
  EXPECT_EQ(o.log_level, LogLevel::info);
}

TEST(SpoaOptions, OriginalFlags) {
  auto r = parse({"-d", "-p", "9000", "-n", "3"});
  ASSERT_TRUE(r.options);
  EXPECT_TRUE(r.options->debug);
  EXPECT_EQ(r.options->port, 9000);
  EXPECT_EQ(r.options->workers, 1u) << "-d runs a single worker";
  EXPECT_EQ(r.options->log_level, LogLevel::debug);
}

TEST(SpoaOptions, LongOptions) {
  auto r = parse({"--address", "127.0.0.1", "--address", "::1", "--max-frame-size", "1024", "--max-in-flight", "5",
                  "--hello-timeout", "250ms", "--idle-timeout", "30", "--call-budget", "2s", "--memory-limit",
                  "64M", "--drain-timeout", "1m", "--log-level", "warning", "--no-pipelining", "--no-async",
                  "--fragmentation", "--max-connections", "7"});
  ASSERT_TRUE(r.options);
  const Options& o = *r.options;
  EXPECT_EQ(o.addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(o.agent.max_frame_size, 1024u);
  EXPECT_EQ(o.agent.max_in_flight, 5u);
  EXPECT_EQ(o.agent.hello_timeout, milliseconds(250));
  EXPECT_EQ(o.agent.idle_timeout, milliseconds(30'000)) << "a bare timeout is seconds";
  EXPECT_EQ(o.engine.call_budget, milliseconds(2000));
  EXPECT_EQ(o.engine.memory_limit, std::size_t{64} << 20);
  EXPECT_EQ(o.drain_timeout, milliseconds(60'000));
  EXPECT_EQ(o.log_level, LogLevel::warning);
  EXPECT_FALSE(o.agent.pipelining);
  EXPECT_FALSE(o.agent.async);
  EXPECT_TRUE(o.agent.fragmentation);
  EXPECT_EQ(o.max_connections, 7u);
}

TEST(SpoaOptions, AsyncIsOptIn) {
  auto on = parse({"--async"});
  ASSERT_TRUE(on.options);
  EXPECT_TRUE(on.options->agent.async);
  auto both = parse({"--async", "--no-async"});
  ASSERT_TRUE(both.options);
  EXPECT_FALSE(both.options->agent.async) << "--no-async wins";
}

TEST(SpoaOptions, AsyncioLoopIsAutoUnlessChosen) {
  auto none = parse({});
  ASSERT_TRUE(none.options);
  EXPECT_EQ(none.options->engine.asyncio_loop, AsyncioLoop::automatic);
  auto uv = parse({"--asyncio-loop", "uvloop"});
  ASSERT_TRUE(uv.options);
  EXPECT_EQ(uv.options->engine.asyncio_loop, AsyncioLoop::uvloop);
  auto plain = parse({"--asyncio-loop", "asyncio"});
  ASSERT_TRUE(plain.options);
  EXPECT_EQ(plain.options->engine.asyncio_loop, AsyncioLoop::asyncio);
  EXPECT_EQ(parse({"--asyncio-loop", "trio"}).exit_status, 1);
}

TEST(SpoaOptions, UnixOnlyUnlessTcpAsked) {
  auto only = parse({"--unix", "/tmp/x.sock"});
  ASSERT_TRUE(only.options);
  EXPECT_FALSE(only.options->listen_tcp());
  auto both = parse({"--unix", "/tmp/x.sock", "-p", "1234"});
  ASSERT_TRUE(both.options);
  EXPECT_TRUE(both.options->listen_tcp());
}

TEST(SpoaOptions, RefusesOutOfRangeValues) {
  EXPECT_EQ(parse({"--max-frame-size", "255"}).exit_status, 1);
  EXPECT_EQ(parse({"-n", "0"}).exit_status, 1);
  EXPECT_EQ(parse({"-p", "70000"}).exit_status, 1);
  EXPECT_EQ(parse({"--log-level", "loud"}).exit_status, 1);
  EXPECT_EQ(parse({"--memory-limit", "12Q"}).exit_status, 1);
  EXPECT_FALSE(parse({"--max-in-flight", "0"}).options);
}

TEST(SpoaOptions, Durations) {
  EXPECT_EQ(parse_duration("250ms", milliseconds(1000)), milliseconds(250));
  EXPECT_EQ(parse_duration("3s", milliseconds(1)), milliseconds(3000));
  EXPECT_EQ(parse_duration("2m", milliseconds(1)), milliseconds(120'000));
  EXPECT_EQ(parse_duration("7", milliseconds(1000)), milliseconds(7000));
  EXPECT_EQ(parse_duration("0", milliseconds(1000)), milliseconds(0));
  EXPECT_FALSE(parse_duration("", milliseconds(1)));
  EXPECT_FALSE(parse_duration("-1s", milliseconds(1)));
  EXPECT_FALSE(parse_duration("5h", milliseconds(1)));
  EXPECT_FALSE(parse_duration("99999999999s", milliseconds(1)));
}

TEST(SpoaOptions, Sizes) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("1G"), std::size_t{1} << 30);
  EXPECT_FALSE(parse_size("M"));
  EXPECT_FALSE(parse_size("1T"));
}

TEST(SpoaOptions, RecordingIsOffByDefault) {
  auto r = parse({});
  ASSERT_TRUE(r.options);
  const RecordOptions& o = r.options->record;
  EXPECT_FALSE(o.enabled());
  EXPECT_EQ(o.sample, 1.0);
  EXPECT_EQ(o.max_size, 0u);
  EXPECT_EQ(o.max_files, 5u);
  EXPECT_TRUE(o.redact.empty());
  EXPECT_EQ(describe(o), "off");
}

TEST(SpoaOptions, RecordingOptions) {
  auto r = parse({"--record", "/var/tmp/spoa.rec", "--record-sample", "0.01", "--record-max-size", "100M",
                  "--record-max-files", "3", "--record-redact", "src", "--record-redact", "hdr_cookie"});
  ASSERT_TRUE(r.options);
  const RecordOptions& o = r.options->record;
  EXPECT_EQ(o.path, std::filesystem::path("/var/tmp/spoa.rec"));
  EXPECT_DOUBLE_EQ(o.sample, 0.01);
  EXPECT_EQ(o.max_size, std::uint64_t{100} << 20);
  EXPECT_EQ(o.max_files, 3u);
  EXPECT_EQ(o.redact, (std::vector<std::string>{"src", "hdr_cookie"}));
  EXPECT_EQ(describe(o),
            "/var/tmp/spoa.rec, 1% of the NOTIFYs, rotated at 100M (3 files kept), values of src, hdr_cookie redacted");
  EXPECT_DOUBLE_EQ(parse({"--record", "x", "--record-sample", "25%"}).options->record.sample, 0.25);

  // What a worker's recorder gets: the options, the agent's key (drawn by main() into them), the worker's pid.
  RecordOptions keyed = o;
  keyed.key = spop::recording::RedactionKey::random();
  const auto& key = keyed.key;
  const RecorderSettings s = recorder_settings(keyed, 4242, nullptr);
  EXPECT_EQ(s.path, o.path);
  EXPECT_EQ(s.sample, o.sample);
  EXPECT_EQ(s.max_size, o.max_size);
  EXPECT_EQ(s.max_files, 3u);
  EXPECT_EQ(s.redact, o.redact);
  EXPECT_EQ(s.key.bytes, key.bytes);
  EXPECT_EQ(s.source, 4242u);
}

TEST(SpoaOptions, RecordingMistakes) {
  auto error = [](std::vector<const char*> args) {
    ::testing::internal::CaptureStderr();
    auto r = parse(std::move(args));
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_FALSE(r.options);
    EXPECT_EQ(r.exit_status, 1);
    return err.substr(0, err.find('\n'));
  };
  EXPECT_EQ(error({"--record-sample", "0.5"}), "spoa: bad value for --record-sample: '0.5' (only with --record FILE)");
  EXPECT_EQ(error({"--record-redact", "src"}), "spoa: bad value for --record-redact: 'src' (only with --record FILE)");
  EXPECT_EQ(error({"--record", "x", "--record-sample", "0"}),
            "spoa: bad value for --record-sample: '0' (a share in (0, 1] such as 0.01, or 1%)");
  EXPECT_EQ(error({"--record", "x", "--record-sample", "1.5"}),
            "spoa: bad value for --record-sample: '1.5' (a share in (0, 1] such as 0.01, or 1%)");
  EXPECT_EQ(error({"--record", "x", "--record-max-size", "1K"}),
            "spoa: bad value for --record-max-size: '1K' (0 (never) or a size of 64K or more, e.g. 100M)");
  EXPECT_EQ(error({"--record", "x", "--record-max-files", "0"}), "spoa: bad value for --record-max-files: '0' (1..1000)");
  EXPECT_EQ(error({"--record", ""}), "spoa: bad value for --record: '' (a file name)");
  EXPECT_FALSE(parse_sample_ratio("abc"));
  EXPECT_FALSE(parse_sample_ratio("%"));
  EXPECT_FALSE(parse_sample_ratio("-0.1"));
  EXPECT_EQ(parse_sample_ratio("100%"), 1.0);
}

}  // namespace
}  // namespace spoa
