// Request: HAProxy's header lookup rules (case-insensitive names, comma-separated values outside
// quotes, occurrences counted from either end) and the path of a request target.
#include "simulator/request.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace spop::sim {
namespace {

using testing::ElementsAre;

Request with_headers(std::vector<Header> headers) {
  Request r;
  r.headers = std::move(headers);
  return r;
}

TEST(RequestHeaders, NamesAreCaseInsensitiveAndValuesTrimmed) {
  const Request r = with_headers({{"Host", "  example.com\t"}, {"X-A", "1"}});
  EXPECT_EQ(r.header("host", -1, HeaderSplit::commas), "example.com");
  EXPECT_EQ(r.header("HOST", -1, HeaderSplit::full_lines), "example.com");
  EXPECT_EQ(r.header("x-a", -1, HeaderSplit::commas), "1");
  EXPECT_EQ(r.header("x-b", -1, HeaderSplit::commas), std::nullopt);
}

TEST(RequestHeaders, CommaSplittingRespectsQuotes) {
  const Request r = with_headers({{"X", "a, \"b,c\" ,d"}, {"X", "\"e\\\",f\",g"}, {"Y", "p,,q"}});
  EXPECT_THAT(r.header_values("x", HeaderSplit::commas), ElementsAre("a", "\"b,c\"", "d", "\"e\\\",f\"", "g"));
  EXPECT_THAT(r.header_values("x", HeaderSplit::full_lines), ElementsAre("a, \"b,c\" ,d", "\"e\\\",f\",g"));
  EXPECT_THAT(r.header_values("y", HeaderSplit::commas), ElementsAre("p", "", "q"));
}

TEST(RequestHeaders, Occurrences) {
  const Request r = with_headers({{"X", "1, 2"}, {"Other", "o"}, {"x", "3"}});
  EXPECT_EQ(r.header("x", 1, HeaderSplit::commas), "1");
  EXPECT_EQ(r.header("x", 2, HeaderSplit::commas), "2");
  EXPECT_EQ(r.header("x", 3, HeaderSplit::commas), "3");
  EXPECT_EQ(r.header("x", 4, HeaderSplit::commas), std::nullopt);
  EXPECT_EQ(r.header("x", -1, HeaderSplit::commas), "3");
  EXPECT_EQ(r.header("x", 0, HeaderSplit::commas), "3");  // a sample fetch's default: the last one
  EXPECT_EQ(r.header("x", -3, HeaderSplit::commas), "1");
  EXPECT_EQ(r.header("x", -4, HeaderSplit::commas), std::nullopt);
  EXPECT_EQ(r.header("x", 1, HeaderSplit::full_lines), "1, 2");
  EXPECT_EQ(r.header("x", -1, HeaderSplit::full_lines), "3");
  EXPECT_EQ(r.header("x", 3, HeaderSplit::full_lines), std::nullopt);
}

TEST(RequestHeaders, AnEmptyNameMatchesEveryHeader) {
  const Request r = with_headers({{"A", "1"}, {"B", "2, 3"}});
  EXPECT_EQ(r.header("", -1, HeaderSplit::commas), "3");
  EXPECT_EQ(r.header("", -1, HeaderSplit::full_lines), "2, 3");
  EXPECT_EQ(r.header("", 1, HeaderSplit::commas), "1");
}

TEST(RequestPath, OriginAbsoluteAndAsteriskForms) {
  Request r;
  auto path = [&r](std::string url) {
    r.url = std::move(url);
    return r.path();
  };
  EXPECT_EQ(path("/"), "/");
  EXPECT_EQ(path("/a/b?x=1&y=2"), "/a/b");
  EXPECT_EQ(path("/?q"), "/");
  EXPECT_EQ(path("/a?b://c"), "/a");
  EXPECT_EQ(path("http://example.com/p/q?x"), "/p/q");
  EXPECT_EQ(path("https://example.com:8443/"), "/");
  EXPECT_EQ(path("http://example.com"), std::nullopt);
  EXPECT_EQ(path("*"), std::nullopt);
}

TEST(RequestAddresses, ParseAndPrint) {
  IpAddress a;
  ASSERT_TRUE(parse_ip("192.0.2.7", a));
  EXPECT_TRUE(std::holds_alternative<spop::Ipv4Address>(a));
  EXPECT_EQ(to_string(a), "192.0.2.7");
  ASSERT_TRUE(parse_ip("2001:db8::1", a));
  EXPECT_TRUE(std::holds_alternative<spop::Ipv6Address>(a));
  EXPECT_EQ(to_string(a), "2001:db8::1");
  EXPECT_FALSE(parse_ip("1.2.3", a));
  EXPECT_FALSE(parse_ip("example.com", a));
  EXPECT_EQ(to_string(loopback_v4()), "127.0.0.1");
}

}  // namespace
}  // namespace spop::sim
