// Expectations: the value specs of variables, the per-request check (with the standard example's eleven
// variables) and the run totals (error rate, latency quantiles).
#include "simulator/expectations.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/simulator/sim_test_support.hpp"

namespace spop::sim {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;
using testing::IsEmpty;

VarMatcher matcher(std::string_view spec) {
  std::string error;
  std::optional<VarMatcher> m = VarMatcher::parse(spec, error);
  EXPECT_TRUE(m) << spec << ": " << error;
  return m.value_or(*VarMatcher::parse("present", error));
}

bool matches(std::string_view spec, const spop::Value& v) { return matcher(spec).matches(&v); }

std::string spec_error(std::string_view spec) {
  std::string error;
  EXPECT_FALSE(VarMatcher::parse(spec, error)) << spec;
  return error;
}

TEST(VarMatcher, PresentAndAbsent) {
  const spop::Value one = spop::Value::int32(1);
  EXPECT_TRUE(matcher("present").matches(&one));
  EXPECT_FALSE(matcher("present").matches(nullptr));
  EXPECT_TRUE(matcher("absent").matches(nullptr));
  EXPECT_FALSE(matcher("absent").matches(&one));
  const spop::Value null;  // a NULL set-var unsets the variable in HAProxy
  EXPECT_TRUE(matcher("absent").matches(&null));
  EXPECT_FALSE(matcher("present").matches(&null));
  EXPECT_FALSE(matcher("int").matches(&null));
}

TEST(VarMatcher, Types) {
  EXPECT_TRUE(matches("int", spop::Value::int32(1)));
  EXPECT_TRUE(matches("int", spop::Value::uint64(1)));
  EXPECT_FALSE(matches("int", spop::Value::string("1")));
  EXPECT_TRUE(matches("int32", spop::Value::int32(1)));
  EXPECT_FALSE(matches("int32", spop::Value::int64(1)));
  EXPECT_TRUE(matches("uint32", spop::Value::uint32(1)));
  EXPECT_TRUE(matches("int64", spop::Value::int64(1)));
  EXPECT_TRUE(matches("uint64", spop::Value::uint64(1)));
  EXPECT_TRUE(matches("bool", spop::Value::boolean(false)));
  EXPECT_TRUE(matches("ipv4", spop::Value::ipv4({{1, 2, 3, 4}})));
  EXPECT_TRUE(matches("ipv6", spop::Value::ipv6(test::v6("::1"))));
  EXPECT_FALSE(matches("ipv6", spop::Value::ipv4({{1, 2, 3, 4}})));
  EXPECT_TRUE(matches("str", spop::Value::string("x")));
  EXPECT_FALSE(matches("str", spop::Value::binary("x")));
  EXPECT_TRUE(matches("bin", spop::Value::binary("x")));
}

TEST(VarMatcher, ExactValues) {
  EXPECT_TRUE(matches("int32:1234", spop::Value::int32(1234)));
  EXPECT_FALSE(matches("int32:1234", spop::Value::int32(1235)));
  EXPECT_FALSE(matches("int32:1234", spop::Value::uint32(1234)));  // the wire type counts
  EXPECT_TRUE(matches("int:1234", spop::Value::uint64(1234)));
  EXPECT_TRUE(matches("int:-5", spop::Value::int64(-5)));
  EXPECT_FALSE(matches("int:-5", spop::Value::uint64(static_cast<std::uint64_t>(-5))));  // 2^64-5, not -5
  EXPECT_TRUE(matches("uint64:18446744073709551615", spop::Value::uint64(UINT64_MAX)));
  EXPECT_TRUE(matches("int64:-9223372036854775808", spop::Value::int64(INT64_MIN)));
  EXPECT_TRUE(matches("bool:true", spop::Value::boolean(true)));
  EXPECT_FALSE(matches("bool:true", spop::Value::boolean(false)));
  EXPECT_TRUE(matches("ipv4:127.0.0.1", spop::Value::ipv4({{127, 0, 0, 1}})));
  EXPECT_TRUE(matches("ipv6:1::f", spop::Value::ipv6(test::v6("1:0::f"))));
  EXPECT_TRUE(matches("str:\"1::f\"", spop::Value::string("1::f")));
  EXPECT_TRUE(matches("str:plain text", spop::Value::string("plain text")));
  EXPECT_TRUE(matches(R"(str:"a\"b\\c\x00")", spop::Value::string(std::string_view("a\"b\\c\0", 6))));
  EXPECT_TRUE(matches("str:", spop::Value::string("")));
  EXPECT_TRUE(matches("bin:\"1::f\"", spop::Value::binary("1::f")));
  EXPECT_TRUE(matches("bin:313a3A66", spop::Value::binary("1::f")));
  EXPECT_FALSE(matches("bin:313a3a66", spop::Value::string("1::f")));
}

TEST(VarMatcher, Ranges) {
  EXPECT_TRUE(matches("int:1..100", spop::Value::int32(1)));
  EXPECT_TRUE(matches("int:1..100", spop::Value::int32(100)));
  EXPECT_FALSE(matches("int:1..100", spop::Value::int32(0)));
  EXPECT_FALSE(matches("int:1..100", spop::Value::int32(101)));
  EXPECT_FALSE(matches("int:1..100", spop::Value::int32(-50)));
  EXPECT_TRUE(matches("int:..0", spop::Value::int64(INT64_MIN)));
  EXPECT_TRUE(matches("int:-10..", spop::Value::uint64(UINT64_MAX)));
  EXPECT_FALSE(matches("int:..9223372036854775807", spop::Value::uint64(UINT64_MAX)));
  EXPECT_TRUE(matches("int32:1..100", spop::Value::int32(42)));
  EXPECT_FALSE(matches("int32:1..100", spop::Value::int64(42)));
}

TEST(VarMatcher, SpecErrors) {
  EXPECT_EQ(spec_error("string:x"), "unknown value spec 'string:x': expected present, absent or <type>[:<value>] "
                                    "with a type among int, int32, uint32, int64, uint64, bool, ipv4, ipv6, str, bin");
  EXPECT_EQ(spec_error("int:x"), "bad value spec 'int:x': 'x' is not an integer");
  EXPECT_EQ(spec_error("int:.."), "bad value spec 'int:..': a range needs at least one bound");
  EXPECT_EQ(spec_error("int:a..1"), "bad value spec 'int:a..1': bad lower bound 'a'");
  EXPECT_EQ(spec_error("int:1..b"), "bad value spec 'int:1..b': bad upper bound 'b'");
  EXPECT_EQ(spec_error("int:18446744073709551616"), "bad value spec 'int:18446744073709551616': '18446744073709551616' "
                                                    "is not an integer");
  EXPECT_EQ(spec_error("bool:yes"), "bad value spec 'bool:yes': bool expects true or false");
  EXPECT_EQ(spec_error("ipv4:::1"), "bad value spec 'ipv4:::1': '::1' is not an IPv4 address");
  EXPECT_EQ(spec_error("ipv6:x"), "bad value spec 'ipv6:x': 'x' is not an IPv6 address");
  EXPECT_EQ(spec_error("str:\"a"), "bad value spec 'str:\"a': bad quoted string \"a");
  EXPECT_EQ(spec_error("bin:abc"), "bad value spec 'bin:abc': bin expects hex digits in pairs or a quoted string");
}

// What the standard example's handler sets (script-api.md), as HAProxy would hold it after the ACK.
VariableMap standard_variables() {
  static const spop::Ipv6Address ipv6 = test::v6("1::f");
  return {
      {"txn.iprep.boolean", spop::Value::boolean(true)},
      {"txn.iprep.int32", spop::Value::int32(1234)},
      {"txn.iprep.uint32", spop::Value::uint32(1234)},
      {"txn.iprep.int64", spop::Value::int64(1234)},
      {"txn.iprep.uint64", spop::Value::uint64(1234)},
      {"txn.iprep.ipv4", spop::Value::ipv4({{127, 0, 0, 1}})},
      {"txn.iprep.ipv6", spop::Value::ipv6(ipv6)},
      {"txn.iprep.str", spop::Value::string("1::f")},
      {"txn.iprep.bin", spop::Value::binary("1::f")},
      {"sess.iprep.ip_score", spop::Value::int32(42)},
  };
}

Scenario standard_scenario() {
  return load_scenario(std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "sim-standard.yaml");
}

const std::vector<std::string_view> sent = {"check-client-ip"};

TEST(CheckRequest, TheStandardExamplePasses) {
  const Scenario s = standard_scenario();
  EXPECT_THAT(check_request(s.expect, sent, standard_variables()), IsEmpty());
  VariableMap with_null = standard_variables();
  with_null.emplace("txn.iprep.null", spop::Value::null());  // NULL means unset
  EXPECT_THAT(check_request(s.expect, sent, with_null), IsEmpty());
}

TEST(CheckRequest, ViolationsNameTheVariableTheValueAndTheSpec) {
  const Scenario s = standard_scenario();
  VariableMap vars = standard_variables();
  vars["sess.iprep.ip_score"] = spop::Value::int32(500);
  vars["txn.iprep.int32"] = spop::Value::uint32(1234);
  vars.erase("txn.iprep.str");
  vars["txn.iprep.null"] = spop::Value::int32(0);
  std::vector<std::string> lines;
  for (const Violation& v : check_request(s.expect, sent, vars)) lines.push_back(to_string(v));
  const std::string file = (std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "sim-standard.yaml").string();
  EXPECT_THAT(lines,
              ElementsAre(file + ":39:7: check-client-ip txn.iprep.null: is int32:0, expected absent",
                          file + ":41:7: check-client-ip txn.iprep.int32: is uint32:1234, expected int32:1234",
                          file + ":47:7: check-client-ip txn.iprep.str: is not set, expected str:\"1::f\"",
                          file + ":49:7: check-client-ip sess.iprep.ip_score: is int32:500, expected int32:1..100"));
}

TEST(CheckRequest, OnlyMessagesTheNotifyCarriedAreChecked) {
  const Scenario s = standard_scenario();
  EXPECT_THAT(check_request(s.expect, {}, {}), IsEmpty());
  const std::vector<std::string_view> other = {"other-message"};
  EXPECT_THAT(check_request(s.expect, other, {}), IsEmpty());
  EXPECT_EQ(check_request(s.expect, sent, {}).size(), 10u);  // all but txn.iprep.null, which must be absent
}

TEST(CheckRequest, AnyOfSeveralSpecs) {
  const Scenario s = test::scenario(R"(load: {count: 1}
requests: [{path: /}]
expect:
  messages:
    m:
      txn.p.kind: [str:"a", int:1..2, absent]
)");
  const std::vector<std::string_view> m = {"m"};
  EXPECT_THAT(check_request(s.expect, m, {{"txn.p.kind", spop::Value::string("a")}}), IsEmpty());
  EXPECT_THAT(check_request(s.expect, m, {{"txn.p.kind", spop::Value::int64(2)}}), IsEmpty());
  EXPECT_THAT(check_request(s.expect, m, {}), IsEmpty());
  const std::vector<Violation> v = check_request(s.expect, m, {{"txn.p.kind", spop::Value::string("b")}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "is str:\"b\", expected one of: str:\"a\", int:1..2, absent");
}

Expectations totals_expectations() {
  return test::scenario(R"(load: {count: 1}
requests: [{path: /}]
expect:
  max_error_rate: 1%
  latency:
    p99: 5ms
    max: 50ms
)").expect;
}

TEST(CheckTotals, ErrorRate) {
  const Expectations e = totals_expectations();
  EXPECT_THAT(check_totals(e, {1000, 10, {}}), IsEmpty());
  const std::vector<Violation> v = check_totals(e, {1000, 11, {}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(to_string(v[0]), "s.yaml:4:19: error rate: 11 of 1000 requests failed (1.1%), above the allowed 1%");
  EXPECT_THAT(check_totals(e, {0, 0, {}}), IsEmpty());  // nothing ran: nothing to judge
}

TEST(CheckTotals, LatencyQuantiles) {
  const Expectations e = totals_expectations();
  auto latency = [](std::chrono::microseconds p99, std::chrono::microseconds max) {
    return [=](double q) { return q >= 1.0 ? max : q >= 0.99 ? p99 : std::chrono::microseconds(0); };
  };
  EXPECT_THAT(check_totals(e, {100, 0, latency(5ms, 50ms)}), IsEmpty());
  std::vector<std::string> lines;
  for (const Violation& v : check_totals(e, {100, 0, latency(5001us, 2s)})) lines.push_back(to_string(v));
  EXPECT_THAT(lines, ElementsAre("s.yaml:6:5: latency p99: is 5001us, above 5ms", "s.yaml:7:5: latency max: is 2s, above 50ms"));
}

}  // namespace
}  // namespace spop::sim
