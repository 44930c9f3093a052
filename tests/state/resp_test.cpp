// RESP2 without I/O (on hiredis): the exact bytes of commands, every reply type, replies split at every
// offset, malformed or oversized input refused with a reason, and replies at the limits accepted.
#include "agent/state/resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spoa::resp {
namespace {

using namespace std::string_literals;

TEST(Resp, CommandsAreArraysOfBulkStrings) {
  std::string out;
  append_command(out, {"SET", "k", "a\r\nb\0c"s});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\0c\r\n"s);
  append_command(out, {"PING"});  // appends: two commands pipelined in one buffer
  EXPECT_EQ(out.substr(out.size() - 14), "*1\r\n$4\r\nPING\r\n");
  std::string empty_arg;
  append_command(empty_arg, {"GET", ""});
  EXPECT_EQ(empty_arg, "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
}

TEST(Resp, ParsesEveryReplyType) {
  struct Case {
    std::string bytes;
    Reply::Type type;
    std::string text;
    std::int64_t integer;
  };
  const std::vector<Case> cases{
      {"+OK\r\n", Reply::Type::status, "OK", 0},
      {"-WRONGPASS invalid username-password pair\r\n", Reply::Type::error, "WRONGPASS invalid username-password pair", 0},
      {":-9223372036854775808\r\n", Reply::Type::integer, "", INT64_MIN},
      {":42\r\n", Reply::Type::integer, "", 42},
      {"$5\r\nh\r\nlo\r\n", Reply::Type::bulk, "h\r\nlo", 0},
      {"$0\r\n\r\n", Reply::Type::bulk, "", 0},
      {"$-1\r\n", Reply::Type::nil, "", 0},
      {"*-1\r\n", Reply::Type::nil, "", 0},
  };
  for (const auto& c : cases) {
    Reply r;
    std::size_t used = 0;
    ASSERT_EQ(parse_reply(c.bytes + "+next\r\n", r, used), ParseStatus::complete) << c.bytes;
    EXPECT_EQ(used, c.bytes.size()) << c.bytes;
    EXPECT_EQ(r.type, c.type) << c.bytes;
    EXPECT_EQ(r.text, c.text) << c.bytes;
    EXPECT_EQ(r.integer, c.integer) << c.bytes;
  }
  Reply e;
  std::size_t used = 0;
  ASSERT_EQ(parse_reply("-READONLY You can't write against a read only replica.\r\n", e, used), ParseStatus::complete);
  EXPECT_EQ(e.error_code(), "READONLY");
  EXPECT_TRUE(e.is_error());
}

TEST(Resp, ParsesNestedArrays) {
  // ROLE of a replica, and SENTINEL get-master-addr-by-name.
  const std::string bytes = "*2\r\n*2\r\n$5\r\nslave\r\n:7\r\n$9\r\n127.0.0.1\r\n";
  Reply r;
  std::size_t used = 0;
  ASSERT_EQ(parse_reply(bytes, r, used), ParseStatus::complete);
  ASSERT_EQ(r.type, Reply::Type::array);
  ASSERT_EQ(r.elements.size(), 2u);
  ASSERT_EQ(r.elements[0].elements.size(), 2u);
  EXPECT_EQ(r.elements[0].elements[0].text, "slave");
  EXPECT_EQ(r.elements[0].elements[1].integer, 7);
  EXPECT_EQ(r.elements[1].text, "127.0.0.1");
  Reply empty;
  ASSERT_EQ(parse_reply("*0\r\n", empty, used), ParseStatus::complete);
  EXPECT_EQ(empty.type, Reply::Type::array);
  EXPECT_TRUE(empty.elements.empty());
}

TEST(Resp, EveryTruncationNeedsMoreAndTheReaderReassembles) {
  const std::string stream = "+OK\r\n:12\r\n$3\r\nabc\r\n*2\r\n$1\r\nx\r\n$-1\r\n-ERR no\r\n";
  for (std::size_t cut = 0; cut < stream.size(); ++cut) {
    // Whatever prefix arrives first, the reader hands out the same five replies once all bytes are in.
    Reader reader;
    std::vector<Reply> got;
    auto drain = [&] {
      Reply r;
      ParseStatus s;
      while ((s = reader.next(r)) == ParseStatus::complete) got.push_back(r);
      return s;
    };
    reader.feed(std::string_view(stream).substr(0, cut));
    ASSERT_EQ(drain(), ParseStatus::need_more) << cut;
    reader.feed(std::string_view(stream).substr(cut));
    ASSERT_EQ(drain(), ParseStatus::need_more) << cut;
    ASSERT_EQ(got.size(), 5u) << cut;
    EXPECT_EQ(got[0].text, "OK");
    EXPECT_EQ(got[1].integer, 12);
    EXPECT_EQ(got[2].text, "abc");
    ASSERT_EQ(got[3].elements.size(), 2u);
    EXPECT_EQ(got[3].elements[1].type, Reply::Type::nil);
    EXPECT_EQ(got[4].error_code(), "ERR");
    EXPECT_EQ(reader.buffered(), 0u);
  }
  // Byte by byte, too.
  Reader reader;
  std::size_t replies = 0;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    Reply r;
    while (reader.next(r) == ParseStatus::complete) ++replies;
  }
  EXPECT_EQ(replies, 5u);
}

TEST(Resp, MalformedInputIsRefusedWithAReason) {
  struct Case {
    std::string bytes;
    std::string why;
  };
  // The protocol errors are hiredis's texts; the limits (and the CRLF after a string) are ours.
  const std::vector<Case> cases{
      {"?what\r\n", "Protocol error, got \"?\" as reply type byte"},
      {"%1\r\n", "Protocol error, got \"%\" as reply type byte"},  // RESP3 map: never asked for
      {":12x\r\n", "Bad integer value"},
      {":\r\n", "Bad integer value"},
      {":99999999999999999999\r\n", "Bad integer value"},
      {"$-2\r\n", "Bulk string length out of range"},
      {"$abc\r\n", "Bad bulk string length"},
      {"*abc\r\n", "Bad multi-bulk length"},
      {"$3\r\nabcd\r\n", "bulk string not followed by CRLF"},
      // A string longer than max_bulk: refused whole, or as soon as more than it may hold has arrived.
      {"$" + std::to_string(max_bulk + 1) + "\r\n" + std::string(max_bulk + 1, 'x') + "\r\n", "length beyond the limit"},
      {"$99999999\r\n" + std::string(max_bulk + 64, 'x'), "length beyond the limit"},
      {"*99999999\r\n", "length beyond the limit"},
      {"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
       "No support for nested multi bulk replies with depth > 7"},
      {"+" + std::string(70 * 1024, 'x'), "line too long"},
      {"-" + std::string(max_line + 1, 'x') + "\r\n", "line too long"},
  };
  for (const auto& c : cases) {
    Reply r;
    std::size_t used = 0;
    std::string why;
    EXPECT_EQ(parse_reply(c.bytes, r, used, &why), ParseStatus::malformed) << c.bytes.substr(0, 20);
    EXPECT_EQ(why, c.why) << c.bytes.substr(0, 20);
  }
  Reader reader;
  reader.feed("+OK\r\n!\r\n");
  Reply r;
  EXPECT_EQ(reader.next(r), ParseStatus::complete);
  EXPECT_EQ(reader.next(r), ParseStatus::malformed);
  EXPECT_EQ(reader.error(), "Protocol error, got \"!\" as reply type byte");
  reader.feed("+OK\r\n");
  EXPECT_EQ(reader.next(r), ParseStatus::malformed) << "a reader that saw garbage stays unusable";
}

TEST(Resp, AReaderDrainedAfterEachFeedHoldsAtMostOneLongString) {
  // A peer announcing a huge string (or a line without end) is refused once the bytes it sent exceed
  // what one allowed element may hold, not when it has sent them all.
  for (const std::string& start : {"$999999999\r\n"s, "+"s, "*2\r\n:1\r\n$99999999\r\n"s}) {
    Reader reader;
    reader.feed(start);
    const std::string chunk(4096, 'x');
    std::size_t fed = start.size();
    Reply r;
    ParseStatus s;
    while ((s = reader.next(r)) == ParseStatus::need_more && fed < 2 * max_bulk) {
      reader.feed(chunk);
      fed += chunk.size();
    }
    EXPECT_EQ(s, ParseStatus::malformed) << start;
    EXPECT_EQ(reader.error(), start == "+" ? "line too long" : "length beyond the limit") << start;
    EXPECT_LE(fed, (start == "+" ? max_line : max_bulk) + 64 + 2 * chunk.size()) << start;
  }
}

TEST(Resp, RepliesAtTheLimitsAreFine) {
  std::string bytes;
  for (int i = 0; i < max_depth; ++i) bytes += "*1\r\n";
  bytes += ":1\r\n";
  Reply r;
  std::size_t used = 0;
  EXPECT_EQ(parse_reply(bytes, r, used), ParseStatus::complete);
  EXPECT_EQ(used, bytes.size());

  const std::string longest_line = "+" + std::string(max_line, 's') + "\r\n";
  const std::string longest_bulk = "$" + std::to_string(max_bulk) + "\r\n" + std::string(max_bulk, 'b') + "\r\n";
  std::string largest_array = "*" + std::to_string(max_elements) + "\r\n";
  for (std::size_t i = 0; i < max_elements; ++i) largest_array += ":7\r\n";
  for (const std::string* reply : std::vector<const std::string*>{&longest_line, &longest_bulk, &largest_array}) {
    // Whole, and through a reader fed 4096 bytes at a time as the store's connection does.
    EXPECT_EQ(parse_reply(*reply, r, used), ParseStatus::complete) << reply->substr(0, 12);
    EXPECT_EQ(used, reply->size());
    Reader reader;
    std::size_t replies = 0;
    for (std::size_t at = 0; at < reply->size(); at += 4096) {
      reader.feed(std::string_view(*reply).substr(at, 4096));
      ParseStatus s;
      while ((s = reader.next(r)) == ParseStatus::complete) ++replies;
      ASSERT_EQ(s, ParseStatus::need_more) << reply->substr(0, 12) << ": " << reader.error();
    }
    EXPECT_EQ(replies, 1u) << reply->substr(0, 12);
  }
  EXPECT_EQ(r.elements.size(), max_elements);
  EXPECT_EQ(r.elements.back().integer, 7);
}

TEST(Resp, AMovedReaderKeepsItsBytes) {
  Reader first;
  first.feed("+O");
  Reply r;
  EXPECT_EQ(first.next(r), ParseStatus::need_more);
  Reader second(std::move(first));
  second.feed("K\r\n");
  ASSERT_EQ(second.next(r), ParseStatus::complete);
  EXPECT_EQ(r.text, "OK");
  first = std::move(second);
  first.feed(":5\r\n");
  ASSERT_EQ(first.next(r), ParseStatus::complete);
  EXPECT_EQ(r.integer, 5);
}

}  // namespace
}  // namespace spoa::resp
