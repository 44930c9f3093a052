#include "spop-cli/arg_parse.hpp"

#include <gtest/gtest.h>

#include "spop-cli/expectations.hpp"

namespace spop_cli {
namespace {

TEST(ArgParse, NamedAndUnnamedArguments) {
  NamedValue nv;
  ASSERT_EQ(parse_named_value("ip=ipv4:10.0.0.1", nv), "");
  EXPECT_EQ(nv.name, "ip");
  EXPECT_EQ(nv.value.type(), spop::DataType::ipv4);
  ASSERT_EQ(parse_named_value("=str:x=y", nv), "");
  EXPECT_EQ(nv.name, "");
  EXPECT_EQ(nv.value.view(), spop::Value::string("x=y"));
  EXPECT_NE(parse_named_value("str:x", nv).find("has no '='"), std::string::npos);
  EXPECT_NE(parse_named_value("n=int32:x", nv).find("'n=int32:x': int32 value"), std::string::npos);
}

TEST(ArgParse, SetAndUnsetVar) {
  ActionSpec a;
  ASSERT_EQ(parse_set_var("txn.ip.score=int32:42", a), "");
  EXPECT_EQ(a.type, spop::ActionType::set_var);
  EXPECT_EQ(a.scope, spop::Scope::txn);
  EXPECT_EQ(a.name, "ip.score");
  EXPECT_EQ(a.value.view(), spop::Value::int32(42));
  ASSERT_EQ(parse_unset_var("proc.x", a), "");
  EXPECT_EQ(a.type, spop::ActionType::unset_var);
  EXPECT_EQ(a.scope, spop::Scope::proc);
  EXPECT_NE(parse_set_var("global.x=int32:1", a).find("unknown scope 'global'"), std::string::npos);
  EXPECT_NE(parse_unset_var("txn", a).find("SCOPE.NAME"), std::string::npos);
  EXPECT_NE(parse_set_var("txn.x", a).find("SCOPE.NAME=TYPE:VALUE"), std::string::npos);
}

TEST(ArgParse, ExpectationForms) {
  Expectation e;
  ASSERT_EQ(parse_expectation("txn.iprep.ip_score=int:1..100", e), "");
  EXPECT_EQ(e.variable, "txn.iprep.ip_score");
  EXPECT_EQ(e.kind, Expectation::Kind::int_range);
  EXPECT_TRUE(e.any_integer);
  EXPECT_EQ(e.low, 1);
  EXPECT_EQ(e.high, 100);
  ASSERT_EQ(parse_expectation("v=int32:..-1", e), "");
  EXPECT_FALSE(e.any_integer);
  EXPECT_FALSE(e.low.has_value());
  EXPECT_EQ(e.high, -1);
  ASSERT_EQ(parse_expectation("v=str:a..b", e), "");  // ".." is only a range for integers
  EXPECT_EQ(e.kind, Expectation::Kind::equals);
  ASSERT_EQ(parse_expectation("!txn.x", e), "");
  EXPECT_EQ(e.kind, Expectation::Kind::absent);
  ASSERT_EQ(parse_expectation("txn.x=null", e), "");
  EXPECT_EQ(e.kind, Expectation::Kind::absent);
  ASSERT_EQ(parse_expectation("txn.x", e), "");
  EXPECT_EQ(e.kind, Expectation::Kind::present);
  EXPECT_NE(parse_expectation("v=int:5..1", e).find("empty range"), std::string::npos);
  EXPECT_NE(parse_expectation("v=int:..", e).find("at least one bound"), std::string::npos);
  EXPECT_NE(parse_expectation("=int:1", e).find("variable name is missing"), std::string::npos);
  EXPECT_NE(parse_expectation("v=int32:1x", e).find("--expect 'v=int32:1x'"), std::string::npos);
}

ExpectationOutcome check(std::string_view text, const VariableMap& vars) {
  Expectation e;
  EXPECT_EQ(parse_expectation(text, e), "");
  return evaluate(e, vars);
}

TEST(Expectations, EvaluateAgainstTheVariablesAfterAnAck) {
  VariableMap vars;
  apply_action(vars, spop::ActionType::set_var, "txn.p.score", spop::Value::int32(42));
  apply_action(vars, spop::ActionType::set_var, "txn.p.name", spop::Value::string("bob"));
  apply_action(vars, spop::ActionType::set_var, "txn.p.gone", spop::Value::int32(1));
  apply_action(vars, spop::ActionType::unset_var, "txn.p.gone", spop::Value::null());
  apply_action(vars, spop::ActionType::set_var, "txn.p.nulled", spop::Value::int32(1));
  apply_action(vars, spop::ActionType::set_var, "txn.p.nulled", spop::Value::null());  // HAProxy: an unset

  EXPECT_TRUE(check("txn.p.score=int:1..100", vars).ok);
  EXPECT_TRUE(check("txn.p.score=int:42", vars).ok);
  EXPECT_TRUE(check("txn.p.score=int32:42", vars).ok);
  EXPECT_FALSE(check("txn.p.score=int64:42", vars).ok);  // a specific type must match
  EXPECT_FALSE(check("txn.p.score=int:43..", vars).ok);
  EXPECT_FALSE(check("txn.p.score=uint32:0..100", vars).ok);
  EXPECT_TRUE(check("txn.p.name=str:bob", vars).ok);
  EXPECT_FALSE(check("txn.p.name=str:alice", vars).ok);
  EXPECT_TRUE(check("txn.p.name", vars).ok);
  EXPECT_TRUE(check("!txn.p.gone", vars).ok);
  EXPECT_TRUE(check("!txn.p.nulled", vars).ok);
  EXPECT_FALSE(check("txn.p.gone", vars).ok);
  EXPECT_FALSE(check("!txn.p.score", vars).ok);

  const ExpectationOutcome o = check("txn.p.score=int:100..", vars);
  EXPECT_EQ(o.actual, "int32:42");
  EXPECT_EQ(check("txn.p.gone=int:1", vars).actual, "not set");
}

TEST(Expectations, IntegersCompareAsHaproxyReadsThem) {
  VariableMap vars;
  // uint64 2^64-1 is -1 for HAProxy, which reads every integer into an int64.
  apply_action(vars, spop::ActionType::set_var, "v", spop::Value::uint64(UINT64_MAX));
  EXPECT_TRUE(check("v=int:-1", vars).ok);
  EXPECT_TRUE(check("v=int:..0", vars).ok);
}

}  // namespace
}  // namespace spop_cli
