// examples/ps_php.php, the standard example, produces the variables of script-api.md in order.
#include <string>

#include "tests/php/php_test_support.hpp"
#include "tests/support/standard_example.hpp"

namespace spoa::test {
namespace {

TEST_F(PhpEngineTest, TheStandardExampleSetsEveryVariableInOrder) {
  try {
    engine().load(std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "ps_php.php");
  } catch (const LoadError& e) {
    FAIL() << e.what();
  }
  ASSERT_EQ(engine().registrations().size(), 1u);
  EXPECT_EQ(engine().registrations()[0].message, "check-client-ip");

  const std::vector<spop::Argument> args = standard_example_arguments();
  ::testing::internal::CaptureStdout();
  const auto out = call("check-client-ip", args);
  const std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_TRUE(contains(printed, "::55")) << printed;
  EXPECT_TRUE(contains(printed, "127.0.0.1:10001")) << printed;

  expect_standard_example_ack(out.ack);
}

}  // namespace
}  // namespace spoa::test
