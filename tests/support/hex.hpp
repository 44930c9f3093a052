// Test helpers: frames written as hex grouped by field, and readable dumps of byte buffers.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spop::test {

/// "00000012 03 00000001 01 01" -> bytes. Spaces, newlines and `xxd`-style offsets are not accepted:
/// only hex digits and whitespace. Throws std::invalid_argument on anything else.
std::vector<std::byte> hex(std::string_view text);

/// Bytes -> "00 00 00 12 03 ..." (lower case, one space between bytes).
std::string to_hex(std::span<const std::byte> bytes);

/// Reads a whole binary file (e.g. a capture in ../shared/captures).
std::vector<std::byte> read_file(const std::filesystem::path& path);

/// Path of a file under tests/captures/ (copies of the real HAProxy captures, e.g. "haproxy-2.6/hello.bin").
std::filesystem::path capture(std::string_view relative);

/// The ACK frame (stream 1, frame 1) holding `actions_hex`, with LEN computed, in to_hex() format: the
/// expected output of an engine call in the engine tests.
std::string ack_with(std::string_view actions_hex);

/// Bytes of a string literal (binary-safe).
std::vector<std::byte> bytes(std::string_view s);

}  // namespace spop::test
