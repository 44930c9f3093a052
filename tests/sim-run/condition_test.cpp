// Static evaluation of spoe-message conditions, and the clear refusal of what needs real traffic.
#include "simulator/run/condition.hpp"

#include <gtest/gtest.h>

namespace spop::sim {
namespace {

std::optional<bool> eval(std::string_view c) {
  std::string why;
  return evaluate_static_condition(c, why);
}

TEST(StaticCondition, ConstantsNegationAndOr) {
  EXPECT_EQ(eval(""), true);
  EXPECT_EQ(eval("if TRUE"), true);
  EXPECT_EQ(eval("if FALSE"), false);
  EXPECT_EQ(eval("unless TRUE"), false);
  EXPECT_EQ(eval("if !FALSE"), true);
  EXPECT_EQ(eval("if TRUE FALSE"), false);         // AND
  EXPECT_EQ(eval("if FALSE || TRUE"), true);       // OR
  EXPECT_EQ(eval("if FALSE or FALSE"), false);
  EXPECT_EQ(eval("if { always_true }"), true);
  EXPECT_EQ(eval("unless { always_false }"), true);
}

TEST(StaticCondition, TrafficDependentAclsAreUnsupportedWithAReason) {
  std::string why;
  EXPECT_EQ(evaluate_static_condition("if { src 10.0.0.0/8 }", why), std::nullopt);
  EXPECT_NE(why.find("src"), std::string::npos);
  why.clear();
  EXPECT_EQ(evaluate_static_condition("if is_admin", why), std::nullopt);
  EXPECT_NE(why.find("is_admin"), std::string::npos);
}

}  // namespace
}  // namespace spop::sim
