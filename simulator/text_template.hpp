// Request text with placeholders, as scenario files write URLs and header values:
// "/item/{rand:1..500}?n={seq}". Parsed once at load time, expanded for each generated request.
//
//   {seq}            the request's sequence number, from 0
//   {rand:LO..HI}    a uniform integer in [LO, HI] (signed 64-bit)
//   {pick:a|b|c}     one of the choices, uniformly
//   {client_ip}      the request's client address
//   {client_port}    the request's client port
//   {{ and }}        literal braces
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/prng.hpp"

namespace spop::sim {

/// What a placeholder may refer to when a template is expanded.
struct TemplateContext {
  std::uint64_t seq = 0;
  std::string_view client_ip;
  std::uint16_t client_port = 0;
};

class TextTemplate {
 public:
  TextTemplate() = default;

  /// Parses `text`; nullopt with `error` set on an unknown placeholder or an unbalanced brace.
  static std::optional<TextTemplate> parse(std::string_view text, std::string& error);
  /// A template without placeholders (no brace processing).
  static TextTemplate literal(std::string text);

  /// The text with every placeholder replaced; draws from `prng` for {rand} and {pick} in order.
  std::string expand(const TemplateContext& context, Prng& prng) const;

  const std::string& source() const noexcept { return source_; }
  bool has_placeholders() const noexcept;

 private:
  struct Part {
    enum class Kind : std::uint8_t { literal, seq, rand, pick, client_ip, client_port };
    Kind kind = Kind::literal;
    std::string text;                  ///< literal text
    std::int64_t low = 0, high = 0;    ///< rand bounds
    std::vector<std::string> choices;  ///< pick
  };

  static std::optional<Part> parse_placeholder(std::string_view body, std::string& error);

  std::string source_;
  std::vector<Part> parts_;
};

}  // namespace spop::sim
