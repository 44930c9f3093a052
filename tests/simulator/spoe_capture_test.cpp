// The configurations that produced the real HAProxy 2.6.12 captures (tests/captures/haproxy-2.6/config):
// they parse into the expected model, and evaluating their messages for the captured request and
// encoding them with the protocol core gives back the captured NOTIFY frames byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "simulator/sim_target.hpp"
#include "simulator/spoe_config.hpp"
#include "spop/notify_builder.hpp"
#include "tests/simulator/sim_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spop::sim {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;

SpoeConfig load_capture(const char* name) {
  SpoeLoadOptions o;
  o.engine = "test";  // the captures' haproxy.cfg says `filter spoe engine test config ./<name>`
  return load_spoe_config(spop::test::capture(std::string("haproxy-2.6/config/") + name), o);
}

std::vector<Fetch> fetches_of(const SpoeMessage& m) {
  std::vector<Fetch> out;
  for (const SampleArg& a : m.args) out.push_back(a.expr.fetch);
  return out;
}

std::vector<std::string> arg_names_of(const SpoeMessage& m) {
  std::vector<std::string> out;
  for (const SampleArg& a : m.args) out.push_back(a.name);
  return out;
}

// The request HAProxy was sent when the captures were taken (curl to 127.0.0.1:18080).
Request captured_request() {
  Request r;
  r.src_port = 33990;  // srcport in notify-types.bin: 04 f6 bd 0f
  r.dst_port = 18080;
  r.method = "GET";
  r.url = "/p";
  r.headers = {{"host", "example.com"}, {"x-long", std::string(300, 'L')}};
  return r;
}

std::vector<std::byte> notify_for(const SpoeConfig& c, const Request& r) {
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, /*stream_id=*/0, /*frame_id=*/1, c.agent.max_frame_size);
  for (const EvaluatedMessage& m : evaluate_event(c, Event::on_frontend_http_request, r))
    EXPECT_EQ(b.add_message(m.name(), m.arguments()), spop::Errc::ok);
  b.finish();
  return out;
}

TEST(SpoeCaptures, SpoeConf) {
  const SpoeConfig c = load_capture("spoe.conf");
  EXPECT_EQ(c.engine_id, "test");
  const SpoeAgent& a = c.agent;
  EXPECT_EQ(a.name, "test-agent");
  EXPECT_EQ(a.var_prefix, "test");
  EXPECT_EQ(a.var_on_error, "err");
  EXPECT_EQ(a.var_process_time, "ptime");
  EXPECT_EQ(a.timeout_hello, 2000ms);
  EXPECT_EQ(a.timeout_idle, 30000ms);
  EXPECT_EQ(a.timeout_processing, 500ms);
  EXPECT_EQ(a.backend, "spoe-agents");
  EXPECT_THAT(a.logs, ElementsAre("global"));
  EXPECT_TRUE(a.pipelining);
  EXPECT_TRUE(a.async);
  ASSERT_EQ(c.messages.size(), 1u);
  const SpoeMessage& m = c.messages[0];
  EXPECT_EQ(m.name, "check-client");
  EXPECT_EQ(m.event, Event::on_frontend_http_request);
  EXPECT_THAT(arg_names_of(m), ElementsAre("ip", "host"));
  EXPECT_THAT(fetches_of(m), ElementsAre(Fetch::src, Fetch::req_hdr));
  EXPECT_EQ(m.args[1].expr.bytes, "host");
  EXPECT_TRUE(c.warnings.empty());
}

TEST(SpoeCaptures, SpoeTypesConfHasAllThirteenArgumentsInOrder) {
  const SpoeConfig c = load_capture("spoe-types.conf");
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[0].name, "check-client");
  const SpoeMessage& m = c.messages[1];
  EXPECT_EQ(m.name, "types");
  EXPECT_THAT(arg_names_of(m), ElementsAre("s", "sint", "big", "neg1", "b", "bf", "ip6", "bin", "missing", "long",
                                           "", "", "srcport"));
  EXPECT_THAT(fetches_of(m),
              ElementsAre(Fetch::const_str, Fetch::const_int, Fetch::const_int, Fetch::const_int, Fetch::const_bool,
                          Fetch::const_bool, Fetch::const_ipv6, Fetch::const_bin, Fetch::req_hdr, Fetch::req_hdr,
                          Fetch::method, Fetch::path, Fetch::src_port));
  EXPECT_EQ(m.args[0].expr.bytes, "hello");
  EXPECT_EQ(m.args[1].expr.number, -5);
  EXPECT_EQ(m.args[2].expr.number, 100000);
  EXPECT_EQ(m.args[3].expr.number, -1);
  EXPECT_TRUE(m.args[4].expr.boolean);
  EXPECT_FALSE(m.args[5].expr.boolean);
  EXPECT_EQ(m.args[7].expr.bytes, std::string("\x00\xff\x10", 3));
  EXPECT_EQ(m.args[8].expr.bytes, "x-missing");
}

TEST(SpoeCaptures, EvaluationReproducesTheCapturedNotifyFrames) {
  const Request r = captured_request();
  EXPECT_EQ(spop::test::to_hex(notify_for(load_capture("spoe.conf"), r)),
            spop::test::to_hex(spop::test::read_file(spop::test::capture("haproxy-2.6/notify-simple.bin"))));
  EXPECT_EQ(spop::test::to_hex(notify_for(load_capture("spoe-types.conf"), r)),
            spop::test::to_hex(spop::test::read_file(spop::test::capture("haproxy-2.6/notify-types.bin"))));
}

TEST(SpoeCaptures, HaproxyCfgLeadsToTheAgentBackend) {
  for (const char* cfg : {"haproxy.cfg", "haproxy-check.cfg", "haproxy-types.cfg"}) {
    const SimTarget t = load_sim_target(spop::test::capture(std::string("haproxy-2.6/config/") + cfg));
    EXPECT_EQ(t.filter.proxy, "fe") << cfg;
    EXPECT_EQ(t.filter.engine, "test");
    EXPECT_EQ(t.spoe.agent.name, "test-agent");
    EXPECT_EQ(t.backend.name, "spoe-agents");
    EXPECT_EQ(t.backend.mode, "tcp");
    EXPECT_EQ(t.backend.timeout_connect, 5000ms);
    EXPECT_EQ(t.backend.timeout_server, 180000ms);
    EXPECT_EQ(t.backend.spop_check, std::string(cfg) == "haproxy-check.cfg");
    ASSERT_EQ(t.backend.servers.size(), 1u);
    EXPECT_EQ(t.backend.servers[0].name, "agent1");
    EXPECT_EQ(t.backend.servers[0].host, "127.0.0.1");
    EXPECT_EQ(t.backend.servers[0].port, 12345);
    EXPECT_EQ(t.backend.servers[0].check, std::string(cfg) == "haproxy-check.cfg");
  }
}

}  // namespace
}  // namespace spop::sim
