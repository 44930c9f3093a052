// The SPOE reader on valid files: every keyword, HAProxy 2.6's defaults, scope selection by engine,
// the proxy-kind rules for events, and the resolved model.
#include "simulator/spoe_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/simulator/sim_test_support.hpp"

namespace spop::sim {
namespace {

using namespace std::chrono_literals;
using test::spoe;
using test::spoe_errors;
using test::spoe_warnings;
using testing::ElementsAre;

std::vector<std::string> names_of(const std::vector<SpoeMessage>& messages) {
  std::vector<std::string> out;
  for (const SpoeMessage& m : messages) out.push_back(m.name);
  return out;
}

TEST(SpoeConfig, DefaultsAreHaproxy26s) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m\n"
      "    use-backend be\n"
      "spoe-message m\n"
      "    args src\n"
      "    event on-client-session\n");
  const SpoeAgent& a = c.agent;
  EXPECT_EQ(c.engine_id, "a");
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(to_string(a.where), "t.conf:1");
  EXPECT_EQ(a.backend, "be");
  EXPECT_EQ(a.timeout_hello, std::nullopt);
  EXPECT_EQ(a.timeout_idle, std::nullopt);
  EXPECT_EQ(a.timeout_processing, std::nullopt);
  EXPECT_EQ(a.var_prefix, "a");  // the agent name
  EXPECT_EQ(a.var_on_error, "");
  EXPECT_EQ(a.var_process_time, "");
  EXPECT_EQ(a.var_total_time, "");
  EXPECT_FALSE(a.continue_on_error);
  EXPECT_FALSE(a.force_set_var);
  EXPECT_TRUE(a.registered_vars.empty());
  EXPECT_TRUE(a.pipelining);
  EXPECT_TRUE(a.async);
  EXPECT_TRUE(a.send_frag_payload);
  EXPECT_FALSE(a.dontlog_normal);
  EXPECT_EQ(a.max_frame_size, 16380u);
  EXPECT_EQ(a.max_waiting_frames, 20u);
  EXPECT_EQ(a.max_conn_rate, 0u);
  EXPECT_EQ(a.max_err_rate, 0u);
  EXPECT_TRUE(a.logs.empty());
  EXPECT_TRUE(c.groups.empty());
  EXPECT_THAT(test::strings_of(c.warnings),
              ElementsAre("t.conf:1: missing timeouts for SPOE agent 'a': set all of 'hello', 'idle' and "
                          "'processing' to non-zero values"));
}

TEST(SpoeConfig, EveryAgentKeyword) {
  const SpoeConfig c = spoe(
      "spoe-agent agent-1\n"
      "    messages m1 m2\n"
      "    messages m3\n"
      "    groups g1\n"
      "    use-backend be1\n"
      "    use-backend be2\n"                // the last one wins
      "    timeout hello 100ms\n"
      "    timeout idle 2m\n"
      "    timeout processing 1500us\n"      // rounded up to 2ms, as HAProxy stores it
      "    option var-prefix my.prefix_1\n"
      "    option set-on-error err\n"
      "    option set-process-time ptime\n"
      "    option set-total-time ttime\n"
      "    option continue-on-error\n"
      "    option force-set-var\n"
      "    register-var-names a b\n"
      "    register-var-names c\n"
      "    no option pipelining\n"
      "    no option async\n"
      "    no option send-frag-payload\n"
      "    option dontlog-normal\n"
      "    max-frame-size 256\n"
      "    max-waiting-frames 5\n"
      "    maxconnrate 10\n"
      "    maxerrrate 3\n"
      "    log global\n"
      "    log 127.0.0.1:514 local0 info\n"
      "spoe-message m1\n"
      "    args src\n"
      "    event on-client-session\n"
      "spoe-message m2\n"
      "    args src\n"
      "    event on-client-session\n"
      "spoe-message m3\n"
      "    args src\n"
      "    event on-client-session\n"
      "spoe-group g1\n"
      "    messages m1\n");
  const SpoeAgent& a = c.agent;
  EXPECT_EQ(a.name, "agent-1");
  EXPECT_EQ(a.backend, "be2");
  EXPECT_EQ(a.timeout_hello, 100ms);
  EXPECT_EQ(a.timeout_idle, 120000ms);
  EXPECT_EQ(a.timeout_processing, 2ms);
  EXPECT_EQ(a.var_prefix, "my.prefix_1");
  EXPECT_EQ(a.var_on_error, "err");
  EXPECT_EQ(a.var_process_time, "ptime");
  EXPECT_EQ(a.var_total_time, "ttime");
  EXPECT_TRUE(a.continue_on_error);
  EXPECT_TRUE(a.force_set_var);
  EXPECT_THAT(a.registered_vars, ElementsAre("a", "b", "c"));
  EXPECT_FALSE(a.pipelining);
  EXPECT_FALSE(a.async);
  EXPECT_FALSE(a.send_frag_payload);
  EXPECT_TRUE(a.dontlog_normal);
  EXPECT_EQ(a.max_frame_size, 256u);
  EXPECT_EQ(a.max_waiting_frames, 5u);
  EXPECT_EQ(a.max_conn_rate, 10u);
  EXPECT_EQ(a.max_err_rate, 3u);
  EXPECT_THAT(a.logs, ElementsAre("global", "127.0.0.1:514 local0 info"));
  EXPECT_THAT(names_of(c.messages), ElementsAre("m1", "m2", "m3"));
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_TRUE(c.warnings.empty()) << test::strings_of(c.warnings)[0];
}

TEST(SpoeConfig, OptionsToggleBackAndLogsClear) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m\n"
      "    use-backend be\n"
      "    no option pipelining\n"
      "    option pipelining\n"
      "    option dontlog-normal\n"
      "    no option dontlog-normal\n"
      "    log global\n"
      "    no log\n"
      "    max-frame-size 16380\n"
      "spoe-message m\n"
      "    event on-client-session\n");
  EXPECT_TRUE(c.agent.pipelining);
  EXPECT_FALSE(c.agent.dontlog_normal);
  EXPECT_TRUE(c.agent.logs.empty());
  EXPECT_EQ(c.agent.max_frame_size, 16380u);
}

TEST(SpoeConfig, ZeroTimeoutMeansNoTimeout) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m\n"
      "    use-backend be\n"
      "    timeout hello 0\n"
      "    timeout idle 0s\n"
      "    timeout processing 1\n"
      "spoe-message m\n"
      "    event on-client-session\n");
  EXPECT_EQ(c.agent.timeout_hello, std::nullopt);
  EXPECT_EQ(c.agent.timeout_idle, std::nullopt);
  EXPECT_EQ(c.agent.timeout_processing, 1ms);
  EXPECT_EQ(c.warnings.size(), 1u);  // missing timeouts
}

TEST(SpoeConfig, TrailingTimerCharactersWarnLikeHaproxy) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m\n"
      "    use-backend be\n"
      "    timeout hello 1sec\n"
      "    timeout idle 1s\n"
      "    timeout processing 1s\n"
      "spoe-message m\n"
      "    event on-client-session\n");
  EXPECT_EQ(c.agent.timeout_hello, 1000ms);
  EXPECT_THAT(test::strings_of(c.warnings),
              ElementsAre("t.conf:4: unexpected character 'e' after the timer value '1sec', only "
                          "(us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. "
                          "This will be reported as an error in next versions"));
}

TEST(SpoeConfig, MessagesFollowTheMessagesLinesNotTheSections) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m3 m1\n"
      "    messages m2\n"
      "    use-backend be\n"
      "spoe-message m1\n"
      "    event on-frontend-http-request\n"
      "spoe-message m2\n"
      "    event on-frontend-http-request\n"
      "spoe-message m3\n"
      "    event on-frontend-http-request\n"
      "spoe-message unused\n"
      "    event on-frontend-http-request\n");
  EXPECT_THAT(names_of(c.messages), ElementsAre("m3", "m1", "m2"));
  EXPECT_EQ(c.find_message("unused"), nullptr);
  ASSERT_NE(c.find_message("m2"), nullptr);
  EXPECT_EQ(to_string(c.find_message("m2")->where), "t.conf:7");
}

TEST(SpoeConfig, MessageArgsAclsAndTheLastEventWins) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m\n"
      "    use-backend be\n"
      "spoe-message m\n"
      "    args ip=src req.hdr(host)\n"
      "    args =dst port=dst_port\n"
      "    acl is_local src 127.0.0.1\n"
      "    acl has_host req.hdr(host) -m found\n"
      "    event on-client-session\n"
      "    event on-frontend-http-request if is_local !has_host || { path /x }\n");
  ASSERT_EQ(c.messages.size(), 1u);
  const SpoeMessage& m = c.messages[0];
  ASSERT_EQ(m.args.size(), 4u);
  EXPECT_EQ(m.args[0].name, "ip");
  EXPECT_EQ(m.args[0].expr.fetch, Fetch::src);
  EXPECT_EQ(m.args[1].name, "");
  EXPECT_EQ(m.args[1].expr.fetch, Fetch::req_hdr);
  EXPECT_EQ(m.args[1].expr.bytes, "host");
  EXPECT_EQ(m.args[2].name, "");  // "=dst": an empty name, as HAProxy reads it
  EXPECT_EQ(m.args[2].expr.fetch, Fetch::dst);
  EXPECT_EQ(m.args[3].name, "port");
  EXPECT_THAT(m.acls, ElementsAre("is_local src 127.0.0.1", "has_host req.hdr(host) -m found"));
  EXPECT_EQ(m.event, Event::on_frontend_http_request);
  EXPECT_EQ(m.condition, "if is_local !has_host || { path /x }");
}

TEST(SpoeConfig, EventWithoutConditionAndUnless) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m n\n"
      "    use-backend be\n"
      "spoe-message m\n"
      "    event on-frontend-http-request if { src 1.2.3.4 }\n"
      "    event on-frontend-tcp-request\n"
      "spoe-message n\n"
      "    event on-frontend-http-request unless { path /x }\n");
  EXPECT_EQ(c.messages[0].event, Event::on_frontend_tcp_request);
  EXPECT_EQ(c.messages[0].condition, "");  // the last event line carries none
  EXPECT_EQ(c.messages[1].condition, "unless { path /x }");
}

TEST(SpoeConfig, EveryEventName) {
  for (Event e : all_events) {
    const std::string text = "spoe-agent a\n    messages m\n    use-backend be\nspoe-message m\n    event " +
                             std::string(to_string(e)) + "\n";
    const SpoeConfig c = spoe(text);
    ASSERT_EQ(c.messages.size(), 1u) << to_string(e);
    EXPECT_EQ(c.messages[0].event, e);
  }
}

TEST(SpoeConfig, GroupsHoldCopiesOfTheirMessagesInGroupOrder) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    groups g2 g1\n"
      "    use-backend be\n"
      "spoe-group g1\n"
      "    messages x y\n"
      "spoe-group g2\n"
      "    messages z\n"
      "spoe-group unused\n"
      "    messages nosuch\n"  // HAProxy checks only the groups the agent uses
      "spoe-message x\n"
      "    args src\n"
      "spoe-message y\n"
      "    args str(y)\n"
      "spoe-message z\n"
      "    args int(1)\n");
  ASSERT_EQ(c.groups.size(), 2u);
  EXPECT_EQ(c.groups[0].name, "g2");
  EXPECT_EQ(c.groups[1].name, "g1");
  EXPECT_EQ(to_string(c.groups[1].where), "t.conf:4");
  EXPECT_THAT(names_of(c.groups[1].messages), ElementsAre("x", "y"));
  EXPECT_EQ(c.groups[1].messages[1].args[0].expr.bytes, "y");
  EXPECT_TRUE(c.messages.empty());  // group messages need no event
  ASSERT_NE(c.find_group("g1"), nullptr);
  EXPECT_EQ(c.find_group("unused"), nullptr);
}

TEST(SpoeConfig, MessageWithoutEventIsIgnoredWithAWarning) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m n\n"
      "    use-backend be\n"
      "    timeout hello 1s\n"
      "    timeout idle 1s\n"
      "    timeout processing 1s\n"
      "spoe-message m\n"
      "    args path\n"
      "spoe-message n\n"
      "    event on-client-session\n");
  EXPECT_THAT(names_of(c.messages), ElementsAre("n"));
  EXPECT_THAT(test::strings_of(c.warnings), ElementsAre("t.conf:7: Ignore SPOE message 'm' without event"));
}

TEST(SpoeConfig, AgentWithoutMessagesWarns) {
  EXPECT_THAT(spoe_warnings("spoe-agent a\n    use-backend be\n    timeout hello 1\n    timeout idle 1\n"
                            "    timeout processing 1\n"),
              ElementsAre("t.conf:1: No message/group used by SPOE agent 'a'"));
}

TEST(SpoeConfig, QuotesAndEnvironmentInValues) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages m\n"
      "    use-backend \"$FOO\"\n"
      "spoe-message m\n"
      "    args 'str(hello world)' s=str(a\\ b)\n"
      "    event on-client-session\n");
  EXPECT_EQ(c.agent.backend, "bar");
  EXPECT_EQ(c.messages[0].args[0].expr.bytes, "hello world");
  EXPECT_EQ(c.messages[0].args[1].expr.bytes, "a b");
}

// --- engine scopes (spop-protocol.md §7) -----------------------------------------------------------

constexpr std::string_view scoped_file =
    "spoe-agent outside\n"          // 1: read only without an engine
    "    messages m\n"
    "    use-backend be0\n"
    "spoe-message m\n"
    "    event on-client-session\n"
    "[one]\n"                       // 6
    "spoe-agent agent_one\n"
    "    messages m\n"
    "    use-backend be1\n"
    "spoe-message m\n"
    "    args int(1)\n"
    "    event on-client-session\n"
    "[two]\n"                       // 13
    "spoe-agent agent_two\n"
    "    messages m\n"
    "    use-backend be2\n"
    "spoe-message m\n"
    "    args int(2)\n"
    "    event on-client-session\n";

TEST(SpoeConfigScopes, AnEngineReadsOnlyItsScope) {
  SpoeLoadOptions o;
  o.engine = "two";
  const SpoeConfig c = spoe(scoped_file, o);
  EXPECT_EQ(c.engine_id, "two");
  EXPECT_EQ(c.agent.name, "agent_two");
  EXPECT_EQ(c.agent.backend, "be2");
  EXPECT_EQ(to_string(c.agent.where), "t.conf:14");
  EXPECT_EQ(c.messages[0].args[0].expr.number, 2);
}

TEST(SpoeConfigScopes, WithoutAnEngineOnlyUnscopedLinesAreRead) {
  const SpoeConfig c = spoe(scoped_file);
  EXPECT_EQ(c.engine_id, "outside");
  EXPECT_EQ(c.agent.backend, "be0");
  EXPECT_TRUE(c.messages[0].args.empty());
  // HAProxy says nothing; spop-sim points at the likely mistake.
  EXPECT_THAT(test::strings_of(c.warnings),
              testing::Contains("t.conf: scope [one], [two] ignored: without an engine name only lines outside scopes "
                                "are read"));
}

TEST(SpoeConfigScopes, TheEngineScopeMustExist) {
  SpoeLoadOptions o;
  o.engine = "three";
  EXPECT_THAT(spoe_errors(scoped_file, o),
              ElementsAre("t.conf: No SPOE agent found in file t.conf (engine 'three' reads only the [three] "
                          "scope, which the file lacks)"));
  o.engine = "test";
  EXPECT_THAT(spoe_errors("spoe-agent a\n    use-backend be\n", o),
              ElementsAre("t.conf: No SPOE agent found in file t.conf (engine 'test' reads only the [test] "
                          "scope, which the file lacks)"));
}

TEST(SpoeConfigScopes, WithoutAnEngineAScopedOnlyFileHasNoAgent) {
  EXPECT_THAT(spoe_errors("[test]\nspoe-agent a\n    use-backend be\n"),
              ElementsAre("t.conf: No SPOE agent found in file t.conf (without an engine name only lines outside "
                          "scopes are read; this file has scope [test]: use 'filter spoe engine test config ...')"));
}

TEST(SpoeConfigScopes, AScopeDoesNotLeakIntoAnotherOne) {
  // Without an engine, the message after [other] is not read: the agent's message is undefined.
  EXPECT_THAT(spoe_errors("spoe-agent a\n    messages m\n    use-backend be\n[other]\nspoe-message m\n"
                          "    event on-client-session\n"),
              ElementsAre("t.conf:2: SPOE agent 'a' try to use undefined SPOE message 'm'"));
}

// --- the proxy that holds the filter --------------------------------------------------------------

constexpr std::string_view backend_events =
    "spoe-agent a\n"
    "    messages fe-tcp be-tcp be-http sess\n"
    "    use-backend be\n"
    "    timeout hello 1s\n"
    "    timeout idle 1s\n"
    "    timeout processing 1s\n"
    "spoe-message fe-tcp\n"      // 7
    "    event on-frontend-tcp-request\n"
    "spoe-message be-tcp\n"
    "    event on-backend-tcp-request\n"
    "spoe-message be-http\n"
    "    event on-backend-http-request\n"
    "spoe-message sess\n"        // 13
    "    event on-client-session\n";

TEST(SpoeConfigProxy, InAListenBackendRequestEventsBecomeFrontendOnes) {
  SpoeLoadOptions o;
  o.proxy = ProxyKind::listen;
  const SpoeConfig c = spoe(backend_events, o);
  ASSERT_EQ(c.messages.size(), 4u);
  EXPECT_EQ(c.messages[1].event, Event::on_frontend_tcp_request);
  EXPECT_EQ(c.messages[2].event, Event::on_frontend_http_request);
}

TEST(SpoeConfigProxy, InABackendFrontendEventsAreIgnoredWithAWarning) {
  SpoeLoadOptions o;
  o.proxy = ProxyKind::backend;
  const SpoeConfig c = spoe(backend_events, o);
  EXPECT_THAT(names_of(c.messages), ElementsAre("be-tcp", "be-http"));
  EXPECT_EQ(c.messages[0].event, Event::on_backend_tcp_request);
  EXPECT_THAT(test::strings_of(c.warnings),
              ElementsAre("t.conf:7: frontend event used on a backend proxy: SPOE message 'fe-tcp' ignored",
                          "t.conf:13: frontend event used on a backend proxy: SPOE message 'sess' ignored"));
}

TEST(SpoeConfigProxy, InAFrontendEveryEventStays) {
  const SpoeConfig c = spoe(backend_events);
  EXPECT_EQ(c.messages.size(), 4u);
  EXPECT_EQ(c.messages[1].event, Event::on_backend_tcp_request);
}

// --- what a NOTIFY carries ------------------------------------------------------------------------

TEST(SpoeConfig, MessagesForAnEventAndTheirEvaluation) {
  const SpoeConfig c = spoe(
      "spoe-agent a\n"
      "    messages first sess second\n"
      "    use-backend be\n"
      "spoe-message first\n"
      "    args ip=src host=req.hdr(host)\n"
      "    event on-frontend-http-request\n"
      "spoe-message sess\n"
      "    args src_port\n"
      "    event on-client-session\n"
      "spoe-message second\n"
      "    args method\n"
      "    event on-frontend-http-request\n");
  std::vector<const SpoeMessage*> http = c.messages_for(Event::on_frontend_http_request);
  ASSERT_EQ(http.size(), 2u);
  EXPECT_EQ(http[0]->name, "first");
  EXPECT_EQ(http[1]->name, "second");
  EXPECT_TRUE(c.messages_for(Event::on_http_response).empty());

  Request r;
  r.headers = {{"Host", "example.com"}};
  const std::vector<EvaluatedMessage> notify = evaluate_event(c, Event::on_frontend_http_request, r);
  ASSERT_EQ(notify.size(), 2u);
  EXPECT_EQ(notify[0].name(), "first");
  ASSERT_EQ(notify[0].arguments().size(), 2u);
  EXPECT_EQ(notify[0].arguments()[1].name, "host");
  EXPECT_EQ(notify[0].arguments()[1].value, spop::Value::string("example.com"));
  EXPECT_EQ(notify[1].arguments()[0].value, spop::Value::string("GET"));
}

TEST(SpoeConfig, LoadsFromAFile) {
  test::TempDir dir;
  const auto path = dir.write("agent.conf", "spoe-agent a\n    use-backend be\n");
  const SpoeConfig c = load_spoe_config(path);
  EXPECT_EQ(c.agent.name, "a");
  EXPECT_EQ(c.agent.where.file, path.string());
}

}  // namespace
}  // namespace spop::sim
