// Mutator and dictionary reader (see mutator.hpp).
#include "fuzz/driver/mutator.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "spop/hex_digit.hpp"

namespace spop::fuzz {

namespace {

// The quoted value starting at text[at] == '"', unescaped; "" and `error` set when it is malformed.
std::string quoted_value(std::string_view text, std::string& error) {
  std::string value;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      if (text.find_first_not_of(" \t\r", i + 1) != std::string_view::npos) error = "text after the closing quote";
      return value;
    }
    if (c != '\\') {
      value += c;
      continue;
    }
    if (++i == text.size()) break;
    if (text[i] == '\\' || text[i] == '"') {
      value += text[i];
    } else if (text[i] == 'x' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      value += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      error = "unknown escape";
      return {};
    }
  }
  error = "no closing quote";
  return {};
}

// Bytes that often sit on a boundary: varint limits, signs, SPOP type bytes, text delimiters.
constexpr std::array<std::uint8_t, 12> interesting_bytes{0x00, 0x01, 0x7f, 0x80, 0xef, 0xf0,
                                                         0xfe, 0xff, '\n', ' ', '"', '%'};

}  // namespace

std::vector<std::string> parse_dictionary(std::string_view text, std::string& error) {
  std::vector<std::string> words;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || line[start] == '#') continue;
    const std::size_t quote = line.find('"', start);
    if (quote == std::string_view::npos) {
      error = "line " + std::to_string(line_number) + ": no quoted value";
      return words;
    }
    std::string why;
    std::string word = quoted_value(line.substr(quote), why);
    if (!why.empty()) {
      error = "line " + std::to_string(line_number) + ": " + why;
      return words;
    }
    if (!word.empty()) words.push_back(std::move(word));
  }
  return words;
}

Mutator::Mutator(std::uint64_t seed, std::size_t max_size, std::vector<std::string> dictionary)
    : rng_(seed), max_size_(std::max<std::size_t>(max_size, 1)), dictionary_(std::move(dictionary)) {}

std::size_t Mutator::below(std::size_t bound) { return static_cast<std::size_t>(rng_() % bound); }

Input Mutator::mutate(std::span<const std::uint8_t> base, std::span<const std::uint8_t> other) {
  Input data(base.begin(), base.end());
  if (!other.empty() && below(8) == 0) {
    data.resize(below(data.size() + 1));
    const std::size_t from = below(other.size());
    data.insert(data.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
  }
  const std::size_t edits = 1 + below(4);
  for (std::size_t i = 0; i < edits; ++i) edit(data);
  if (data.size() > max_size_) data.resize(max_size_);
  return data;
}

void Mutator::insert_bytes(Input& data, std::size_t at, std::span<const std::uint8_t> bytes) {
  data.insert(data.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin(), bytes.end());
}

void Mutator::edit(Input& data) {
  const std::size_t kinds = dictionary_.empty() ? 7 : 9;
  const std::size_t kind = data.empty() ? 2 : below(kinds);  // an empty input can only grow
  switch (kind) {
    case 0:  // flip one bit
      data[below(data.size())] ^= static_cast<std::uint8_t>(1u << below(8));
      break;
    case 1:  // one random byte
      data[below(data.size())] = static_cast<std::uint8_t>(below(256));
      break;
    case 2: {  // insert one to four random bytes
      Input bytes(1 + below(4));
      for (auto& b : bytes) b = static_cast<std::uint8_t>(below(256));
      insert_bytes(data, below(data.size() + 1), bytes);
      break;
    }
    case 3: {  // erase up to 16 bytes
      const std::size_t at = below(data.size());
      const std::size_t n = std::min(data.size() - at, 1 + below(16));
      data.erase(data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + n));
      break;
    }
    case 4: {  // copy a chunk elsewhere (repeats fields, lines, frames)
      const std::size_t from = below(data.size());
      const std::size_t n = std::min(data.size() - from, 1 + below(64));
      const Input chunk(data.begin() + static_cast<std::ptrdiff_t>(from),
                        data.begin() + static_cast<std::ptrdiff_t>(from + n));
      insert_bytes(data, below(data.size() + 1), chunk);
      break;
    }
    case 5:  // a boundary byte
      data[below(data.size())] = interesting_bytes[below(interesting_bytes.size())];
      break;
    case 6: {  // nudge a digit or a small number up or down
      std::uint8_t& b = data[below(data.size())];
      b = static_cast<std::uint8_t>(std::isdigit(b) != 0 ? '0' + below(10) : b + (below(2) == 0 ? 1 : 0xff));
      break;
    }
    case 7: {  // insert a dictionary word
      const std::string& word = dictionary_[below(dictionary_.size())];
      insert_bytes(data, below(data.size() + 1),
                   std::span(reinterpret_cast<const std::uint8_t*>(word.data()), word.size()));
      break;
    }
    default: {  // overwrite with a dictionary word
      const std::string& word = dictionary_[below(dictionary_.size())];
      const std::size_t at = below(data.size());
      const std::size_t n = std::min(word.size(), data.size() - at);
      std::copy_n(word.begin(), n, data.begin() + static_cast<std::ptrdiff_t>(at));
      break;
    }
  }
}

}  // namespace spop::fuzz
