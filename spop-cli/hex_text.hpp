// Hex text in and out: reading frames typed or pasted by people (plain hex with any spacing, `xxd` and
// `hexdump -C` dumps, `#` comments) and writing the dumps of --trace and `encode`.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spop_cli {

/// Parses hex text into bytes. Accepted, line by line:
/// * plain hex digits with any spaces, tabs, ':' or ',' between bytes, and an optional "0x" before a byte
///   ("00 00 00 15 67", "0000001567", "0x00,0x01");
/// * an `xxd` line ("00000000: 0000 0081 0100  ....supp"): the offset and the text column are skipped;
/// * a `hexdump -C` line ("00000000  00 00 00 81 01 00 |.....|"): likewise;
/// * "#" starts a comment that runs to the end of the line.
/// On error returns false and sets `error` to "line L, column C: why".
bool parse_hex_text(std::string_view text, std::vector<std::byte>& out, std::string& error);

/// True when `data` looks like text (printable ASCII and whitespace only), so that `decode` reads it as
/// hex rather than as raw frames. A raw frame starts with its length, whose first byte is almost always 0.
bool looks_like_text(std::span<const std::byte> data) noexcept;

/// "00 00 00 15 67 ..." (lower case, one space between bytes).
std::string to_spaced_hex(std::span<const std::byte> bytes);

/// An xxd-style dump, 16 bytes a line, each line starting with `indent`:
/// "0000: 00 00 00 51 01 00 00 00 01 00 00 12 73 75 70 70  ...Q........supp" (parse_hex_text reads it back).
std::string hex_dump(std::span<const std::byte> bytes, std::string_view indent = "  ");

}  // namespace spop_cli
