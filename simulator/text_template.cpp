#include "simulator/text_template.hpp"

#include <charconv>

namespace spop::sim {

namespace {

constexpr std::string_view known_placeholders = "{seq}, {rand:LO..HI}, {pick:a|b}, {client_ip}, {client_port}";

bool parse_i64(std::string_view s, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::optional<TextTemplate::Part> TextTemplate::parse_placeholder(std::string_view body, std::string& error) {
  Part p;
  const std::size_t colon = body.find(':');
  const std::string_view name = body.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? std::string_view{} : body.substr(colon + 1);
  const bool has_arg = colon != std::string_view::npos;
  if (name == "seq" && !has_arg) {
    p.kind = Part::Kind::seq;
  } else if (name == "client_ip" && !has_arg) {
    p.kind = Part::Kind::client_ip;
  } else if (name == "client_port" && !has_arg) {
    p.kind = Part::Kind::client_port;
  } else if (name == "rand") {
    p.kind = Part::Kind::rand;
    const std::size_t dots = arg.find("..");
    if (dots == std::string_view::npos || !parse_i64(arg.substr(0, dots), p.low) ||
        !parse_i64(arg.substr(dots + 2), p.high) || p.low > p.high) {
      error = "placeholder '{" + std::string(body) + "}' expects {rand:LO..HI} with integers LO <= HI";
      return std::nullopt;
    }
  } else if (name == "pick") {
    p.kind = Part::Kind::pick;
    std::string_view rest = arg;
    while (true) {
      const std::size_t bar = rest.find('|');
      p.choices.emplace_back(rest.substr(0, bar));
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
    if (!has_arg) {
      error = "placeholder '{pick}' expects {pick:a|b|...}";
      return std::nullopt;
    }
  } else {
    error = "unknown placeholder '{" + std::string(body) + "}' (known: " + std::string(known_placeholders) + ")";
    return std::nullopt;
  }
  return p;
}

std::optional<TextTemplate> TextTemplate::parse(std::string_view text, std::string& error) {
  TextTemplate t;
  t.source_ = std::string(text);
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Part p;
    p.text = std::move(literal);
    literal.clear();
    t.parts_.push_back(std::move(p));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      literal += c;
      ++i;
    } else if (c == '}') {
      error = "unmatched '}' in '" + std::string(text) + "' (write '}}' for a brace)";
      return std::nullopt;
    } else if (c == '{') {
      const std::size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        error = "unclosed '{' in '" + std::string(text) + "' (write '{{' for a brace)";
        return std::nullopt;
      }
      std::optional<Part> p = parse_placeholder(text.substr(i + 1, close - i - 1), error);
      if (!p) return std::nullopt;
      flush();
      t.parts_.push_back(std::move(*p));
      i = close;
    } else {
      literal += c;
    }
  }
  flush();
  return t;
}

TextTemplate TextTemplate::literal(std::string text) {
  TextTemplate t;
  t.source_ = text;
  if (!text.empty()) {
    Part p;
    p.text = std::move(text);
    t.parts_.push_back(std::move(p));
  }
  return t;
}

bool TextTemplate::has_placeholders() const noexcept {
  for (const Part& p : parts_)
    if (p.kind != Part::Kind::literal) return true;
  return false;
}

std::string TextTemplate::expand(const TemplateContext& context, Prng& prng) const {
  std::string out;
  for (const Part& p : parts_) {
    switch (p.kind) {
      case Part::Kind::literal: out += p.text; break;
      case Part::Kind::seq: out += std::to_string(context.seq); break;
      case Part::Kind::client_ip: out += context.client_ip; break;
      case Part::Kind::client_port: out += std::to_string(context.client_port); break;
      case Part::Kind::rand: {
        // The span may be 2^64 values wide (full int64 range): below(0) would be wrong, so wrap.
        const std::uint64_t span = static_cast<std::uint64_t>(p.high) - static_cast<std::uint64_t>(p.low) + 1;
        const std::uint64_t r = span == 0 ? prng.next() : prng.below(span);
        out += std::to_string(static_cast<std::int64_t>(static_cast<std::uint64_t>(p.low) + r));
        break;
      }
      case Part::Kind::pick: out += p.choices[prng.below(p.choices.size())]; break;
    }
  }
  return out;
}

}  // namespace spop::sim
