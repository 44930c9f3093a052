// Every error of the SPOE reader, with its exact "file:line: message". The texts follow what HAProxy
// 2.6.12 prints for the same line (checked with `haproxy -c`), minus its "parsing [...] :" prefix and
// final period, except where spop-sim reports something HAProxy accepts or words it more helpfully.
#include "simulator/spoe_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/simulator/sim_test_support.hpp"

namespace spop::sim {
namespace {

using test::spoe_errors;
using testing::ElementsAre;
using testing::StartsWith;

// A valid file whose spoe-agent section continues with `extra` from line 7 on.
std::string agent_with(std::string_view extra) {
  return "spoe-agent a\n"
         "    messages m\n"
         "    use-backend be\n"
         "    timeout hello 1s\n"
         "    timeout idle 1s\n"
         "    timeout processing 1s\n" +
         std::string(extra) +
         "spoe-message m\n"
         "    args src\n"
         "    event on-frontend-http-request\n";
}

// A valid file whose spoe-message section continues with `extra` from line 7 on.
std::string message_with(std::string_view extra) {
  return "spoe-agent a\n"
         "    messages m\n"
         "    use-backend be\n"
         "spoe-message m\n"
         "    args src\n"
         "    event on-frontend-http-request\n" +
         std::string(extra);
}

struct LineCase {
  const char* line;
  const char* error;
};

TEST(SpoeConfigErrors, AgentKeywords) {
  const LineCase cases[] = {
      {"    foo bar\n", "unknown keyword 'foo' in spoe-agent section"},
      {"    messages m\n", "spoe-message 'm' already used"},
      {"    groups g g\n", "spoe-group 'g' already used"},
      {"    use-backend\n", "'use-backend' expects a backend name"},
      {"    use-backend b c\n", "'use-backend' cannot handle unexpected argument 'c'"},
      {"    timeout\n", "'timeout' expects 'hello', 'idle' and 'processing'"},
      {"    timeout foo 1s\n", "'timeout' supports 'hello', 'idle' or 'processing' (got foo)"},
      {"    timeout hello 1s 2s\n", "'timeout' cannot handle unexpected argument '2s'"},
      {"    timeout idle\n", "'timeout idle' expects an integer value (in milliseconds)"},
      {"    timeout hello 1x\n", "unexpected character 'x' in 'timeout hello'"},
      {"    timeout hello 1.5s\n", "unexpected character '.' in 'timeout hello'"},
      {"    timeout processing 25d\n",
       "timer overflow in argument <25d> to <timeout processing>, maximum value is 2147483647 ms (~24.8 days)"},
      {"    option\n", "'option' expects an option name"},
      {"    option bogus\n", "option 'bogus' is not supported"},
      {"    option pipelining extra\n", "'option' cannot handle unexpected argument 'extra'"},
      {"    option continue-on-error x\n", "'option' cannot handle unexpected argument 'x'"},
      {"    no option var-prefix x\n", "negation is not supported for option 'var-prefix'"},
      {"    no option force-set-var\n", "negation is not supported for option 'force-set-var'"},
      {"    option var-prefix\n", "'option var-prefix' expects a value"},
      {"    option var-prefix a-b\n", "'option var-prefix' only supports [a-zA-Z0-9_.] chars"},
      {"    option set-on-error a b\n", "'option' cannot handle unexpected argument 'b'"},
      {"    option set-on-error e$\n", "'option set-on-error' only supports [a-zA-Z0-9_.] chars"},
      {"    option set-process-time x-y\n", "'option set-process-time' only supports [a-zA-Z0-9_.] chars"},
      {"    option set-total-time\n", "'option set-total-time' expects a value"},
      {"    no messages m\n", "negation is only supported for 'option' and 'log' in SPOE sections"},
      {"    no timeout hello 1s\n", "negation is only supported for 'option' and 'log' in SPOE sections"},
      {"    default option async\n", "'default' prefix is not supported in SPOE sections"},
      {"    max-frame-size\n", "'max-frame-size' expects an integer argument"},
      {"    max-frame-size 255\n", "'max-frame-size' expects a positive integer argument in the range [256, 16380]"},
      {"    max-frame-size 16381\n", "'max-frame-size' expects a positive integer argument in the range [256, 16380]"},
      {"    max-frame-size 1 2\n", "'max-frame-size' cannot handle unexpected argument '2'"},
      {"    max-waiting-frames 0\n", "'max-waiting-frames' expects a positive integer argument"},
      {"    max-waiting-frames\n", "'max-waiting-frames' expects an integer argument"},
      {"    maxconnrate\n", "'maxconnrate' expects an integer argument"},
      {"    maxerrrate x\n", "'maxerrrate' expects an integer argument"},  // HAProxy takes atol("x") = 0
      {"    register-var-names\n", "'register-var-names' expects one or more variable names"},
      {"    log\n", "log : expects <address> and <facility> or global as arguments"},
      {"    log 127.0.0.1\n", "log : expects <address> and <facility> or global as arguments"},
  };
  for (const LineCase& c : cases) {
    EXPECT_THAT(spoe_errors(agent_with(c.line)), ElementsAre(std::string("t.conf:7: ") + c.error)) << c.line;
  }
}

TEST(SpoeConfigErrors, MessageKeywords) {
  const LineCase cases[] = {
      {"    args src,ipmask(24)\n", "'args': converters are not supported by spop-sim ('src,ipmask(24)')"},
      {"    args int(x)\n", "'args': fetch method 'int' : failed to parse 'x' as type 'integer' at position 1"},
      {"    args x=\n", "'args': missing fetch method"},
      {"    args src)\n", "'args': missing comma after fetch keyword 'src'"},
      {"    event\n", "missing event name"},
      {"    event on-foo\n", "unknown event 'on-foo'"},
      {"    event on-frontend-http-request foo\n",
       "'event on-frontend-http-request' expects either 'if' or 'unless' followed by a condition but found 'foo'"},
      {"    acl or src 1.2.3.4\n",
       "acl name 'or' will never match. 'or' is used to express a logical disjunction within a condition"},
      {"    acl a$ src\n", "character '$' is not permitted in acl name 'a$'"},
      {"    acl x\n", "error detected while parsing ACL 'x' : missing fetch method in ACL expression ''"},
      // HAProxy 2.6 silently ignores unknown keywords in spoe-message sections; spop-sim reports them.
      {"    bar baz\n", "unknown keyword 'bar' in spoe-message section"},
      {"    no args src\n", "negation is only supported for 'option' and 'log' in SPOE sections"},
  };
  for (const LineCase& c : cases) {
    EXPECT_THAT(spoe_errors(message_with(c.line)), ElementsAre(std::string("t.conf:7: ") + c.error)) << c.line;
  }
}

TEST(SpoeConfigErrors, AnUnknownFetchNamesItAndWhatIsSupported) {
  EXPECT_THAT(spoe_errors(message_with("    args ok=src bad=req.cook(sid)\n")),
              ElementsAre("t.conf:7: 'args': unknown or unsupported fetch method 'req.cook' (spop-sim supports src, "
                          "src_port, dst, dst_port, req.hdr, req.fhdr, hdr, path, method, url, ssl_fc, int, str, "
                          "bool, ipv4, ipv6, bin, always_true, always_false)"));
}

TEST(SpoeConfigErrors, GroupKeywords) {
  const std::string head = "spoe-agent a\n    groups g\n    use-backend be\nspoe-group g\n";
  EXPECT_THAT(spoe_errors(head + "    foo\n"), ElementsAre("t.conf:5: unknown keyword 'foo' in spoe-group section"));
  EXPECT_THAT(spoe_errors(head + "    messages m m\n"), ElementsAre("t.conf:5: spoe-message 'm' already used"));
}

TEST(SpoeConfigErrors, OutOfSection) {
  EXPECT_THAT(spoe_errors("global\n    maxconn 10\n" + agent_with("")),
              ElementsAre("t.conf:1: unknown keyword 'global' out of section",
                          "t.conf:2: unknown keyword 'maxconn' out of section"));
}

// HAProxy stops reading the file after a malformed section header (ERR_ABORT).
TEST(SpoeConfigErrors, SectionHeadersAbortTheFile) {
  const LineCase cases[] = {
      {"spoe-agent\n", "missing name for spoe-agent section"},
      {"spoe-message\n", "missing name for spoe-message section"},
      {"spoe-group\n", "missing name for spoe-group section"},
      {"spoe-message n x\n", "'spoe-message' cannot handle unexpected argument 'x'"},
      {"spoe-group a$\n", "character '$' is not permitted in 'spoe-group' name 'a$'"},
      {"spoe-agent b\n", "another spoe-agent section previously defined"},
  };
  for (const LineCase& c : cases) {
    // Line 10 is the header; line 11 would be an error too if reading went on.
    EXPECT_THAT(spoe_errors(agent_with("") + c.line + "    bogus\n"), ElementsAre(std::string("t.conf:10: ") + c.error))
        << c.line;
  }
}

TEST(SpoeConfigErrors, DuplicateSections) {
  EXPECT_THAT(
      spoe_errors(agent_with("") + "spoe-message m\n    args dst\nspoe-group g\nspoe-group g\n"),
      ElementsAre("t.conf:10: spoe-message section 'm' has the same name as another one declared at t.conf:7",
                  "t.conf:13: spoe-group section 'g' has the same name as another one declared at t.conf:12"));
}

TEST(SpoeConfigErrors, SeveralLineErrorsAreReportedTogether) {
  EXPECT_THAT(spoe_errors(agent_with("    foo\n    timeout hello x\n") + "    event on-nothing\n"),
              ElementsAre("t.conf:7: unknown keyword 'foo' in spoe-agent section",
                          "t.conf:8: unexpected character 'x' in 'timeout hello'",
                          "t.conf:12: unknown event 'on-nothing'"));
}

TEST(SpoeConfigErrors, LexerErrorsCarryTheirLine) {
  EXPECT_THAT(spoe_errors(agent_with("    use-backend \"be\n")), ElementsAre("t.conf:7: unmatched quote"));
}

// --- errors found when the sections are put together -------------------------------------------------

TEST(SpoeConfigErrors, MissingBackend) {
  EXPECT_THAT(spoe_errors("spoe-agent a\n    messages m\nspoe-message m\n    event on-client-session\n"),
              ElementsAre("t.conf:1: No backend declared for SPOE agent 'a'"));
}

TEST(SpoeConfigErrors, InvalidDefaultVariablePrefix) {
  EXPECT_THAT(spoe_errors("spoe-agent test-agent\n    use-backend be\n"),
              ElementsAre("t.conf:1: Invalid variable prefix 'test-agent' for SPOE agent 'test-agent'. Use 'option "
                          "var-prefix' to set it. Only [a-zA-Z0-9_.] chars are supported"));
}

TEST(SpoeConfigErrors, UndefinedMessagesAndGroups) {
  EXPECT_THAT(spoe_errors("spoe-agent a\n"
                          "    messages m zz\n"
                          "    groups g1 g3\n"
                          "    use-backend be\n"
                          "spoe-group g1\n"
                          "    messages m x\n"
                          "spoe-message m\n"
                          "    event on-client-session\n"),
              ElementsAre("t.conf:2: SPOE agent 'a' try to use undefined SPOE message 'zz'",
                          "t.conf:6: SPOE group 'g1' try to use undefined SPOE message 'x'",
                          "t.conf:3: SPOE agent 'a' try to use undefined SPOE group 'g3'"));
}

TEST(SpoeConfigErrors, AMessageBelongsToOneGroupAtMost) {
  EXPECT_THAT(spoe_errors("spoe-agent a\n"
                          "    groups g1 g2\n"
                          "    use-backend be\n"
                          "spoe-group g1\n"
                          "    messages m\n"
                          "spoe-group g2\n"
                          "    messages m\n"
                          "spoe-message m\n"
                          "    args src\n"),
              ElementsAre("t.conf:7: SPOE message 'm' already belongs to the SPOE group 'g1' declared at t.conf:4"));
}

// HAProxy refuses a message whose fetches cannot run at its event (checked for each fetch and event
// against 2.6.12; see sample_test.cpp for the whole table).
TEST(SpoeConfigErrors, FetchNotAvailableAtTheEvent) {
  EXPECT_THAT(spoe_errors("spoe-agent a\n"
                          "    messages p\n"
                          "    use-backend be\n"
                          "spoe-message p\n"
                          "    args src path req.hdr(host)\n"
                          "    event on-client-session\n"),
              ElementsAre("t.conf:4: SPOE message 'p': fetch 'path' is not available at event 'on-client-session'",
                          "t.conf:4: SPOE message 'p': fetch 'req.hdr' is not available at event "
                          "'on-client-session'"));
}

TEST(SpoeConfigErrors, ResolutionErrorsAreCollectedTogether) {
  EXPECT_THAT(spoe_errors("spoe-agent a-b\n    messages zz\n"),
              ElementsAre("t.conf:1: No backend declared for SPOE agent 'a-b'",
                          StartsWith("t.conf:1: Invalid variable prefix 'a-b'"),
                          "t.conf:2: SPOE agent 'a-b' try to use undefined SPOE message 'zz'"));
}

// As HAProxy does, a file with line errors is not resolved: "no backend" would only be noise here.
TEST(SpoeConfigErrors, LineErrorsHideResolutionErrors) {
  EXPECT_THAT(spoe_errors("spoe-agent a\n    bogus\n"),
              ElementsAre("t.conf:2: unknown keyword 'bogus' in spoe-agent section"));
}

TEST(SpoeConfigErrors, NoAgentAtAll) {
  EXPECT_THAT(spoe_errors("spoe-message m\n    args src\n"), ElementsAre("t.conf: No SPOE agent found in file t.conf"));
  EXPECT_THAT(spoe_errors(""), ElementsAre("t.conf: No SPOE agent found in file t.conf"));
}

TEST(SpoeConfigErrors, MissingFile) {
  try {
    load_spoe_config("/nonexistent/spoe.conf");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/spoe.conf: Could not open configuration file: No such file or directory");
  }
}

TEST(SpoeConfigErrors, WhatListsEveryErrorAndWarningsTravelAlong) {
  try {
    parse_spoe_config("spoe-agent a\n    foo\n    timeout hello 1sec\n    bar\n", "t.conf");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "t.conf:2: unknown keyword 'foo' in spoe-agent section\n"
                 "t.conf:4: unknown keyword 'bar' in spoe-agent section");
    EXPECT_EQ(e.warnings().size(), 1u);
  }
}

}  // namespace
}  // namespace spop::sim
