#include "spop-cli/hex_text.hpp"

#include <cctype>

#include "spop/hex_digit.hpp"

namespace spop_cli {

namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

// How far a hexdump "*" may repeat a line: well past the largest frame (LEN is 24 bits in practice).
constexpr std::uint64_t max_repeated_size = 64u << 20;

// Leading hex digits of `s` (the offset column of a dump).
std::size_t hex_prefix(std::string_view s) noexcept {
  std::size_t n = 0;
  while (n < s.size() && spop::hex_digit(s[n]) >= 0) ++n;
  return n;
}

// Where the hex digits of one line are, once a dump's offset and text columns are cut away.
struct LineBody {
  std::size_t begin = 0;  // column of the first character to read
  std::size_t end = 0;
  bool dump = false;  // an xxd or hexdump -C line
  std::uint64_t dump_offset = 0;
  bool repeat_marker = false;  // hexdump's "*": the previous line repeats
  bool offset_only = false;    // hexdump's last line: the total length alone
};

std::uint64_t parse_offset(std::string_view digits) noexcept {
  std::uint64_t v = 0;
  for (char c : digits) v = v * 16 + static_cast<std::uint64_t>(spop::hex_digit(c));
  return v;
}

LineBody locate_body(std::string_view line, bool in_dump) {
  LineBody b{0, line.size()};
  std::size_t lead = 0;
  while (lead < line.size() && is_blank(line[lead])) ++lead;
  const std::string_view rest = line.substr(lead);
  const std::size_t digits = hex_prefix(rest);
  if (in_dump && rest.substr(0, rest.find_last_not_of(" \t\r") + 1) == "*") {
    b.repeat_marker = true;
    return b;
  }
  // xxd: "00000010: 6f72 7465 ...  orted-versions" (offset, ": ", hex groups, two spaces, text).
  if (digits >= 4 && rest.substr(digits).starts_with(": ")) {
    b.dump = true;
    b.dump_offset = parse_offset(rest.substr(0, digits));
    b.begin = lead + digits + 2;
    const auto text_col = line.find("  ", b.begin);
    b.end = text_col == std::string_view::npos ? line.size() : text_col;
    return b;
  }
  // hexdump -C: "00000010  6f 72 74 65 ...  |orted-versions..|", and a last line with the length alone.
  // A data line always has the |text| column, which keeps "00000015  67 ..." (plain hex grouped by
  // field) from being taken for one.
  const bool has_text_column = line.find('|') != std::string_view::npos;
  if (digits == 8 && ((rest.substr(digits).starts_with("  ") && has_text_column) ||
                      (in_dump && rest.find_first_not_of(" \t\r", digits) == std::string_view::npos))) {
    b.dump = true;
    b.dump_offset = parse_offset(rest.substr(0, digits));
    if (rest.find_first_not_of(" \t\r", digits) == std::string_view::npos) {
      b.offset_only = true;
      return b;
    }
    b.begin = lead + digits;
    const auto bar = line.find('|', b.begin);
    b.end = bar == std::string_view::npos ? line.size() : bar;
    return b;
  }
  return b;
}

}  // namespace

bool parse_hex_text(std::string_view text, std::vector<std::byte>& out, std::string& error) {
  out.clear();
  int high = -1;
  std::size_t line_no = 0;
  std::size_t high_line = 0;
  std::size_t high_col = 0;
  bool in_dump = false;
  bool repeat_pending = false;
  std::vector<std::byte> last_line;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);

    const LineBody body = locate_body(line, in_dump);
    if (body.repeat_marker) {
      repeat_pending = true;
      continue;
    }
    if (body.dump) {
      in_dump = true;
      // hexdump -C writes "*" for lines equal to the previous one: repeat it up to this line's offset,
      // which is only text: a wild one would make us fill gigabytes.
      if (repeat_pending && !last_line.empty() && body.dump_offset > max_repeated_size) {
        error = "line " + std::to_string(line_no) + ", column 1: offset " + std::to_string(body.dump_offset) +
                " after '*' would repeat the line above past " + std::to_string(max_repeated_size >> 20) +
                " MiB, more than any SPOP frame";
        return false;
      }
      if (repeat_pending && !last_line.empty()) {
        while (out.size() + last_line.size() <= body.dump_offset)
          out.insert(out.end(), last_line.begin(), last_line.end());
      }
      repeat_pending = false;
      if (body.offset_only) continue;
    }
    const std::size_t line_start = out.size();
    for (std::size_t col = body.begin; col < body.end; ++col) {
      const char c = line[col];
      if (is_blank(c) || c == ':' || c == ',') continue;
      // "0x" before a byte: only at the start of a token, where the '0' cannot be half of a byte.
      if (high < 0 && c == '0' && col + 1 < body.end && (line[col + 1] == 'x' || line[col + 1] == 'X')) {
        ++col;
        continue;
      }
      const int v = spop::hex_digit(c);
      if (v < 0) {
        error = "line " + std::to_string(line_no) + ", column " + std::to_string(col + 1) + ": '" + std::string(1, c) +
                "' is not a hex digit";
        return false;
      }
      if (high < 0) {
        high = v;
        high_line = line_no;
        high_col = col + 1;
      } else {
        out.push_back(static_cast<std::byte>(high * 16 + v));
        high = -1;
      }
    }
    if (body.dump) last_line.assign(out.begin() + static_cast<std::ptrdiff_t>(line_start), out.end());
  }
  if (high >= 0) {
    error = "line " + std::to_string(high_line) + ", column " + std::to_string(high_col) +
            ": odd number of hex digits (this digit has no partner)";
    return false;
  }
  return true;
}

bool looks_like_text(std::span<const std::byte> data) noexcept {
  for (std::byte b : data) {
    const auto c = std::to_integer<unsigned char>(b);
    if (!(std::isprint(c) || c == '\n' || c == '\r' || c == '\t')) return false;
  }
  return true;
}

std::string to_spaced_hex(std::span<const std::byte> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) s += ' ';
    const auto b = std::to_integer<unsigned>(bytes[i]);
    s += digits[b >> 4];
    s += digits[b & 0xF];
  }
  return s;
}

std::string hex_dump(std::span<const std::byte> bytes, std::string_view indent) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t row = 0; row < bytes.size(); row += 16) {
    s += indent;
    for (int shift = 12; shift >= 0; shift -= 4) s += digits[(row >> shift) & 0xF];
    s += ':';
    std::string text;
    for (std::size_t i = row; i < row + 16; ++i) {
      if (i < bytes.size()) {
        const auto b = std::to_integer<unsigned>(bytes[i]);
        s += ' ';
        s += digits[b >> 4];
        s += digits[b & 0xF];
        text += (b >= 0x20 && b < 0x7F) ? static_cast<char>(b) : '.';
      } else {
        s += "   ";
      }
    }
    s += "  ";
    s += text;
    s += '\n';
  }
  return s;
}

}  // namespace spop_cli
