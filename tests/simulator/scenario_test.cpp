// Scenario files: the schema, its defaults, every validation error with its file:line:column, and the
// example scenario of the standard example.
#include "simulator/scenario.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/simulator/sim_test_support.hpp"

namespace spop::sim {
namespace {

using namespace std::chrono_literals;
using test::scenario;
using test::scenario_errors;
using testing::ElementsAre;
using testing::StartsWith;

// Two valid lines; tests append from line 3 on.
constexpr std::string_view base = "load: {count: 1}\nrequests: [{path: /}]\n";

std::vector<std::string> errors_with(std::string_view extra) { return scenario_errors(std::string(base) + std::string(extra)); }

TEST(Scenario, Defaults) {
  const Scenario s = scenario(base);
  EXPECT_EQ(s.file, "s.yaml");
  EXPECT_EQ(s.profile, Profile::haproxy_2_6);
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.load.connections, 1u);
  EXPECT_EQ(s.load.in_flight, 1u);
  EXPECT_FALSE(s.load.open_loop());
  EXPECT_EQ(s.load.count, 1u);
  EXPECT_EQ(s.load.duration, std::nullopt);
  EXPECT_EQ(to_string(s.frontend_address), "127.0.0.1");
  EXPECT_EQ(s.frontend_port, 80);
  ASSERT_EQ(s.clients.ranges().size(), 1u);
  EXPECT_EQ(s.clients.ranges()[0].to_string(), "127.0.0.1/32");
  EXPECT_EQ(s.client_port_low, 1024);
  EXPECT_EQ(s.client_port_high, 65535);
  ASSERT_EQ(s.requests.size(), 1u);
  const RequestTemplate& r = s.requests[0];
  EXPECT_EQ(r.name, "request-1");
  EXPECT_EQ(r.weight, 1u);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url.source(), "/");
  EXPECT_TRUE(r.headers.empty());
  EXPECT_FALSE(r.ssl);
  EXPECT_TRUE(r.clients.empty());
  EXPECT_EQ(to_string(r.where), "s.yaml:2:12");
  EXPECT_TRUE(s.faults.empty());
  EXPECT_TRUE(s.expect.messages.empty());
  EXPECT_EQ(s.expect.max_error_rate, std::nullopt);
  EXPECT_TRUE(s.expect.latency.empty());
}

TEST(Scenario, EveryField) {
  const Scenario s = scenario(R"(profile: "3.1"
seed: 42
load:
  connections: 8
  rate: 2500.5
  duration: 1m
  count: 100000
frontend:
  address: "2001:db8::1"
  port: 8443
clients:
  - 10.0.0.0/8
  - range: 192.0.2.7
    weight: 5
client_ports: 2000..2999
requests:
  - name: api
    weight: 3
    method: POST
    path: /api/{seq}
    ssl: true
    headers:
      Host: api.example.com
      X-Id: "{rand:1..9}"
    clients: ["::1"]
  - name: list
    headers:
      - cookie: a=1
      - cookie: b=2
faults:
  - split_frames
  - name: delay_bytes
    delay: 250us
    chunk: 3
    probability: 0.5
  - {name: rst_mid_frame, every: 100}
  - {name: unknown_message, message: nope}
expect:
  max_error_rate: 0.5%
  latency:
    p50: 1ms
    p99.9: 20ms
    max: 1s
  messages:
    check-client-ip:
      txn.iprep.ip_score: int:1..100
      txn.iprep.kind: [str:"a", str:"b"]
)");
  EXPECT_EQ(s.profile, Profile::haproxy_3_1);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.load.connections, 8u);
  EXPECT_TRUE(s.load.open_loop());
  EXPECT_DOUBLE_EQ(*s.load.rate, 2500.5);
  EXPECT_EQ(s.load.duration, 60s);
  EXPECT_EQ(s.load.count, 100000u);
  EXPECT_EQ(to_string(s.frontend_address), "2001:db8::1");
  EXPECT_EQ(s.frontend_port, 8443);
  ASSERT_EQ(s.clients.ranges().size(), 2u);
  EXPECT_EQ(s.clients.ranges()[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(s.clients.ranges()[0].weight, 1u);
  EXPECT_EQ(s.clients.ranges()[1].weight, 5u);
  EXPECT_EQ(s.client_port_low, 2000);
  EXPECT_EQ(s.client_port_high, 2999);

  ASSERT_EQ(s.requests.size(), 2u);
  const RequestTemplate& api = s.requests[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.weight, 3u);
  EXPECT_EQ(api.method, "POST");
  EXPECT_EQ(api.url.source(), "/api/{seq}");
  EXPECT_TRUE(api.ssl);
  ASSERT_EQ(api.headers.size(), 2u);
  EXPECT_EQ(api.headers[0].name, "Host");
  EXPECT_EQ(api.headers[1].value.source(), "{rand:1..9}");
  EXPECT_EQ(api.clients.ranges()[0].to_string(), "::1/128");
  const RequestTemplate& list = s.requests[1];
  ASSERT_EQ(list.headers.size(), 2u);
  EXPECT_EQ(list.headers[1].name, "cookie");
  EXPECT_EQ(list.headers[1].value.source(), "b=2");

  ASSERT_EQ(s.faults.size(), 4u);
  EXPECT_EQ(s.faults[0].kind, FaultKind::split_frames);
  EXPECT_EQ(s.faults[0].chunk, 1u);
  EXPECT_DOUBLE_EQ(s.faults[0].probability, 1.0);
  EXPECT_EQ(s.faults[1].kind, FaultKind::delay_bytes);
  EXPECT_EQ(s.faults[1].delay, 250us);
  EXPECT_EQ(s.faults[1].chunk, 3u);
  EXPECT_DOUBLE_EQ(s.faults[1].probability, 0.5);
  EXPECT_EQ(s.faults[2].every, 100u);
  EXPECT_DOUBLE_EQ(s.faults[2].probability, 0.01);  // the default of per-request faults
  EXPECT_EQ(s.faults[3].message, "nope");
  EXPECT_EQ(to_string(s.faults[3].where), "s.yaml:37:5");

  EXPECT_DOUBLE_EQ(*s.expect.max_error_rate, 0.005);
  ASSERT_EQ(s.expect.latency.size(), 3u);
  EXPECT_EQ(s.expect.latency[0].label, "p50");
  EXPECT_DOUBLE_EQ(s.expect.latency[0].quantile, 0.5);
  EXPECT_EQ(s.expect.latency[0].limit, 1ms);
  EXPECT_DOUBLE_EQ(s.expect.latency[1].quantile, 0.999);
  EXPECT_DOUBLE_EQ(s.expect.latency[2].quantile, 1.0);
  EXPECT_EQ(s.expect.latency[2].limit, 1s);
  ASSERT_EQ(s.expect.messages.size(), 1u);
  const MessageExpectation& m = s.expect.messages[0];
  EXPECT_EQ(m.message, "check-client-ip");
  ASSERT_EQ(m.variables.size(), 2u);
  EXPECT_EQ(m.variables[0].variable, "txn.iprep.ip_score");
  EXPECT_EQ(to_string(m.variables[0].where), "s.yaml:46:7");
  ASSERT_EQ(m.variables[1].any_of.size(), 2u);
  EXPECT_EQ(m.variables[1].any_of[1].spec(), "str:\"b\"");
}

TEST(Scenario, EveryFaultName) {
  const std::pair<const char*, FaultKind> faults[] = {
      {"split_frames", FaultKind::split_frames},
      {"{name: delay_bytes, delay: 1ms}", FaultKind::delay_bytes},
      {"{name: slow_reader, rate: 100}", FaultKind::slow_reader},
      {"rst_mid_frame", FaultKind::rst_mid_frame},
      {"{name: reconnect_storm, interval: 5s}", FaultKind::reconnect_storm},
      {"{name: soft_stop, at: 2s}", FaultKind::soft_stop},
      {"{name: healthcheck_flood, rate: 50}", FaultKind::healthcheck_flood},
      {"{name: oversize_frame, size: 20000}", FaultKind::oversize_frame},
      {"truncated_frame", FaultKind::truncated_frame},
      {"invalid_frame", FaultKind::invalid_frame},
      {"unknown_message", FaultKind::unknown_message},
      {"{name: batch_frames, count: 4}", FaultKind::batch_frames},
  };
  for (const auto& [yaml, kind] : faults) {
    const Scenario s = scenario(std::string(base) + "faults:\n  - " + yaml + "\n");
    ASSERT_EQ(s.faults.size(), 1u) << yaml;
    EXPECT_EQ(s.faults[0].kind, kind);
    EXPECT_EQ(parse_fault_kind(to_string(kind)), kind);
  }
}

TEST(Scenario, EventAndGroup) {
  const Scenario s = scenario("event: on-frontend-tcp-request\nload: {count: 1}\nrequests:\n  - group: g1\n");
  EXPECT_EQ(s.event, "on-frontend-tcp-request");
  EXPECT_EQ(s.requests[0].group, "g1");
  EXPECT_FALSE(s.profile_set);
  EXPECT_THAT(errors_with("event: on-lunch\n"), testing::Contains(testing::HasSubstr("unknown event 'on-lunch'")));
}

TEST(Scenario, ProfileThreeTwoAndItsAliasThreeOne) {
  const Scenario s32 = scenario("profile: \"3.2\"\nload: {count: 1}\nrequests:\n  - path: /\n");
  EXPECT_EQ(s32.profile, Profile::haproxy_3_1);
  EXPECT_TRUE(s32.profile_set);
  const Scenario s31 = scenario("profile: \"3.1\"\nload: {count: 1}\nrequests:\n  - path: /\n");
  EXPECT_EQ(s31.profile, Profile::haproxy_3_1);
  EXPECT_EQ(to_string(s31.profile), "3.2");  // reports name what it was checked against
}

TEST(Scenario, FaultsFromTheCommandLineFollowTheScenarioRules) {
  std::string error;
  const auto f = parse_fault_option("rst_mid_frame:every=10", error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->kind, FaultKind::rst_mid_frame);
  EXPECT_EQ(f->every, 10u);
  const auto d = parse_fault_option("delay_bytes:delay=2ms,chunk=3", error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->delay, std::chrono::milliseconds(2));
  EXPECT_EQ(d->chunk, 3u);
  const auto plain = parse_fault_option("truncated_frame", error);
  ASSERT_TRUE(plain);
  EXPECT_DOUBLE_EQ(plain->probability, 0.01);
  EXPECT_FALSE(parse_fault_option("soft_stop", error));
  EXPECT_EQ(error, "--fault soft_stop: fault 'soft_stop' needs 'at'");
  EXPECT_FALSE(parse_fault_option("split_frames:chunk", error));
  EXPECT_EQ(error, "--fault split_frames:chunk: expected key=value, not 'chunk'");
  EXPECT_FALSE(parse_fault_option("split_frames:every=2", error));
  EXPECT_THAT(error, testing::HasSubstr("has no parameter 'every'"));
}

TEST(Scenario, ExampleOfTheStandardExample) {
  const Scenario s = load_scenario(std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "sim-standard.yaml");
  EXPECT_EQ(s.profile, Profile::haproxy_2_6);
  EXPECT_EQ(s.load.connections, 4u);
  EXPECT_EQ(s.load.in_flight, 8u);
  EXPECT_EQ(s.load.duration, 10s);
  EXPECT_EQ(s.frontend_port, 10001);
  ASSERT_EQ(s.expect.messages.size(), 1u);
  EXPECT_EQ(s.expect.messages[0].message, "check-client-ip");
  std::vector<std::string> vars;
  for (const VarExpectation& v : s.expect.messages[0].variables) vars.push_back(v.variable);
  EXPECT_THAT(vars, ElementsAre("txn.iprep.null", "txn.iprep.boolean", "txn.iprep.int32", "txn.iprep.uint32",
                                "txn.iprep.int64", "txn.iprep.uint64", "txn.iprep.ipv4", "txn.iprep.ipv6",
                                "txn.iprep.str", "txn.iprep.bin", "sess.iprep.ip_score"));
  EXPECT_EQ(s.expect.max_error_rate, 0.0);
}

TEST(ScenarioErrors, TopLevel) {
  EXPECT_THAT(errors_with("bogus: 1\n"),
              ElementsAre("s.yaml:3:1: unknown key 'bogus' in the scenario (expected profile, seed, event, load, "
                          "frontend, clients, client_ports, requests, faults, expect)"));
  EXPECT_THAT(errors_with("profile: 2.7\n"),
              ElementsAre("s.yaml:3:10: profile must be \"2.6\" or \"3.2\" (or its alias \"3.1\"), not '2.7'"));
  EXPECT_THAT(errors_with("seed: -1\n"),
              ElementsAre("s.yaml:3:7: seed must be an integer from 0 to 18446744073709551615, not '-1'"));
  EXPECT_THAT(errors_with("load: {count: 2}\n"), ElementsAre("s.yaml:3:1: duplicate key 'load' in the scenario"));
  EXPECT_THAT(scenario_errors("requests: [{path: /}]\n"),
              ElementsAre("s.yaml:1:1: missing 'load' (connections, in_flight or rate, duration or count)"));
  EXPECT_THAT(scenario_errors("load: {count: 1}\n"),
              ElementsAre("s.yaml:1:1: missing 'requests' (at least one request template)"));
  EXPECT_THAT(scenario_errors("- a\n"), ElementsAre("s.yaml:1:1: a scenario is a mapping (profile, load, requests, ...)"));
}

TEST(ScenarioErrors, YamlSyntax) {
  EXPECT_THAT(scenario_errors("load: {count: 1\n"), ElementsAre(StartsWith("s.yaml:")));
  EXPECT_THAT(scenario_errors("a: b: c\n"), ElementsAre("s.yaml:1:5: illegal map value"));
}

TEST(ScenarioErrors, Load) {
  const auto with_load = [](std::string_view load) {
    return scenario_errors("requests: [{path: /}]\nload:\n" + std::string(load));
  };
  EXPECT_THAT(with_load("  in_flight: 2\n  rate: 10\n  count: 1\n"),
              ElementsAre("s.yaml:4:9: 'in_flight' (closed loop) and 'rate' (open loop) exclude each other"));
  EXPECT_THAT(with_load("  connections: 2\n"), ElementsAre("s.yaml:3:3: the load needs 'duration' or 'count' (or both)"));
  EXPECT_THAT(with_load("  connections: 0\n  count: 1\n"),
              ElementsAre("s.yaml:3:16: connections must be an integer from 1 to 100000, not '0'"));
  EXPECT_THAT(with_load("  rate: 0\n  count: 1\n"),
              ElementsAre("s.yaml:3:9: rate must be a number above 0 and at most 10000000, not '0'"));
  EXPECT_THAT(with_load("  duration: 10\n"),
              ElementsAre("s.yaml:3:13: duration must be a positive time with a unit (us, ms, s, m, h, d), not '10'"));
  EXPECT_THAT(with_load("  duration: 10sec\n"),
              ElementsAre("s.yaml:3:13: duration must be a positive time with a unit (us, ms, s, m, h, d), not '10sec'"));
  EXPECT_THAT(with_load("  count: [1]\n"), ElementsAre("s.yaml:3:10: count must be a scalar"));
  EXPECT_THAT(with_load("  threads: 2\n  count: 1\n"),
              ElementsAre("s.yaml:3:3: unknown key 'threads' in load (expected connections, in_flight, rate, duration, "
                          "count)"));
}

TEST(ScenarioErrors, AddressesAndPorts) {
  EXPECT_THAT(errors_with("clients: [10.0.0.0/33]\n"), ElementsAre("s.yaml:3:11: bad prefix length '/33' (0 to 32)"));
  EXPECT_THAT(errors_with("clients: [example.com]\n"),
              ElementsAre("s.yaml:3:11: 'example.com' is not an IPv4 or IPv6 address"));
  EXPECT_THAT(errors_with("clients: []\n"),
              ElementsAre("s.yaml:3:10: clients must be a non-empty list of addresses or CIDR ranges"));
  EXPECT_THAT(errors_with("clients: [{range: 10.0.0.1, weight: 0}]\n"),
              ElementsAre("s.yaml:3:10: clients: the weights add up to 0"));
  EXPECT_THAT(errors_with("clients: [{weight: 2}]\n"),
              ElementsAre("s.yaml:3:11: a client range needs 'range' (an address or a CIDR block)"));
  EXPECT_THAT(errors_with("client_ports: 10..5\n"),
              ElementsAre("s.yaml:3:15: client_ports must be a port or a range LO..HI within 1..65535, not '10..5'"));
  EXPECT_THAT(errors_with("frontend: {address: x, port: 70000}\n"),
              ElementsAre("s.yaml:3:21: 'x' is not an IPv4 or IPv6 address",
                          "s.yaml:3:30: frontend port must be an integer from 1 to 65535, not '70000'"));
}

TEST(ScenarioErrors, Requests) {
  const auto with_request = [](std::string_view fields) {
    return scenario_errors("load: {count: 1}\nrequests:\n  - " + std::string(fields) + "\n");
  };
  EXPECT_THAT(with_request("{path: \"/{nope}\"}"),
              ElementsAre("s.yaml:3:12: unknown placeholder '{nope}' (known: {seq}, {rand:LO..HI}, {pick:a|b}, "
                          "{client_ip}, {client_port})"));
  EXPECT_THAT(with_request("{path: 'a b'}"),
              ElementsAre("s.yaml:3:12: path must start with '/', be '*' or an absolute URL, without spaces: 'a b'"));
  EXPECT_THAT(with_request("{method: 'GE T'}"), ElementsAre("s.yaml:3:14: 'GE T' is not a valid HTTP method"));
  EXPECT_THAT(with_request("{headers: {'bad name': x}}"), ElementsAre("s.yaml:3:16: 'bad name' is not a valid header name"));
  EXPECT_THAT(with_request("{headers: {x: '{rand:5..1}'}}"),
              ElementsAre("s.yaml:3:19: placeholder '{rand:5..1}' expects {rand:LO..HI} with integers LO <= HI"));
  EXPECT_THAT(with_request("{headers: [a, b]}"),
              ElementsAre("s.yaml:3:16: each item of a header list is a one-entry mapping, as in '- host: example.com'",
                          "s.yaml:3:19: each item of a header list is a one-entry mapping, as in '- host: example.com'"));
  EXPECT_THAT(with_request("{weight: 0}"), ElementsAre("s.yaml:3:3: the request weights add up to 0"));
  EXPECT_THAT(with_request("{ssl: maybe}"), ElementsAre("s.yaml:3:11: ssl must be true or false"));
  EXPECT_THAT(with_request("{query: x}"),
              ElementsAre("s.yaml:3:6: unknown key 'query' in a request (expected name, weight, method, path, headers, "
                          "ssl, clients, group)"));
  EXPECT_THAT(scenario_errors("load: {count: 1}\nrequests:\n  - {name: a}\n  - {name: a}\n"),
              ElementsAre("s.yaml:4:5: request name 'a' is used twice"));
  EXPECT_THAT(scenario_errors("load: {count: 1}\nrequests: []\n"),
              ElementsAre("s.yaml:2:11: requests must be a non-empty list of request templates"));
}

TEST(ScenarioErrors, Faults) {
  const auto with_fault = [](std::string_view fault) { return errors_with("faults:\n  - " + std::string(fault) + "\n"); };
  EXPECT_THAT(with_fault("cosmic_ray"),
              ElementsAre("s.yaml:4:5: unknown fault 'cosmic_ray' (known: split_frames, delay_bytes, slow_reader, "
                          "rst_mid_frame, reconnect_storm, soft_stop, healthcheck_flood, oversize_frame, "
                          "truncated_frame, invalid_frame, unknown_message, batch_frames)"));
  EXPECT_THAT(with_fault("delay_bytes"), ElementsAre("s.yaml:4:5: fault 'delay_bytes' needs 'delay'"));
  EXPECT_THAT(with_fault("{name: soft_stop}"), ElementsAre("s.yaml:4:5: fault 'soft_stop' needs 'at'"));
  EXPECT_THAT(with_fault("{name: split_frames, every: 2}"),
              ElementsAre("s.yaml:4:26: fault 'split_frames' has no parameter 'every' (it takes: chunk, probability)"));
  EXPECT_THAT(with_fault("{name: rst_mid_frame, probability: 0.1, every: 2}"),
              ElementsAre("s.yaml:4:5: fault 'rst_mid_frame': use either 'probability' or 'every'"));
  EXPECT_THAT(with_fault("{name: rst_mid_frame, probability: 1.5}"),
              ElementsAre("s.yaml:4:40: probability must be a number above 0 and at most 1, not '1.5'"));
  EXPECT_THAT(with_fault("{name: split_frames, chunk: 0}"),
              ElementsAre("s.yaml:4:33: chunk must be an integer from 1 to 65536, not '0'"));
  EXPECT_THAT(with_fault("{name: oversize_frame, size: 100}"),
              ElementsAre("s.yaml:4:34: size must be an integer from 257 to 16777216, not '100'"));
  EXPECT_THAT(with_fault("{chunk: 1}"), ElementsAre("s.yaml:4:5: a fault needs a 'name'"));
  EXPECT_THAT(errors_with("faults:\n  - invalid_frame\n  - invalid_frame\n"),
              ElementsAre("s.yaml:5:5: fault 'invalid_frame' is listed twice"));
  EXPECT_THAT(errors_with("faults: split_frames\n"), ElementsAre("s.yaml:3:9: faults must be a list"));
}

TEST(ScenarioErrors, Expectations) {
  const auto with_expect = [](std::string_view expect) { return errors_with("expect:\n" + std::string(expect)); };
  EXPECT_THAT(with_expect("  messages:\n    m:\n      iprep.x: present\n"),
              ElementsAre("s.yaml:6:7: variable 'iprep.x' must start with a scope: proc., sess., txn., req. or res."));
  EXPECT_THAT(with_expect("  messages:\n    m:\n      txn.x: integer:1\n"),
              ElementsAre("s.yaml:6:14: unknown value spec 'integer:1': expected present, absent or <type>[:<value>] "
                          "with a type among int, int32, uint32, int64, uint64, bool, ipv4, ipv6, str, bin"));
  EXPECT_THAT(with_expect("  messages:\n    m:\n      txn.x: int:5..1\n"),
              ElementsAre("s.yaml:6:14: bad value spec 'int:5..1': empty range (the lower bound is above the upper "
                          "bound)"));
  EXPECT_THAT(with_expect("  messages:\n    m:\n      txn.x: []\n"),
              ElementsAre("s.yaml:6:14: a list of accepted values must not be empty"));
  EXPECT_THAT(with_expect("  messages:\n    m: present\n"),
              ElementsAre("s.yaml:5:8: expectations of message 'm' must map variable names to value specs"));
  EXPECT_THAT(with_expect("  max_error_rate: 2\n"),
              ElementsAre("s.yaml:4:19: max_error_rate must be a fraction from 0 to 1 or a percentage (\"0.5%\"), not "
                          "'2'"));
  EXPECT_THAT(with_expect("  latency:\n    p100: 1ms\n    q99: 1ms\n    p99: 5\n"),
              ElementsAre("s.yaml:5:5: latency key 'p100' must be pNN (0 < NN < 100, as p99 or p99.9) or max",
                          "s.yaml:6:5: latency key 'q99' must be pNN (0 < NN < 100, as p99 or p99.9) or max",
                          "s.yaml:7:10: latency bound p99 must be a positive time with a unit (us, ms, s, m, h, d), "
                          "not '5'"));
  EXPECT_THAT(with_expect("  p99: 5ms\n"),
              ElementsAre("s.yaml:4:3: unknown key 'p99' in expect (expected messages, max_error_rate, latency)"));
}

TEST(ScenarioErrors, SeveralAtOnce) {
  EXPECT_EQ(scenario_errors("profile: x\nload: {}\nrequests: [{weight: 0, path: x}]\n").size(), 4u);
}

TEST(ScenarioErrors, MissingFile) {
  EXPECT_THROW(load_scenario("/nonexistent/scenario.yaml"), ConfigError);
}

}  // namespace
}  // namespace spop::sim
