// examples/ps_python.py, the standard example, produces the variables of script-api.md in order.
#include <string>

#include "tests/python/python_test_support.hpp"
#include "tests/support/standard_example.hpp"

namespace spoa::test {
namespace {

TEST_F(PythonEngineTest, TheStandardExampleSetsEveryVariableInOrder) {
  try {
    engine().load(std::filesystem::path(SPOP_SOURCE_DIR) / "examples" / "ps_python.py");
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
  EXPECT_NE(printed.find("IPv6Address('::55')"), std::string::npos) << printed;

  expect_standard_example_ack(out.ack);
}

}  // namespace
}  // namespace spoa::test
