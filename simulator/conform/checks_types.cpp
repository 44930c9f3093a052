// Typed-data checks (TY-*): every TYPED-DATA type and its extremes, echoed back (§2.1, §2.2). They need
// the spop-conformance-echo message.
#include <string>

#include "simulator/conform/echo.hpp"
#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

Outcome echo_exchange(Context& ctx, const EchoArgs& echo) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  AckReply ack;
  if (std::string e = s.round_trip(echo_message, echo.args(), ack); !e.empty()) return fail(e);
  if (std::string e = compare_echo(echo.args(), ack.contents); !e.empty()) return fail(e);
  return pass();
}

Outcome null_and_bool(Context& ctx) {
  EchoArgs a;
  a.add("null", Value::null());
  a.add("bool_true", Value::boolean(true));
  a.add("bool_false", Value::boolean(false));
  a.add("null_last", Value::null());
  return echo_exchange(ctx, a);
}

Outcome int32s(Context& ctx) {
  EchoArgs a;
  a.add("int32_min", Value::int32(INT32_MIN));
  a.add("int32_max", Value::int32(INT32_MAX));
  a.add("int32_zero", Value::int32(0));
  a.add("int32_minus_one", Value::int32(-1));
  a.add("int32_239", Value::int32(239));
  a.add("int32_240", Value::int32(240));
  return echo_exchange(ctx, a);
}

Outcome uint32s(Context& ctx) {
  EchoArgs a;
  a.add("uint32_zero", Value::uint32(0));
  a.add("uint32_max", Value::uint32(UINT32_MAX));
  a.add("uint32_2287", Value::uint32(2287));
  a.add("uint32_2288", Value::uint32(2288));
  return echo_exchange(ctx, a);
}

Outcome int64s(Context& ctx) {
  EchoArgs a;
  a.add("int64_min", Value::int64(INT64_MIN));
  a.add("int64_max", Value::int64(INT64_MAX));
  a.add("int64_minus_one", Value::int64(-1));
  a.add("int64_zero", Value::int64(0));
  return echo_exchange(ctx, a);
}

Outcome uint64s(Context& ctx) {
  EchoArgs a;
  a.add("uint64_zero", Value::uint64(0));
  a.add("uint64_max", Value::uint64(UINT64_MAX));
  a.add("uint64_2_63", Value::uint64(1ull << 63));
  a.add("uint64_2_32", Value::uint64(1ull << 32));
  return echo_exchange(ctx, a);
}

Outcome addresses(Context& ctx) {
  EchoArgs a;
  for (const char* text : {"0.0.0.0", "127.0.0.1", "255.255.255.255"}) {
    Ipv4Address v4;
    parse_ipv4(text, v4);
    a.add("ipv4_" + std::string(text), Value::ipv4(v4));
  }
  for (const char* text : {"::", "::1", "2001:db8::ff00:42:8329", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "::ffff:192.0.2.1"}) {
    Ipv6Address v6;
    parse_ipv6(text, v6);
    a.add("ipv6_" + std::to_string(a.args().size()), Value::ipv6(v6));
  }
  return echo_exchange(ctx, a);
}

Outcome strings(Context& ctx) {
  EchoArgs a;
  a.add("str_empty", Value::string(""));
  a.add("str_utf8", Value::string("d\xc3\xa9j\xc3\xa0 vu \xe2\x9c\x93"));
  a.add("str_nul", Value::string(std::string_view("a\0b", 3)));
  a.add("str_long", Value::string(std::string(3000, 's')));
  return echo_exchange(ctx, a);
}

Outcome binaries(Context& ctx) {
  EchoArgs a;
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  a.add("bin_all_bytes", Value::binary(all));
  a.add("bin_empty", Value::binary(""));
  a.add("bin_utf8_invalid", Value::binary("\xff\xfe\xc3"));
  return echo_exchange(ctx, a);
}

Outcome mixed(Context& ctx) {
  EchoArgs a;
  Ipv4Address v4;
  parse_ipv4("10.1.2.3", v4);
  Ipv6Address v6;
  parse_ipv6("fe80::1", v6);
  a.add("str_first", Value::string("x"));
  a.add("null_2", Value::null());
  a.add("uint64_3", Value::uint64(UINT64_MAX - 1));
  a.add("ipv6_4", Value::ipv6(v6));
  a.add("bool_5", Value::boolean(true));
  a.add("bin_6", Value::binary(std::string_view("\0", 1)));
  a.add("int32_7", Value::int32(-2));
  a.add("ipv4_8", Value::ipv4(v4));
  a.add("int64_9", Value::int64(INT64_MIN + 1));
  a.add("uint32_10", Value::uint32(7));
  return echo_exchange(ctx, a);
}

}  // namespace

void add_type_checks(std::vector<Check>& out) {
  const std::string_view g = "types";
  out.insert(out.end(), {
      {"TY-01", g, Level::must, "§2.2", "NULL and BOOL arguments", "echo of NULL, true, false, NULL",
       "SET-VAR of each: NULL, BOOL true (11), BOOL false (01), NULL", null_and_bool, true},
      {"TY-02", g, Level::must, "§2.1, §2.2", "INT32 extremes", "echo of INT32 -2^31, 2^31-1, 0, -1, 239, 240",
       "the same values (negative ones as 10-byte varints)", int32s, true},
      {"TY-03", g, Level::must, "§2.1, §2.2", "UINT32 extremes", "echo of UINT32 0, 2^32-1, 2287, 2288",
       "the same values", uint32s, true},
      {"TY-04", g, Level::must, "§2.1, §2.2", "INT64 extremes", "echo of INT64 -2^63, 2^63-1, -1, 0",
       "the same values", int64s, true},
      {"TY-05", g, Level::must, "§2.1, §2.2", "UINT64 extremes", "echo of UINT64 0, 2^64-1, 2^63, 2^32",
       "the same 64 bits", uint64s, true},
      {"TY-06", g, Level::must, "§2.2", "IPV4 and IPV6 addresses",
       "echo of 0.0.0.0, 127.0.0.1, 255.255.255.255, ::, ::1, 2001:db8::ff00:42:8329, all-ones, ::ffff:192.0.2.1",
       "the same addresses", addresses, true},
      {"TY-07", g, Level::must, "§2.2", "STRING values", "echo of \"\", UTF-8 text, a string with a NUL byte, 3000 bytes",
       "the same bytes as STRING", strings, true},
      {"TY-08", g, Level::must, "§2.2", "BINARY values", "echo of all 256 byte values, an empty value, invalid UTF-8",
       "the same bytes as BINARY", binaries, true},
      {"TY-09", g, Level::must, "§2.2", "all types mixed in one message", "echo of ten arguments of every type",
       "the same values in the same order", mixed, true},
  });
}

}  // namespace spop::sim::conform
