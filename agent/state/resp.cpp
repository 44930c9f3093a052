// RESP2 on hiredis's formatter and reply reader (see resp.hpp): hiredis parses, the reply functions below
// build Reply trees and enforce the limits it does not.
#include "agent/state/resp.hpp"

#include <hiredis/hiredis.h>

#include <array>
#include <climits>
#include <new>
#include <stdexcept>
#include <utility>

namespace spoa::resp {

namespace detail {

struct ReaderFree {
  void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};

struct ReaderState {
  std::unique_ptr<redisReader, ReaderFree> reader;
  std::string refused;      // the limit a reply function refused (hiredis itself then says "Out of memory")
  std::string error;        // set once: the reader is malformed from then on
  std::size_t pending = 0;  // bytes fed and not in a reply handed out
};

}  // namespace detail

namespace {

using detail::ReaderState;

// Bytes of one string as they arrive: a length line of at most 20 digits, the string, its CRLF.
constexpr std::size_t max_unparsed_element = max_bulk + 64;

void* refuse_reply(const redisReadTask* task, const char* why) noexcept {
  static_cast<ReaderState*>(task->privdata)->refused = why;
  return nullptr;  // hiredis stops with an error; Reader::next() reports `why`
}

// Puts `value` where hiredis builds it: a new root (hiredis hands it back from redisReaderGetReply, or to
// resp_free_reply on an error) or the next element of the array being filled. A pointer to an element
// stays valid while hiredis uses it as a parent: its own array does not grow until it is complete.
void* place_reply(const redisReadTask* task, Reply&& value) noexcept {
  try {
    if (task->parent == nullptr) return new Reply(std::move(value));
    auto* parent = static_cast<Reply*>(task->parent->obj);
    return &parent->elements.emplace_back(std::move(value));
  } catch (const std::bad_alloc&) {
    return nullptr;  // hiredis says "Out of memory"
  }
}

void* resp_create_string(const redisReadTask* task, char* str, std::size_t len) noexcept {
  Reply r;
  switch (task->type) {
    case REDIS_REPLY_STATUS: r.type = Reply::Type::status; break;
    case REDIS_REPLY_ERROR: r.type = Reply::Type::error; break;
    default: r.type = Reply::Type::bulk; break;
  }
  if (r.type == Reply::Type::bulk) {
    if (len > max_bulk) return refuse_reply(task, "length beyond the limit");
    // hiredis checks that the CRLF's two bytes arrived, not what they are: "$3\r\nabcd" would give "abc".
    if (str[len] != '\r' || str[len + 1] != '\n') return refuse_reply(task, "bulk string not followed by CRLF");
  } else if (len > max_line) {
    return refuse_reply(task, "line too long");
  }
  try {
    r.text.assign(str, len);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  return place_reply(task, std::move(r));
}

void* resp_create_array(const redisReadTask* task, int elements) noexcept {
  // Elements are added one by one: a count announced by the peer reserves nothing.
  if (static_cast<std::size_t>(elements) > max_elements) return refuse_reply(task, "length beyond the limit");
  Reply r;
  r.type = Reply::Type::array;
  return place_reply(task, std::move(r));
}

void* resp_create_integer(const redisReadTask* task, long long value) noexcept {
  Reply r;
  r.type = Reply::Type::integer;
  r.integer = value;
  return place_reply(task, std::move(r));
}

void* resp_create_nil(const redisReadTask* task) noexcept { return place_reply(task, Reply{}); }

void resp_free_reply(void* reply) noexcept { delete static_cast<Reply*>(reply); }

redisReplyObjectFunctions g_reply_functions{
    resp_create_string, resp_create_array, resp_create_integer, resp_create_nil, resp_free_reply,
};

// What hiredis holds of the reply it is reading, beyond whole elements: the element it waits to complete.
std::string_view unparsed(const redisReader& r) noexcept { return {r.buf + r.pos, r.len - r.pos}; }

// Why the element hiredis waits for cannot be valid, or nullptr. hiredis would wait for its end however
// long it grows; the limits are checked here as the bytes arrive, so that the reader never holds more
// than one element of the largest allowed size (and never rescans a long line for its end).
const char* beyond_limits(std::string_view rest) noexcept {
  // Every element begins with a line (a status, an error, an integer or a length): a long one is refused
  // when its first max_line + 2 bytes hold no CRLF, as a whole one is by resp_create_string.
  if (rest.size() >= max_line + 2 && rest.substr(0, max_line + 2).find("\r\n") == std::string_view::npos) {
    return "line too long";
  }
  if (rest.size() > max_unparsed_element) return "length beyond the limit";
  return nullptr;
}

}  // namespace

std::string_view Reply::error_code() const noexcept {
  if (type != Type::error) return {};
  const std::string_view t = text;
  return t.substr(0, t.find(' '));
}

void append_command(std::string& out, std::span<const std::string_view> args) {
  constexpr std::size_t on_stack = 8;  // every command of the store has fewer arguments
  std::array<const char*, on_stack> small_argv{};
  std::array<std::size_t, on_stack> small_lengths{};
  std::vector<const char*> large_argv;
  std::vector<std::size_t> large_lengths;
  const char** argv = small_argv.data();
  std::size_t* lengths = small_lengths.data();
  if (args.size() > on_stack) {
    large_argv.resize(args.size());
    large_lengths.resize(args.size());
    argv = large_argv.data();
    lengths = large_lengths.data();
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data() != nullptr ? args[i].data() : "";  // hiredis copies from it even when empty
    lengths[i] = args[i].size();
    total += args[i].size() + 32;
  }
  // hiredis counts the command's length in an int.
  if (args.size() > INT_MAX / 64 || total > INT_MAX / 2) throw std::length_error("Redis command too long");
  char* command = nullptr;
  const int length = redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv, lengths);
  if (length < 0) throw std::bad_alloc();
  std::unique_ptr<char, void (*)(char*)> owned(command, redisFreeCommand);
  out.append(command, static_cast<std::size_t>(length));
}

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

Reader::Reader() noexcept = default;
Reader::~Reader() = default;
Reader::Reader(Reader&& other) noexcept = default;
Reader& Reader::operator=(Reader&& other) noexcept = default;

detail::ReaderState& Reader::state() {
  if (!state_) {
    auto s = std::make_unique<ReaderState>();
    s->reader.reset(redisReaderCreateWithFunctions(&g_reply_functions));
    if (!s->reader) throw std::bad_alloc();
    s->reader->privdata = s.get();  // the reply functions' way back to `refused`
    state_ = std::move(s);
  }
  return *state_;
}

void Reader::feed(std::string_view bytes) {
  ReaderState& s = state();
  if (!s.error.empty() || bytes.empty()) return;
  // On failure (out of memory) hiredis keeps the error for the next redisReaderGetReply().
  redisReaderFeed(s.reader.get(), bytes.data(), bytes.size());
  s.pending += bytes.size();
}

ParseStatus Reader::next(Reply& out) {
  ReaderState& s = state();
  if (!s.error.empty()) return ParseStatus::malformed;
  void* reply = nullptr;
  if (redisReaderGetReply(s.reader.get(), &reply) != REDIS_OK) {
    s.error = !s.refused.empty() ? s.refused : std::string(s.reader->errstr);
    if (s.error.empty()) s.error = "malformed reply";
    return ParseStatus::malformed;
  }
  if (reply == nullptr) {
    if (const char* why = beyond_limits(unparsed(*s.reader))) {
      s.error = why;
      s.reader.reset();  // frees what it held; next() and feed() stop at the error from now on
      return ParseStatus::malformed;
    }
    return ParseStatus::need_more;
  }
  const std::unique_ptr<Reply> got(static_cast<Reply*>(reply));
  out = std::move(*got);
  s.pending = unparsed(*s.reader).size();  // hiredis stops at the end of the reply: the rest is untouched
  return ParseStatus::complete;
}

const std::string& Reader::error() const noexcept {
  static const std::string none;
  return state_ ? state_->error : none;
}

std::size_t Reader::buffered() const noexcept { return state_ ? state_->pending : 0; }

ParseStatus parse_reply(std::string_view bytes, Reply& out, std::size_t& used, std::string* why) {
  Reader reader;
  reader.feed(bytes);
  out = Reply{};
  const ParseStatus s = reader.next(out);
  if (s == ParseStatus::complete) used = bytes.size() - reader.buffered();
  if (s == ParseStatus::malformed && why != nullptr) *why = reader.error();
  return s;
}

}  // namespace spoa::resp
