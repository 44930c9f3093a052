// Fuzz target: bytes a Redis server (or anything answering on its port) might send, through the RESP
// reader in random chunks and every interpretation the Redis store gives a reply.
// Invariants: the chunking does not change the replies (the stateless parser on the whole input gives the
// same ones); a reply written back as RESP parses to itself; each interpreter returns a result or throws a
// StateError whose text names the store, never anything else; a malformed stream stays malformed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/state/redis_commands.hpp"
#include "agent/state/resp.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

using fuzz::require;
using spoa::resp::ParseStatus;
using spoa::resp::Reply;

// The RESP2 bytes of a reply, as a server would write it.
void write_reply(std::string& out, const Reply& r) {
  switch (r.type) {
    case Reply::Type::status: out += "+" + r.text + "\r\n"; return;
    case Reply::Type::error: out += "-" + r.text + "\r\n"; return;
    case Reply::Type::integer: out += ":" + std::to_string(r.integer) + "\r\n"; return;
    case Reply::Type::bulk: out += "$" + std::to_string(r.text.size()) + "\r\n" + r.text + "\r\n"; return;
    case Reply::Type::nil: out += "$-1\r\n"; return;
    case Reply::Type::array:
      out += "*" + std::to_string(r.elements.size()) + "\r\n";
      for (const auto& e : r.elements) write_reply(out, e);
      return;
  }
}

bool same(const Reply& a, const Reply& b) {
  if (a.type != b.type || a.text != b.text || a.integer != b.integer || a.elements.size() != b.elements.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    if (!same(a.elements[i], b.elements[i])) return false;
  }
  return true;
}

template <typename Call>
void interpret(Call&& call) {
  constexpr std::string_view store = "redis 127.0.0.1:6379";
  try {
    call(spoa::redis::ReplyContext{store, "key"});
  } catch (const spoa::StateError& e) {
    require(std::string_view(e.what()).substr(0, store.size()) == store, "a StateError names the store");
  }
}

void check_meanings(const std::vector<Reply>& replies) {
  namespace redis = spoa::redis;
  for (const Reply& r : replies) {
    interpret([&](const redis::ReplyContext& c) { redis::get_result(r, c); });
    interpret([&](const redis::ReplyContext& c) { redis::set_result(r, c); });
    interpret([&](const redis::ReplyContext& c) { redis::incr_result(r, c, -1); });
    interpret([&](const redis::ReplyContext& c) { redis::del_result(r, c); });
    if (auto why = redis::server_unusable(r)) require(!why->empty() && r.is_error(), "only an error reply is unusable");
  }
  const spoa::RedisCredentials credentials{"user", "secret"};
  for (bool master : {false, true}) {
    if (auto p = redis::handshake_problem(replies, credentials, 3, master)) {
      require(!p->text.empty(), "a set-up problem says what");
      require(redis::without_secret(p->text, credentials.password) == p->text, "the password never shows");
    }
  }
  if (!replies.empty()) {
    auto where = redis::sentinel_query_result(replies, "mymaster");
    if (auto* e = std::get_if<spoa::RedisEndpoint>(&where)) require(!e->host.empty() && e->port != 0, "a master address is usable");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::size_t chunk_seed = fdp.ConsumeIntegral<std::uint8_t>();
  const std::string bytes = fdp.ConsumeRemainingBytesAsString();

  // The whole input at once, reply after reply.
  std::vector<Reply> whole;
  std::size_t at = 0;
  ParseStatus end = ParseStatus::need_more;
  for (;;) {
    Reply r;
    std::size_t used = 0;
    end = spoa::resp::parse_reply(std::string_view(bytes).substr(at), r, used);
    if (end != ParseStatus::complete) break;
    require(used > 0 && used <= bytes.size() - at, "a reply uses bytes of the input");
    at += used;
    whole.push_back(std::move(r));
  }

  // The same bytes in chunks of 1 to 64 bytes (the sizes follow from the first byte).
  spoa::resp::Reader reader;
  std::vector<Reply> chunked;
  ParseStatus last = ParseStatus::need_more;
  std::size_t step = chunk_seed;
  for (std::size_t pos = 0; pos < bytes.size() && last != ParseStatus::malformed;) {
    step = step * 1103515245 + 12345;
    const std::size_t n = std::min<std::size_t>(1 + (step >> 16) % 64, bytes.size() - pos);
    reader.feed(std::string_view(bytes).substr(pos, n));
    pos += n;
    Reply r;
    while ((last = reader.next(r)) == ParseStatus::complete) chunked.push_back(std::move(r));
  }
  require(chunked.size() == whole.size(), "chunking changes the number of replies");
  for (std::size_t i = 0; i < whole.size(); ++i) require(same(whole[i], chunked[i]), "chunking changes a reply");
  require((end == ParseStatus::malformed) == (last == ParseStatus::malformed), "chunking changes malformed");
  if (last == ParseStatus::malformed) {
    require(!reader.error().empty(), "a malformed stream says why");
    reader.feed("+OK\r\n");
    Reply r;
    require(reader.next(r) == ParseStatus::malformed, "a malformed reader stays malformed");
  } else {
    require(reader.buffered() == bytes.size() - at, "the reader keeps the unparsed rest");
  }

  // Written back, each reply parses to itself, whole.
  for (const Reply& r : whole) {
    std::string again;
    write_reply(again, r);
    Reply back;
    std::size_t used = 0;
    require(spoa::resp::parse_reply(again, back, used) == ParseStatus::complete && used == again.size(),
            "a reply written back parses whole");
    require(same(back, r), "a reply written back parses to itself");
  }
  check_meanings(whole);
  return 0;
}
