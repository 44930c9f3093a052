#include "tests/support/hex.hpp"

#include <cctype>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "spop/hex_digit.hpp"

namespace spop::test {

std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v = spop::hex_digit(c);
    if (v < 0) throw std::invalid_argument("hex(): not a hex digit: '" + std::string(1, c) + "'");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("hex(): odd number of digits");
  return out;
}

std::string to_hex(std::span<const std::byte> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) s += ' ';
    auto b = std::to_integer<unsigned>(bytes[i]);
    s += digits[b >> 4];
    s += digits[b & 0xF];
  }
  return s;
}

std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<std::byte>(raw[i]);
  return out;
}

std::filesystem::path capture(std::string_view relative) {
  return std::filesystem::path(SPOP_SOURCE_DIR) / "tests" / "captures" / relative;
}

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> out(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = static_cast<std::byte>(s[i]);
  return out;
}

std::string ack_with(std::string_view actions_hex) {
  const std::vector<std::byte> actions = hex(actions_hex);
  const std::size_t len = 7 + actions.size();  // type, flags(4), stream-id 1, frame-id 1
  std::vector<std::byte> frame = hex("00000000 67 00000001 01 01");
  frame[2] = static_cast<std::byte>(len >> 8);
  frame[3] = static_cast<std::byte>(len & 0xFF);
  frame.insert(frame.end(), actions.begin(), actions.end());
  return to_hex(frame);
}

}  // namespace spop::test
