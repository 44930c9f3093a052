// examples/ps_php.php, the standard example, produces the variables of script-api.md in order.
#include <string>

#include "tests/php/php_test_support.hpp"
#include "tests/support/hex.hpp"

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

  spop::Ipv4Address src;
  src.bytes = {127, 0, 0, 1};
  spop::Ipv6Address v6;
  v6.bytes[15] = 0x55;
  const std::vector<spop::Argument> args = {
      {"", spop::Value::boolean(true)},      {"", spop::Value::int32(1234)},
      {"", spop::Value::ipv4(src)},          {"", spop::Value::ipv6(v6)},
      {"", spop::Value::string("127.0.0.1:10001")},
  };
  ::testing::internal::CaptureStdout();
  const auto out = call("check-client-ip", args);
  const std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_TRUE(contains(printed, "::55")) << printed;
  EXPECT_TRUE(contains(printed, "127.0.0.1:10001")) << printed;

  // Fixed part: txn null, boolean, int32, uint32, int64, uint64, ipv4, ipv6, str, bin; then sess ip_score.
  const std::string fixed =
      "01 03 02 04 6e756c6c 00  01 03 02 07 626f6f6c65616e 11  01 03 02 05 696e743332 02 f23e"
      "  01 03 02 06 75696e743332 03 f23e  01 03 02 05 696e743634 04 f23e  01 03 02 06 75696e743634 05 f23e"
      "  01 03 02 04 69707634 06 7f000001  01 03 02 04 69707636 07 0001000000000000000000000000000f"
      "  01 03 02 03 737472 08 04 313a3a66  01 03 02 03 62696e 09 04 01020003"
      "  01 03 01 08 69705f73636f7265 02";
  const std::string expected_prefix = ack_with(fixed + " 00");  // LEN and everything but the score byte
  ASSERT_EQ(out.ack.size(), expected_prefix.size()) << out.ack;
  EXPECT_EQ(out.ack.substr(0, out.ack.size() - 2), expected_prefix.substr(0, expected_prefix.size() - 2));
  const int score = std::stoi(out.ack.substr(out.ack.size() - 2), nullptr, 16);  // 1..100: a 1-byte varint
  EXPECT_GE(score, 1);
  EXPECT_LE(score, 100);
}

}  // namespace
}  // namespace spoa::test
