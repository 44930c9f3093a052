#include "spop-cli/hex_text.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

std::vector<std::byte> parse(std::string_view text) {
  std::vector<std::byte> out;
  std::string err;
  EXPECT_TRUE(parse_hex_text(text, out, err)) << err;
  return out;
}

std::string hex_error_of(std::string_view text) {
  std::vector<std::byte> out;
  std::string err;
  EXPECT_FALSE(parse_hex_text(text, out, err));
  return err;
}

TEST(HexText, PlainHexWithAnySpacing) {
  const auto want = spop::test::hex("00 00 00 07 67 00 00 00 01 01 01");
  EXPECT_EQ(parse("00 00 00 07 67 00 00 00 01 01 01"), want);
  EXPECT_EQ(parse("0000000767000000010101"), want);
  EXPECT_EQ(parse("00000007  67  00000001 01 01   # an empty ACK\n"), want);
  EXPECT_EQ(parse("0x00,0x00,0x00,0x07,0x67,0x00,0x00,0x00,0x01,0x01,0x01"), want);
  EXPECT_EQ(parse("00:00:00:07:67:00:00:00:01:01:01"), want);
}

TEST(HexText, XxdDumpOfACapture) {
  std::ifstream f(spop::test::capture("haproxy-2.6/notify-types.hex"));
  const std::string dump{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  EXPECT_EQ(parse(dump), spop::test::read_file(spop::test::capture("haproxy-2.6/notify-types.bin")));
}

TEST(HexText, HexdumpCanonicalWithRepeatedLines) {
  // hexdump -C of 16 x 00, 16 x 00, 16 x 00, then 01 02: the repeated line is a "*".
  const std::string dump =
      "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
      "*\n"
      "00000030  01 02                                             |..|\n"
      "00000032\n";
  std::vector<std::byte> want(48, std::byte{0});
  want.push_back(std::byte{1});
  want.push_back(std::byte{2});
  EXPECT_EQ(parse(dump), want);
}

// A "*" repeats the line above up to the next offset, which is only text: a wild one is refused instead
// of filling gigabytes (fuzz target cli_decode ran out of memory on one).
TEST(HexText, RepeatToAWildOffsetIsRefused) {
  const std::string dump =
      "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
      "*\n"
      "40000040  01 02                                             |..|\n";
  std::vector<std::byte> out;
  std::string error;
  EXPECT_FALSE(parse_hex_text(dump, out, error));
  EXPECT_EQ(error, "line 3, column 1: offset 1073741888 after '*' would repeat the line above past 64 MiB, more than "
                   "any SPOP frame");
}

TEST(HexText, OwnDumpReadsBack) {
  const auto bytes = spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"));
  EXPECT_EQ(parse(hex_dump(bytes)), bytes);
  EXPECT_EQ(parse(to_spaced_hex(bytes)), bytes);
}

TEST(HexText, ErrorsSayLineAndColumn) {
  EXPECT_EQ(hex_error_of("00 01\n02 0g"), "line 2, column 5: 'g' is not a hex digit");
  EXPECT_EQ(hex_error_of("00 01\n0"), "line 2, column 1: odd number of hex digits (this digit has no partner)");
}

TEST(HexText, TextDetection) {
  EXPECT_TRUE(looks_like_text(spop::test::bytes("00 01 ff\n")));
  EXPECT_FALSE(looks_like_text(spop::test::hex("00 00 00 07 67")));
}

}  // namespace
}  // namespace spop_cli
