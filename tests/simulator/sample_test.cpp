// Sample fetches: parsing with HAProxy's error texts, where HAProxy 2.6 allows each fetch, and the
// values each one gives for a request, typed as HAProxy sends them (spop-protocol.md §2.2).
#include "simulator/sample.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace spop::sim {
namespace {

SampleExpr parsed(std::string_view text) {
  std::string error;
  std::optional<SampleExpr> e = parse_sample(text, error);
  EXPECT_TRUE(e.has_value()) << text << ": " << error;
  return e.value_or(SampleExpr{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_sample(text, error).has_value()) << text;
  return error;
}

// The value as spop::describe() prints it ("int64:-5", "str:\"a\"", "null"): type and value in one string.
std::string eval(std::string_view text, const Request& r, Direction dir = Direction::request) {
  return spop::describe(evaluate(parsed(text), r, dir));
}

Request sample_request() {
  Request r;
  r.src = spop::Ipv4Address{{192, 0, 2, 7}};
  r.src_port = 33990;
  r.dst = test::v6("2001:db8::80");
  r.dst_port = 8443;
  r.method = "POST";
  r.url = "/api/v1?x=1";
  r.headers = {{"Host", "example.com"}, {"X-Forwarded-For", "10.0.0.1, 10.0.0.2"}, {"x-forwarded-for", "10.0.0.3"},
               {"User-Agent", "curl/8.0, really"}};
  r.ssl = true;
  return r;
}

TEST(SampleEval, LayerFour) {
  const Request r = sample_request();
  EXPECT_EQ(eval("src", r), "ipv4:192.0.2.7");
  EXPECT_EQ(eval("dst", r), "ipv6:2001:db8::80");
  // Every integer sample is sent as INT64, ports included.
  EXPECT_EQ(eval("src_port", r), "int64:33990");
  EXPECT_EQ(eval("dst_port", r), "int64:8443");
  Request r6 = r;
  r6.src = test::v6("::1");
  EXPECT_EQ(eval("src", r6), "ipv6:::1");
}

TEST(SampleEval, RequestLineAndTls) {
  const Request r = sample_request();
  EXPECT_EQ(eval("method", r), "str:\"POST\"");  // HAProxy sends the method as STRING
  EXPECT_EQ(eval("path", r), "str:\"/api/v1\"");
  EXPECT_EQ(eval("url", r), "str:\"/api/v1?x=1\"");
  EXPECT_EQ(eval("ssl_fc", r), "bool:true");
  Request plain = r;
  plain.ssl = false;
  plain.url = "*";
  EXPECT_EQ(eval("ssl_fc", plain), "bool:false");
  EXPECT_EQ(eval("path", plain), "null");
}

TEST(SampleEval, Headers) {
  const Request r = sample_request();
  EXPECT_EQ(eval("req.hdr(host)", r), "str:\"example.com\"");
  // req.hdr: the last value after splitting at commas; req.fhdr: the last line, whole.
  EXPECT_EQ(eval("req.hdr(x-forwarded-for)", r), "str:\"10.0.0.3\"");
  EXPECT_EQ(eval("req.hdr(X-Forwarded-For,1)", r), "str:\"10.0.0.1\"");
  EXPECT_EQ(eval("req.hdr(x-forwarded-for,2)", r), "str:\"10.0.0.2\"");
  EXPECT_EQ(eval("req.hdr(x-forwarded-for,-2)", r), "str:\"10.0.0.2\"");
  EXPECT_EQ(eval("req.hdr(user-agent)", r), "str:\"really\"");
  EXPECT_EQ(eval("req.fhdr(user-agent)", r), "str:\"curl/8.0, really\"");
  EXPECT_EQ(eval("req.fhdr(x-forwarded-for)", r), "str:\"10.0.0.3\"");
  EXPECT_EQ(eval("req.fhdr(x-forwarded-for,1)", r), "str:\"10.0.0.1, 10.0.0.2\"");
  EXPECT_EQ(eval("hdr(x-forwarded-for,1)", r), "str:\"10.0.0.1\"");
  EXPECT_EQ(eval("hdr(host)", r), "str:\"example.com\"");
}

TEST(SampleEval, MissingSamplesAreNull) {
  const Request r = sample_request();
  EXPECT_EQ(eval("req.hdr(x-missing)", r), "null");
  EXPECT_EQ(eval("req.fhdr(x-missing)", r), "null");
  EXPECT_EQ(eval("req.hdr(host,2)", r), "null");
  EXPECT_EQ(eval("hdr(x-missing)", r), "null");
  // Responses are not simulated: hdr() in a response event has nothing to read.
  EXPECT_EQ(eval("hdr(host)", r, Direction::response), "null");
}

TEST(SampleEval, Constants) {
  const Request r;
  EXPECT_EQ(eval("int(-5)", r), "int64:-5");  // INT64, not INT32
  EXPECT_EQ(eval("int(+5)", r), "int64:5");
  EXPECT_EQ(eval("int(100000)", r), "int64:100000");
  EXPECT_EQ(eval("int(99999999999999999999)", r), "int64:9223372036854775807");  // saturated
  EXPECT_EQ(eval("int(-9223372036854775808)", r), "int64:-9223372036854775808");
  EXPECT_EQ(eval("str(hello)", r), "str:\"hello\"");
  EXPECT_EQ(eval("str()", r), "str:\"\"");
  EXPECT_EQ(eval("str", r), "str:\"\"");
  EXPECT_EQ(eval("bool(1)", r), "bool:true");
  EXPECT_EQ(eval("bool(true)", r), "bool:true");
  EXPECT_EQ(eval("bool(0)", r), "bool:false");
  EXPECT_EQ(eval("bool(false)", r), "bool:false");
  EXPECT_EQ(eval("ipv4(10.1.2.3)", r), "ipv4:10.1.2.3");
  EXPECT_EQ(eval("ipv6(::55)", r), "ipv6:::55");
  EXPECT_EQ(eval("bin(00ff10)", r), "bin:00ff10");
  EXPECT_EQ(eval("bin(AbCd)", r), "bin:abcd");
  EXPECT_EQ(eval("always_true", r), "bool:true");
  EXPECT_EQ(eval("always_false", r), "bool:false");
  EXPECT_EQ(eval("src()", r), "ipv4:127.0.0.1");
  EXPECT_EQ(eval("src,", r), "ipv4:127.0.0.1");  // HAProxy accepts a trailing comma
}

TEST(SampleParse, Arguments) {
  std::string error;
  std::optional<SampleArg> a = parse_sample_arg("ip=src", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "ip");
  EXPECT_EQ(a->expr.fetch, Fetch::src);
  EXPECT_EQ(a->expr.text, "src");
  a = parse_sample_arg("req.fhdr(host)", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "");
  EXPECT_EQ(a->expr.fetch, Fetch::req_fhdr);
  // The name ends at the first '=', as in HAProxy: "a=b=src" asks for a fetch named "b".
  EXPECT_FALSE(parse_sample_arg("a=b=src", error));
  EXPECT_THAT(error, testing::StartsWith("unknown or unsupported fetch method 'b'"));
  EXPECT_EQ(keyword(Fetch::req_hdr), "req.hdr");
}

// The texts HAProxy 2.6.12 prints for the same `args` item (after "'args': ").
TEST(SampleParse, ErrorsLikeHaproxy) {
  const std::pair<const char*, const char*> cases[] = {
      {"int(x)", "fetch method 'int' : failed to parse 'x' as type 'integer' at position 1"},
      {"int(1.5)", "fetch method 'int' : failed to parse '1.5' as type 'integer' at position 1"},
      {"int()", "fetch method 'int' : expected type 'integer' at position 1, but got nothing"},
      {"int", "fetch method 'int' : expected type 'integer' at position 1, but got nothing"},
      {"str(a,b)", "fetch method 'str' : expected ')' before ',b)'"},
      {"req.hdr(host,x)", "fetch method 'req.hdr' : failed to parse 'x' as type 'integer' at position 2"},
      {"hdr(a,b,c)", "fetch method 'hdr' : failed to parse 'b' as type 'integer' at position 2"},
      {"hdr(a,1,c)", "fetch method 'hdr' : expected ')' before ',c)'"},
      {"bool(2)", "invalid args in fetch method 'bool' : Expects 'true', 'false', '0' or '1'"},
      {"bool", "invalid args in fetch method 'bool' : Expects 'true', 'false', '0' or '1'"},
      {"ipv4(1.2.3)", "fetch method 'ipv4' : failed to parse '1.2.3' as type 'IPv4 address' at position 1"},
      {"ipv4", "fetch method 'ipv4' : expected type 'IPv4 address' at position 1, but got nothing"},
      {"ipv6(1.2.3.4)", "fetch method 'ipv6' : failed to parse '1.2.3.4' as type 'IPv6 address' at position 1"},
      {"bin(abc)", "invalid args in fetch method 'bin' : an even number of hex digit is expected"},
      {"bin(zz)", "invalid args in fetch method 'bin' : an hex digit is expected (found 'z')"},
      {"bin()", "invalid args in fetch method 'bin' : hex digits are expected"},  // HAProxy prints "(null)"
      {"src(1)", "fetch method 'src' : expected ')' before '1)'"},
      {"method(x)", "fetch method 'method' : expected ')' before 'x)'"},
      {"src)", "missing comma after fetch keyword 'src'"},
      {"req.hdr(host)x", "missing comma after fetch keyword 'req.hdr'"},
      {"src(", "fetch method 'src' : expected ')'"},
      {"req.hdr(host", "fetch method 'req.hdr' : expected ')'"},
      {"", "missing fetch method"},
      {"src,lower", "converters are not supported by spop-sim ('src,lower')"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(parse_error(text), error) << text;
}

// Where HAProxy 2.6.12 accepts each fetch, per event (checked with `haproxy -c` for a frontend, a
// listen and a backend, which agree): 1 = accepted.
TEST(SampleAvailability, MatchesHaproxy) {
  // Events in all_events order: client-session, server-session, fe-tcp-req, be-tcp-req, tcp-rsp,
  // fe-http-req, be-http-req, http-rsp.
  const std::pair<const char*, const char*> table[] = {
      {"src", "11111111"},         {"src_port", "11111111"},   {"dst", "11111111"},    {"dst_port", "11111111"},
      {"req.hdr(host)", "01110110"}, {"req.fhdr(host)", "01110110"}, {"hdr(host)", "01111111"},
      {"path", "01110110"},        {"method", "01111111"},     {"url", "01110110"},    {"ssl_fc", "01111111"},
      {"int(1)", "11111111"},      {"always_true", "11111111"}, {"str(a)", "11111111"},
  };
  for (const auto& [text, row] : table) {
    const SampleExpr e = parsed(text);
    for (std::size_t i = 0; i < all_events.size(); ++i)
      EXPECT_EQ(available_at(e.fetch, all_events[i]), row[i] == '1') << text << " at " << to_string(all_events[i]);
  }
}

TEST(EvaluatedMessage, OwnsItsBytesAfterTheRequestAndArgsAreGone) {
  std::optional<EvaluatedMessage> kept;
  {
    std::vector<SampleArg> args;
    std::string error;
    for (const char* item : {"always_true", "int(1234)", "src", "ipv6(::55)", "h=req.fhdr(host)", "b=bin(0001)",
                             "missing=req.hdr(x-none)"})
      args.push_back(*parse_sample_arg(item, error));
    Request r;
    r.headers = {{"host", "127.0.0.1:10001"}};
    kept.emplace("check-client-ip", args, r, Direction::request);
    r.headers[0].value.assign(64, 'X');  // would show through if the message still viewed the request
    args.clear();
  }
  EvaluatedMessage m = std::move(*kept);
  kept.reset();
  EXPECT_EQ(m.name(), "check-client-ip");
  const std::vector<spop::Argument>& a = m.arguments();
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(a[0].name, "");
  EXPECT_EQ(a[0].value, spop::Value::boolean(true));
  EXPECT_EQ(a[1].value, spop::Value::int64(1234));
  EXPECT_EQ(a[2].value, spop::Value::ipv4({{127, 0, 0, 1}}));
  EXPECT_EQ(a[3].value, spop::Value::ipv6(test::v6("::55")));
  EXPECT_EQ(a[4].name, "h");
  EXPECT_EQ(a[4].value, spop::Value::string("127.0.0.1:10001"));
  EXPECT_EQ(a[5].name, "b");
  EXPECT_EQ(a[5].value, spop::Value::binary(std::string_view("\x00\x01", 2)));
  EXPECT_EQ(a[6].name, "missing");
  EXPECT_TRUE(a[6].value.is_null());
}

TEST(EvaluatedMessage, NoArguments) {
  const EvaluatedMessage m("empty", {}, Request{}, Direction::request);
  EXPECT_TRUE(m.arguments().empty());
}

}  // namespace
}  // namespace spop::sim
