// The minimal haproxy.cfg reader and the resolution of what spop-sim plays (SimTarget).
#include "simulator/haproxy_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "simulator/sim_target.hpp"
#include "tests/simulator/sim_test_support.hpp"

namespace spop::sim {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;

HaproxyConfig parse(std::string_view text) {
  return parse_haproxy_config(text, "h.cfg", "/etc/haproxy", test::fixed_env());
}

std::vector<std::string> haproxy_errors(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return test::strings_of(e.errors());
  }
  return {};
}

TEST(HaproxyConfig, FiltersInEveryProxyKindWithPaths) {
  const HaproxyConfig c = parse(
      "global\n"
      "    filter spoe config /not/a/proxy.conf\n"  // not in a proxy: ignored
      "frontend fe\n"
      "    filter spoe engine iprep config spoe-iprep.conf\n"
      "listen li\n"
      "    filter spoe config ./sub/../l.conf engine x\n"
      "backend be\n"
      "    filter spoe config /abs/b.conf\n"
      "    filter compression\n");
  ASSERT_EQ(c.filters.size(), 3u);
  EXPECT_EQ(c.filters[0].proxy, "fe");
  EXPECT_EQ(c.filters[0].proxy_kind, ProxyKind::frontend);
  EXPECT_EQ(c.filters[0].engine, "iprep");
  EXPECT_EQ(c.filters[0].config, "/etc/haproxy/spoe-iprep.conf");
  EXPECT_EQ(to_string(c.filters[0].where), "h.cfg:4");
  EXPECT_EQ(c.filters[1].proxy_kind, ProxyKind::listen);
  EXPECT_EQ(c.filters[1].engine, "x");
  EXPECT_EQ(c.filters[1].config, "/etc/haproxy/l.conf");
  EXPECT_EQ(c.filters[2].proxy_kind, ProxyKind::backend);
  EXPECT_EQ(c.filters[2].engine, std::nullopt);
  EXPECT_EQ(c.filters[2].config, "/abs/b.conf");
}

TEST(HaproxyConfig, BackendsServersTimeoutsAndDefaults) {
  const HaproxyConfig c = parse(
      "defaults\n"
      "    mode http\n"
      "    timeout connect 5s\n"
      "    timeout server 30s\n"
      "    timeout client 30s\n"
      "backend agents\n"
      "    server a1 127.0.0.1:12345 check inter 3s\n"
      "    server a2 ipv6@::1:12346\n"
      "    server a3 [::1]:12347 check\n"
      "    server a4 unix@/run/spoa.sock\n"
      "    server a5 /run/spoa2.sock\n"
      "    server a6 agent.example.com:9000\n"
      "    server a7 10.0.0.1\n"
      "    mode tcp\n"                       // after the servers: still counts
      "    timeout server 3m\n"
      "    option spop-check\n"
      "    balance roundrobin\n"
      "defaults\n"
      "    timeout connect 1s\n"
      "listen li\n"
      "    server s 127.0.0.1:80\n"
      "    no option spop-check\n");
  ASSERT_EQ(c.backends.size(), 2u);
  const HaproxyBackend& b = c.backends[0];
  EXPECT_EQ(b.name, "agents");
  EXPECT_EQ(b.kind, ProxyKind::backend);
  EXPECT_EQ(b.mode, "tcp");
  EXPECT_EQ(b.timeout_connect, 5000ms);
  EXPECT_EQ(b.timeout_server, 180000ms);
  EXPECT_TRUE(b.spop_check);
  ASSERT_EQ(b.servers.size(), 7u);
  EXPECT_EQ(b.servers[0].host, "127.0.0.1");
  EXPECT_EQ(b.servers[0].port, 12345);
  EXPECT_TRUE(b.servers[0].check);
  EXPECT_EQ(b.servers[0].address, "127.0.0.1:12345");
  EXPECT_EQ(to_string(b.servers[0].where), "h.cfg:7");
  EXPECT_EQ(b.servers[1].host, "::1");
  EXPECT_EQ(b.servers[1].port, 12346);
  EXPECT_FALSE(b.servers[1].check);
  EXPECT_EQ(b.servers[2].host, "::1");
  EXPECT_EQ(b.servers[2].port, 12347);
  EXPECT_TRUE(b.servers[3].unix_socket);
  EXPECT_EQ(b.servers[3].host, "/run/spoa.sock");
  EXPECT_TRUE(b.servers[4].unix_socket);
  EXPECT_EQ(b.servers[5].host, "agent.example.com");
  EXPECT_EQ(b.servers[5].port, 9000);
  EXPECT_EQ(b.servers[6].port, 0);  // no port given
  const HaproxyBackend& li = c.backends[1];
  EXPECT_EQ(li.kind, ProxyKind::listen);
  EXPECT_EQ(li.mode, "tcp");  // the second defaults section starts afresh
  EXPECT_EQ(li.timeout_connect, 1000ms);
  EXPECT_EQ(li.timeout_server, std::nullopt);
  EXPECT_FALSE(li.spop_check);
  EXPECT_EQ(c.find_backend("li"), &c.backends[1]);
  EXPECT_EQ(c.find_backend("nope"), nullptr);
}

TEST(HaproxyConfig, ServerTlsParameters) {
  const HaproxyConfig c = parse(
      "backend agents\n"
      "    server a1 10.0.0.1:12345 check ssl verify required ca-file ca.pem crt /etc/haproxy/client.pem "
      "sni str(spoa.internal) inter 2s\n"
      "    server a2 10.0.0.2:12345 ssl verify none sni req.hdr(host) verifyhost agent.internal\n"
      "    server a3 10.0.0.3:12345 ssl no-ssl check\n"
      "    server a4 10.0.0.4:12345\n");
  ASSERT_EQ(c.backends.size(), 1u);
  const auto& s = c.backends[0].servers;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(s[0].check);
  EXPECT_TRUE(s[0].tls.ssl);
  EXPECT_TRUE(s[0].tls.verify);
  EXPECT_EQ(s[0].tls.ca_file, "/etc/haproxy/ca.pem") << "relative to the haproxy.cfg directory";
  EXPECT_EQ(s[0].tls.crt, "/etc/haproxy/client.pem");
  EXPECT_EQ(s[0].tls.sni, "spoa.internal");
  EXPECT_FALSE(s[0].tls.verifyhost);
  EXPECT_TRUE(s[1].tls.ssl);
  EXPECT_FALSE(s[1].tls.verify);
  EXPECT_EQ(s[1].tls.sni, std::nullopt) << "only str() is evaluated";
  EXPECT_EQ(s[1].tls.sni_expression, "req.hdr(host)");
  EXPECT_EQ(s[1].tls.verifyhost, "agent.internal");
  EXPECT_FALSE(s[2].tls.ssl) << "no-ssl after ssl";
  EXPECT_TRUE(s[2].check);
  EXPECT_FALSE(s[3].tls.ssl);

  EXPECT_THAT(haproxy_errors("backend b\n    server s 1.2.3.4:5 ssl verify sometimes\n"),
              ElementsAre("h.cfg:2: server: 'verify' expects 'none' or 'required', not 'sometimes'"));
  EXPECT_THAT(haproxy_errors("backend b\n    server s 1.2.3.4:5 ssl ca-file\n"),
              ElementsAre("h.cfg:2: server: 'ca-file' expects an argument"));
}

TEST(HaproxyConfig, ToleratesEverythingElse) {
  const HaproxyConfig c = parse(
      "global\n"
      "    log stdout format raw local0 info\n"
      "    stats socket ./haproxy.sock mode 600 level admin\n"
      "userlist u\n"
      "    user admin password x\n"
      "resolvers dns\n"
      "    nameserver ns1 1.1.1.1:53\n"
      "frontend fe\n"
      "    bind 127.0.0.1:18080\n"
      "    http-request return status 200 content-type text/plain lf-string \"x=%[var(txn.test.x)]\\n\" if { var(txn.test.x) -m int eq 1 }\n"
      "    http-request send-spoe-group iprep grp1\n"
      "    default_backend app\n");
  EXPECT_TRUE(c.filters.empty());
  EXPECT_TRUE(c.backends.empty());
}

TEST(HaproxyConfig, Errors) {
  EXPECT_THAT(haproxy_errors("frontend fe\n"
                        "    filter spoe engine\n"
                        "    filter spoe engine x\n"
                        "    filter spoe config a.conf bogus y\n"
                        "backend be\n"
                        "    server s1 127.0.0.1:http\n"
                        "    server s2\n"
                        "    server s3 127.0.0.1:70000\n"
                        "    mode fast\n"
                        "    timeout server 1x\n"),
              ElementsAre("h.cfg:2: 'filter spoe' : 'engine' option without value",
                          "h.cfg:3: 'filter spoe' : missing config file",
                          "h.cfg:4: 'filter spoe' : unknown keyword 'bogus'",
                          "h.cfg:6: server 's1': invalid address '127.0.0.1:http'",
                          "h.cfg:7: 'server' expects <name> and <addr>[:<port>] as arguments",
                          "h.cfg:8: server 's3': invalid address '127.0.0.1:70000'",
                          "h.cfg:9: unknown proxy mode 'fast'",
                          "h.cfg:10: 'timeout server' expects a time value, got '1x'"));
}

// Found by the spoe_config fuzz target: a proxy section without a name was accepted.
TEST(HaproxyConfig, ProxyWithoutNameIsAnError) {
  EXPECT_THAT(haproxy_errors("frontend\n"
                        "    filter spoe config a.conf\n"
                        "backend\n"
                        "listen\n"
                        "global\n"),
              ElementsAre("h.cfg:1: 'frontend' expects <name> as an argument",
                          "h.cfg:3: 'backend' expects <name> as an argument",
                          "h.cfg:4: 'listen' expects <name> as an argument"));
}

TEST(HaproxyConfig, LoadResolvesSpoePathsAgainstItsDirectory) {
  test::TempDir dir;
  const auto cfg = dir.write("etc/haproxy.cfg", "frontend fe\n    filter spoe config ../spoe/agent.conf\n");
  const HaproxyConfig c = load_haproxy_config(cfg);
  ASSERT_EQ(c.filters.size(), 1u);
  EXPECT_EQ(c.filters[0].config, (dir.path() / "spoe/agent.conf").lexically_normal());
}

// --- SimTarget -------------------------------------------------------------------------------------

constexpr std::string_view agent_conf =
    "[iprep]\n"
    "spoe-agent iprep-agent\n"
    "    messages check-client-ip\n"
    "    option var-prefix iprep\n"
    "    use-backend agents\n"
    "    timeout hello 2s\n"
    "    timeout idle 2m\n"
    "    timeout processing 10ms\n"
    "spoe-message check-client-ip\n"
    "    args always_true int(1234) src ipv6(::55) req.fhdr(host)\n"
    "    event on-frontend-http-request\n";

std::vector<std::string> target_errors(const test::TempDir& dir, std::string_view cfg,
                                       std::optional<std::string> engine = {}) {
  try {
    load_sim_target(dir.write("haproxy.cfg", cfg), engine);
  } catch (const ConfigError& e) {
    return test::strings_of(e.errors());
  }
  return {};
}

TEST(SimTarget, FindsTheFilterItsSpoeFileAndItsBackend) {
  test::TempDir dir;
  dir.write("spoe-iprep.conf", agent_conf);
  const auto cfg = dir.write("haproxy.cfg",
                             "frontend fe\n"
                             "    filter spoe engine iprep config spoe-iprep.conf\n"
                             "backend agents\n"
                             "    mode tcp\n"
                             "    server a1 127.0.0.1:12345\n");
  const SimTarget t = load_sim_target(cfg);
  EXPECT_EQ(t.spoe.engine_id, "iprep");
  EXPECT_EQ(t.spoe.agent.var_prefix, "iprep");
  EXPECT_EQ(t.backend.name, "agents");
  EXPECT_EQ(t.backend.servers[0].port, 12345);
  EXPECT_TRUE(t.warnings.empty());
  EXPECT_EQ(load_sim_target(cfg, "iprep").spoe.engine_id, "iprep");
}

TEST(SimTarget, ChoosesAmongSeveralFiltersByEngine) {
  test::TempDir dir;
  dir.write("spoe-iprep.conf", agent_conf);
  dir.write("other.conf", "spoe-agent other\n    use-backend agents\n");
  const std::string cfg =
      "frontend fe\n"
      "    filter spoe engine iprep config spoe-iprep.conf\n"
      "    filter spoe config other.conf\n"
      "backend agents\n"
      "    server a1 127.0.0.1:12345\n";
  const auto path = dir.write("haproxy.cfg", cfg);
  EXPECT_EQ(load_sim_target(path, "iprep").spoe.agent.name, "iprep-agent");
  // A filter without an engine is named by its agent.
  const SimTarget other = load_sim_target(path, "other");
  EXPECT_EQ(other.spoe.agent.name, "other");
  EXPECT_EQ(other.warnings.size(), 2u);  // missing timeouts, no message
  EXPECT_THAT(target_errors(dir, cfg),
              ElementsAre("several 'filter spoe' lines: iprep (" + path.string() + ":2), <agent name> (" +
                          path.string() + ":3); choose one by its engine name"));
  EXPECT_THAT(target_errors(dir, cfg, "nope"), ElementsAre("no 'filter spoe' line uses engine 'nope'"));
}

TEST(SimTarget, ErrorsLikeHaproxyAtStartUp) {
  test::TempDir dir;
  dir.write("spoe-iprep.conf", agent_conf);
  const std::string fe = "frontend fe\n    filter spoe engine iprep config spoe-iprep.conf\n";
  const std::string cfg = (dir.path() / "haproxy.cfg").string();
  const std::string agent_at = (dir.path() / "spoe-iprep.conf").string() + ":2";
  EXPECT_THAT(target_errors(dir, "frontend fe\n"), ElementsAre("no 'filter spoe' line in the haproxy configuration"));
  EXPECT_THAT(target_errors(dir, fe),
              ElementsAre(cfg + ":2: Proxy fe : unknown backend 'agents' used by SPOE agent 'iprep-agent' declared at " +
                          agent_at));
  EXPECT_THAT(target_errors(dir, "defaults\n    mode http\n" + fe + "backend agents\n    server a 127.0.0.1:1\n"),
              ElementsAre(cfg + ":4: Proxy fe : backend 'agents' used by SPOE agent 'iprep-agent' declared at " +
                          agent_at + " does not support HTTP mode"));
  EXPECT_THAT(target_errors(dir, fe + "backend agents\n"), ElementsAre(cfg + ":3: backend 'agents' has no server"));
  // Errors of the SPOE file come through with its own locations.
  dir.write("spoe-iprep.conf", "[iprep]\nspoe-agent a\n    bogus\n");
  EXPECT_THAT(target_errors(dir, fe + "backend agents\n    server a 127.0.0.1:1\n"),
              ElementsAre((dir.path() / "spoe-iprep.conf").string() + ":3: unknown keyword 'bogus' in spoe-agent section"));
}

}  // namespace
}  // namespace spop::sim
