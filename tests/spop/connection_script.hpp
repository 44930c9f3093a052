// Helpers for the connection state machine tests: frames written as hex grouped by field (LEN is
// computed), raw strings and STRING values spelled from text, and DISCONNECT frames.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/hex.hpp"

namespace spop::test::script {

using Bytes = std::vector<std::byte>;

/// Synthetic time: tests never read a clock.
inline const std::chrono::steady_clock::time_point t0{};

/// Hex of a one-byte number ("0e").
inline std::string byte_hex(unsigned v) {
  static constexpr char digits[] = "0123456789abcdef";
  if (v > 0xFF) throw std::invalid_argument("byte_hex: value above 255");
  return std::string{digits[v >> 4], digits[v & 0xF]};
}

/// Hex of a raw string with a one-byte length: raw("version") = "07 76657273696f6e". Shorter than 240.
inline std::string raw(std::string_view s) {
  if (s.size() >= 240) throw std::invalid_argument("raw: use a multi-byte varint by hand");
  std::string h = byte_hex(static_cast<unsigned>(s.size())) + " ";
  for (char c : s) h += byte_hex(static_cast<unsigned char>(c));
  return h;
}

/// Hex of a STRING TYPED-DATA: "08" + raw(s).
inline std::string str(std::string_view s) { return "08 " + raw(s); }

/// A whole frame from the hex of TYPE FLAGS STREAM-ID FRAME-ID PAYLOAD: the 4-byte LEN is prepended.
inline Bytes frame(std::string_view body_hex) {
  const Bytes body = hex(body_hex);
  const auto n = static_cast<std::uint32_t>(body.size());
  Bytes out{std::byte(n >> 24), std::byte((n >> 16) & 0xFF), std::byte((n >> 8) & 0xFF), std::byte(n & 0xFF)};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

/// Concatenation of byte strings.
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// A DISCONNECT frame (type 0x02 from HAProxy, 0x66 from the agent) with a status code below 240.
inline Bytes disconnect(unsigned type, unsigned code, std::string_view message) {
  return frame(byte_hex(type) + " 00000001 00 00 " + raw("status-code") + " 03 " + byte_hex(code) + " " +
               raw("message") + " " + str(message));
}

/// What a connection made of a scripted input: described events, output bytes (hex) and final state.
struct Outcome {
  std::vector<std::string> events;
  std::string output;
  std::string state;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

inline void PrintTo(const Outcome& o, std::ostream* os) {
  *os << "state " << o.state << ", output [" << o.output << "], events:";
  for (const auto& e : o.events) *os << "\n  " << e;
}

/// Feeds `input` to a fresh connection (`make()` returns a pointer to it) in pieces ending at each of
/// `cuts`, as an I/O loop does: offer the buffer, drain and describe the events (their views point
/// into the buffer), then drop the bytes used. Output already pending when `make()` returns counts.
template <class Make, class Describe>
Outcome run(const Make& make, std::span<const std::byte> input, const std::vector<std::size_t>& cuts,
            const Describe& describe) {
  auto c = make();
  Outcome o;
  Bytes buffer;
  std::size_t pos = 0;
  for (std::size_t cut : cuts) {
    buffer.insert(buffer.end(), input.begin() + static_cast<std::ptrdiff_t>(pos),
                  input.begin() + static_cast<std::ptrdiff_t>(cut));
    pos = cut;
    for (;;) {
      const std::size_t n = c->feed(buffer, t0);
      while (auto e = c->next_event()) o.events.push_back(describe(*e));
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      if (n == 0 || buffer.empty()) break;
    }
  }
  o.output = to_hex(c->pending_output());
  o.state = std::string(to_string(c->state()));
  return o;
}

/// Runs a scenario whole, one byte at a time and split in two at every offset; all must agree.
/// Returns the outcome of the whole feed.
template <class Make, class Describe>
Outcome grind(const Make& make, std::span<const std::byte> input, const Describe& describe) {
  const Outcome whole = run(make, input, {input.size()}, describe);
  std::vector<std::size_t> every(input.size());
  std::iota(every.begin(), every.end(), std::size_t{1});
  EXPECT_EQ(run(make, input, every, describe), whole) << "fed one byte at a time";
  for (std::size_t k = 1; k < input.size(); ++k) {
    const Outcome split = run(make, input, {k, input.size()}, describe);
    if (split != whole) {
      ADD_FAILURE() << "split at " << k << ": " << ::testing::PrintToString(split);
      break;
    }
  }
  return whole;
}

}  // namespace spop::test::script
