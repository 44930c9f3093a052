// RESP2 encoding and parsing (see resp.hpp).
#include "agent/state/resp.hpp"

#include <charconv>

namespace spoa::resp {

namespace {

void append_decimal(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

// A cursor over the bytes of one parse; every read either advances or reports need_more/malformed.
class Parser {
 public:
  Parser(std::string_view bytes, std::string* why) : bytes_(bytes), why_(why) {}

  ParseStatus reply(Reply& out, int depth) {
    if (pos_ >= bytes_.size()) return ParseStatus::need_more;
    const char type = bytes_[pos_++];
    std::string_view line;
    if (auto s = read_line(line); s != ParseStatus::complete) return s;
    switch (type) {
      case '+':
        out.type = Reply::Type::status;
        out.text.assign(line);
        return ParseStatus::complete;
      case '-':
        out.type = Reply::Type::error;
        out.text.assign(line);
        return ParseStatus::complete;
      case ':':
        out.type = Reply::Type::integer;
        return integer(line, out.integer) ? ParseStatus::complete : malformed("bad integer");
      case '$':
        return bulk(line, out);
      case '*':
        return array(line, out, depth);
      default:
        return malformed("unknown reply type");
    }
  }

  std::size_t used() const noexcept { return pos_; }

 private:
  ParseStatus read_line(std::string_view& line) {
    const std::size_t end = bytes_.find("\r\n", pos_);
    if (end == std::string_view::npos) {
      // A status or error line is short; a peer sending a megabyte without CRLF is not Redis.
      return bytes_.size() - pos_ > max_line ? malformed("line too long") : ParseStatus::need_more;
    }
    line = bytes_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return ParseStatus::complete;
  }

  static bool integer(std::string_view text, std::int64_t& v) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && end == text.data() + text.size();
  }

  ParseStatus length(std::string_view line, std::size_t limit, std::int64_t& n) {
    if (!integer(line, n) || n < -1) return malformed("bad length");
    if (n > static_cast<std::int64_t>(limit)) return malformed("length beyond the limit");
    return ParseStatus::complete;
  }

  ParseStatus bulk(std::string_view line, Reply& out) {
    std::int64_t n = 0;
    if (auto s = length(line, max_bulk, n); s != ParseStatus::complete) return s;
    if (n == -1) {
      out.type = Reply::Type::nil;
      return ParseStatus::complete;
    }
    const auto size = static_cast<std::size_t>(n);
    if (bytes_.size() - pos_ < size + 2) return ParseStatus::need_more;
    if (bytes_.substr(pos_ + size, 2) != "\r\n") return malformed("bulk string not followed by CRLF");
    out.type = Reply::Type::bulk;
    out.text.assign(bytes_.substr(pos_, size));
    pos_ += size + 2;
    return ParseStatus::complete;
  }

  ParseStatus array(std::string_view line, Reply& out, int depth) {
    std::int64_t n = 0;
    if (auto s = length(line, max_elements, n); s != ParseStatus::complete) return s;
    if (n == -1) {
      out.type = Reply::Type::nil;
      return ParseStatus::complete;
    }
    if (depth >= max_depth) return malformed("arrays nested too deeply");
    out.type = Reply::Type::array;
    out.elements.clear();
    for (std::int64_t i = 0; i < n; ++i) {
      // Elements are appended one by one: a count announced by the peer reserves nothing.
      if (auto s = reply(out.elements.emplace_back(), depth + 1); s != ParseStatus::complete) return s;
    }
    return ParseStatus::complete;
  }

  ParseStatus malformed(const char* what) {
    if (why_ != nullptr) *why_ = what;
    return ParseStatus::malformed;
  }

  static constexpr std::size_t max_line = 64 * 1024;
  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::string* why_;
};

}  // namespace

std::string_view Reply::error_code() const noexcept {
  if (type != Type::error) return {};
  const std::string_view t = text;
  return t.substr(0, t.find(' '));
}

void append_command(std::string& out, std::span<const std::string_view> args) {
  out += '*';
  append_decimal(out, args.size());
  out += "\r\n";
  for (std::string_view a : args) {
    out += '$';
    append_decimal(out, a.size());
    out += "\r\n";
    out.append(a);
    out += "\r\n";
  }
}

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

ParseStatus parse_reply(std::string_view bytes, Reply& out, std::size_t& used, std::string* why) {
  Parser p(bytes, why);
  out = Reply{};
  const ParseStatus s = p.reply(out, 0);
  if (s == ParseStatus::complete) used = p.used();
  return s;
}

ParseStatus Reader::next(Reply& out) {
  if (!error_.empty()) return ParseStatus::malformed;
  std::size_t used = 0;
  const ParseStatus s = parse_reply(std::string_view(buffer_).substr(start_), out, used, &error_);
  if (s == ParseStatus::malformed && error_.empty()) error_ = "malformed reply";
  if (s != ParseStatus::complete) return s;
  start_ += used;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > 4096 && start_ > buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  return s;
}

}  // namespace spoa::resp
