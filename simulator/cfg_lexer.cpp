#include "simulator/cfg_lexer.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "simulator/text_util.hpp"

namespace spop::sim {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool is_env_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_env_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::optional<std::string> process_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// HAProxy 2.6 handles these itself; spop-sim does not evaluate them, so it says so instead of guessing.
bool is_directive(std::string_view word) {
  static constexpr std::array<std::string_view, 8> directives = {
      ".if", ".elif", ".else", ".endif", ".diag", ".notice", ".warning", ".alert"};
  for (std::string_view d : directives)
    if (word == d) return true;
  return false;
}

// Reads one line of words. Returns an error text, or "" on success.
class WordSplitter {
 public:
  WordSplitter(std::string_view line, const EnvLookup& env) : line_(line), env_(env) {}

  std::string split(std::vector<std::string>& words) {
    while (pos_ < line_.size()) {
      const char c = line_[pos_];
      if (quote_ == '\'') {
        if (c == '\'') quote_ = 0; else word_ += c;
        ++pos_;
      } else if (quote_ == '"') {
        if (c == '"') { quote_ = 0; ++pos_; }
        else if (c == '\\') { if (auto e = escape(); !e.empty()) return e; }
        else if (c == '$') expand_env();
        else { word_ += c; ++pos_; }
      } else if (is_blank(c)) {
        finish_word(words);
        ++pos_;
      } else if (c == '#') {
        break;  // a comment ends the line, even right after a word
      } else if (c == '\'' || c == '"') {
        quote_ = c;
        in_word_ = true;
        ++pos_;
      } else if (c == '\\') {
        if (auto e = escape(); !e.empty()) return e;
      } else {
        word_ += c;
        in_word_ = true;
        ++pos_;
      }
    }
    if (quote_ != 0) return "unmatched quote";
    finish_word(words);
    return {};
  }

 private:
  void finish_word(std::vector<std::string>& words) {
    if (in_word_) words.push_back(std::move(word_));
    word_.clear();
    in_word_ = false;
  }

  // At a backslash. Known escapes become their character; HAProxy keeps the backslash of any other.
  std::string escape() {
    in_word_ = true;
    if (pos_ + 1 >= line_.size()) {
      word_ += '\\';
      ++pos_;
      return {};
    }
    const char n = line_[pos_ + 1];
    switch (n) {
      case ' ': case '\\': case '#': case '\'': case '"': case '$': word_ += n; pos_ += 2; return {};
      case 'r': word_ += '\r'; pos_ += 2; return {};
      case 'n': word_ += '\n'; pos_ += 2; return {};
      case 't': word_ += '\t'; pos_ += 2; return {};
      case 'x': {
        const int hi = pos_ + 2 < line_.size() ? hex_digit(line_[pos_ + 2]) : -1;
        const int lo = pos_ + 3 < line_.size() ? hex_digit(line_[pos_ + 3]) : -1;
        if (hi < 0 || lo < 0) return "truncated or invalid hexadecimal sequence";
        word_ += static_cast<char>(hi * 16 + lo);
        pos_ += 4;
        return {};
      }
      default: word_ += '\\'; ++pos_; return {};
    }
  }

  // At a '$' inside double quotes: "$NAME" or "${NAME}"; anything else is a literal '$'.
  void expand_env() {
    std::size_t start = pos_ + 1;
    const bool braced = start < line_.size() && line_[start] == '{';
    if (braced) ++start;
    std::size_t end = start;
    if (end < line_.size() && is_env_start(line_[end]))
      while (end < line_.size() && is_env_char(line_[end])) ++end;
    if (end == start || (braced && (end >= line_.size() || line_[end] != '}'))) {
      word_ += '$';
      ++pos_;
      return;
    }
    const std::string_view name = line_.substr(start, end - start);
    const std::optional<std::string> value = env_ ? env_(name) : process_env(name);
    if (value) word_ += *value;
    pos_ = braced ? end + 1 : end;
  }

  std::string_view line_;
  const EnvLookup& env_;
  std::size_t pos_ = 0;
  char quote_ = 0;
  bool in_word_ = false;
  std::string word_;
};

// `[name]` (leading blanks already skipped). Returns an error text, or "" on success.
std::string parse_scope(std::string_view line, std::string& name) {
  const std::size_t close = line.find(']');
  if (close == std::string_view::npos) return "missing ']' after scope name";
  name = std::string(line.substr(1, close - 1));
  if (name.empty()) return "empty scope name is forbidden";
  for (char c : name)
    if (invalid_name_char(std::string_view(&c, 1)))
      return std::string("character '") + c + "' is not permitted in a scope name";
  for (std::size_t i = close + 1; i < line.size(); ++i) {
    if (line[i] == '#') break;
    if (!is_blank(line[i])) return std::string("character '") + line[i] + "' is not permitted after scope declaration";
  }
  return {};
}

}  // namespace

std::optional<char> invalid_name_char(std::string_view name) {
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return c;
  }
  return std::nullopt;
}

std::vector<ConfigLine> tokenize_config(std::string_view text, const std::string& file, DiagnosticLog& log,
                                        const EnvLookup& env) {
  std::vector<ConfigLine> lines;
  int number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;

    std::size_t first = 0;
    while (first < line.size() && is_blank(line[first])) ++first;
    line.remove_prefix(first);
    if (line.empty() || line.front() == '#') continue;

    ConfigLine out;
    out.number = number;
    std::string error;
    if (line.front() == '[') {
      std::string name;
      error = parse_scope(line, name);
      out.scope = std::move(name);
    } else {
      error = WordSplitter(line, env).split(out.words);
      if (error.empty() && out.words.empty()) continue;
      if (error.empty() && is_directive(out.words.front()))
        error = "'" + out.words.front() + "': conditional blocks and directives are not supported by spop-sim";
    }
    if (!error.empty()) {
      log.error({file, number}, error);
      continue;
    }
    lines.push_back(std::move(out));
  }
  return lines;
}

std::string read_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw ConfigError({{{file.string(), 0}, "Could not open configuration file: " + std::string(std::strerror(err))}});
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string join_words(std::span<const std::string> words) {
  std::string s;
  for (const std::string& w : words) {
    if (!s.empty()) s += ' ';
    s += w;
  }
  return s;
}

}  // namespace spop::sim
