// The standard example's arguments and ACK check (see standard_example.hpp).
#include "tests/support/standard_example.hpp"

#include <gtest/gtest.h>

#include "tests/support/hex.hpp"

namespace spoa::test {

std::vector<spop::Argument> standard_example_arguments() {
  spop::Ipv4Address src;
  src.bytes = {127, 0, 0, 1};
  spop::Ipv6Address v6;
  v6.bytes[15] = 0x55;
  return {
      {"", spop::Value::boolean(true)}, {"", spop::Value::int32(1234)},
      {"", spop::Value::ipv4(src)},     {"", spop::Value::ipv6(v6)},
      {"", spop::Value::string("127.0.0.1:10001")},
  };
}

void expect_standard_example_ack(const std::string& ack_hex) {
  // Fixed part: txn null, boolean, int32, uint32, int64, uint64, ipv4, ipv6, str, bin; then sess ip_score.
  const std::string fixed =
      "01 03 02 04 6e756c6c 00  01 03 02 07 626f6f6c65616e 11  01 03 02 05 696e743332 02 f23e"
      "  01 03 02 06 75696e743332 03 f23e  01 03 02 05 696e743634 04 f23e  01 03 02 06 75696e743634 05 f23e"
      "  01 03 02 04 69707634 06 7f000001  01 03 02 04 69707636 07 0001000000000000000000000000000f"
      "  01 03 02 03 737472 08 04 313a3a66  01 03 02 03 62696e 09 04 01020003"
      "  01 03 01 08 69705f73636f7265 02";
  const std::string expected_prefix = spop::test::ack_with(fixed + " 00");  // all but the score byte
  ASSERT_EQ(ack_hex.size(), expected_prefix.size()) << ack_hex;
  EXPECT_EQ(ack_hex.substr(0, ack_hex.size() - 2), expected_prefix.substr(0, expected_prefix.size() - 2));
  const int score = std::stoi(ack_hex.substr(ack_hex.size() - 2), nullptr, 16);  // 1..100: a 1-byte varint
  EXPECT_GE(score, 1);
  EXPECT_LE(score, 100);
}

}  // namespace spoa::test
