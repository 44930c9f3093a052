#include "spop/hello.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "spop/frame.hpp"
#include "tests/spop/golden_frames.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;
namespace golden = test::golden;

using golden::frame_of;

// ---- building the §6 frames -----------------------------------------------------------------

TEST(Hello, WritesTheHaproxyHelloOfTheSpec) {
  std::vector<std::byte> out;
  ASSERT_EQ(write_haproxy_hello(out, HaproxyHelloParams{}), Errc::ok);
  EXPECT_EQ(out.size(), 85u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::haproxy_hello)));
}

TEST(Hello, WritesTheHealthCheckHello) {
  std::vector<std::byte> out;
  HaproxyHelloParams p;
  p.capabilities = "";
  p.healthcheck = true;
  ASSERT_EQ(write_haproxy_hello(out, p), Errc::ok);
  EXPECT_EQ(out.size(), 82u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::healthcheck_hello)));
}

TEST(Hello, WritesTheEngineIdAfterTheCapabilities) {
  std::vector<std::byte> out;
  HaproxyHelloParams p;
  p.engine_id = "15162872-4af8-4605-93e8-3cf27d0312ad";
  ASSERT_EQ(write_haproxy_hello(out, p), Errc::ok);
  auto expected = hex(golden::haproxy_hello);
  const auto tail = hex("09 656e67696e652d6964  08 24");  // "engine-id" = STRING of 36 bytes
  expected.insert(expected.end(), tail.begin(), tail.end());
  for (char c : p.engine_id) expected.push_back(static_cast<std::byte>(c));
  expected[3] = std::byte{0x81};  // LEN 0x51 + 48
  EXPECT_EQ(to_hex(out), to_hex(expected));
}

TEST(Hello, WritesTheAgentHelloOfTheSpec) {
  std::vector<std::byte> out;
  ASSERT_EQ(write_agent_hello(out, "2.0", 16380, "pipelining"), Errc::ok);
  EXPECT_EQ(out.size(), 68u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::agent_hello)));
}

TEST(Hello, WritesBothDisconnects) {
  std::vector<std::byte> out;
  ASSERT_EQ(write_disconnect(out, FrameType::agent_disconnect, 0, "normal"), Errc::ok);
  EXPECT_EQ(out.size(), 41u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::agent_disconnect)));

  // HAProxy's soft-stop DISCONNECT is the same bytes with type 02.
  std::vector<std::byte> ha;
  ASSERT_EQ(write_disconnect(ha, FrameType::haproxy_disconnect, 0, "normal"), Errc::ok);
  auto expected = hex(golden::agent_disconnect);
  expected[4] = std::byte{0x02};
  EXPECT_EQ(to_hex(ha), to_hex(expected));
}

TEST(Hello, CutsADisconnectMessageTo255Bytes) {
  const std::string message(300, 'm');
  std::vector<std::byte> out;
  ASSERT_EQ(write_disconnect(out, FrameType::agent_disconnect, 99, message), Errc::ok);
  DisconnectInfo info;
  ASSERT_EQ(parse_disconnect(frame_of(out).payload, info), Errc::ok);
  EXPECT_EQ(info.status_code, 99u);
  EXPECT_EQ(info.message, std::string(255, 'm'));
}

TEST(Hello, WritersRefuseATinyMaximumAndLeaveTheBufferAlone) {
  const auto before = hex("AB CD");
  for (std::uint32_t max : {0u, 6u, 7u, 20u, 80u}) {
    SCOPED_TRACE(max);
    std::vector<std::byte> out = before;
    EXPECT_EQ(write_haproxy_hello(out, HaproxyHelloParams{}, max), Errc::frame_too_big);
    EXPECT_EQ(out, before);
    EXPECT_EQ(write_agent_hello(out, "2.0", 16380, "pipelining", std::min(max, 63u)), Errc::frame_too_big);
    EXPECT_EQ(out, before);
    EXPECT_EQ(write_disconnect(out, FrameType::agent_disconnect, 0, "normal", std::min(max, 36u)),
              Errc::frame_too_big);
    EXPECT_EQ(out, before);
  }
  // A maximum equal to the frame's LEN is enough.
  std::vector<std::byte> out;
  EXPECT_EQ(write_haproxy_hello(out, HaproxyHelloParams{}, 0x51), Errc::ok);
  EXPECT_EQ(write_agent_hello(out, "2.0", 16380, "pipelining", 0x40), Errc::ok);
  EXPECT_EQ(write_disconnect(out, FrameType::agent_disconnect, 0, "normal", 0x25), Errc::ok);
  EXPECT_EQ(out.size(), 85u + 68u + 41u);
}

// ---- parsing ----------------------------------------------------------------------------------

TEST(Hello, ParsesTheHaproxyHello) {
  const auto bytes = hex(golden::haproxy_hello);
  HaproxyHello h;
  ASSERT_EQ(parse_haproxy_hello(frame_of(bytes).payload, h), Errc::ok);
  EXPECT_EQ(h.supported_versions, "2.0");
  EXPECT_EQ(h.max_frame_size, 16380u);
  EXPECT_EQ(h.capabilities, "pipelining,async");
  EXPECT_EQ(h.engine_id, "");
  EXPECT_FALSE(h.healthcheck);
}

TEST(Hello, ParsesTheHealthCheckHello) {
  const auto bytes = hex(golden::healthcheck_hello);
  HaproxyHello h;
  ASSERT_EQ(parse_haproxy_hello(frame_of(bytes).payload, h), Errc::ok);
  EXPECT_EQ(h.capabilities, "");
  EXPECT_TRUE(h.healthcheck);
  EXPECT_EQ(h.engine_id, "");
}

TEST(Hello, ParsesTheAgentHello) {
  const auto bytes = hex(golden::agent_hello);
  AgentHello a;
  ASSERT_EQ(parse_agent_hello(frame_of(bytes).payload, a), Errc::ok);
  EXPECT_EQ(a.version, "2.0");
  EXPECT_EQ(a.max_frame_size, 16380u);
  EXPECT_EQ(a.capabilities, "pipelining");
}

TEST(Hello, ParsesTheDisconnect) {
  const auto bytes = hex(golden::agent_disconnect);
  DisconnectInfo d;
  ASSERT_EQ(parse_disconnect(frame_of(bytes).payload, d), Errc::ok);
  EXPECT_EQ(d.status_code, 0u);
  EXPECT_EQ(d.message, "normal");
}

TEST(Hello, MissingItemsStayAbsent) {
  AgentHello a;
  ASSERT_EQ(parse_agent_hello({}, a), Errc::ok);
  EXPECT_FALSE(a.version);
  EXPECT_FALSE(a.max_frame_size);
  EXPECT_FALSE(a.capabilities);
  HaproxyHello h;
  h.healthcheck = true;  // reset by the parser
  ASSERT_EQ(parse_haproxy_hello({}, h), Errc::ok);
  EXPECT_FALSE(h.healthcheck);
  EXPECT_FALSE(h.supported_versions);
  DisconnectInfo d;
  ASSERT_EQ(parse_disconnect({}, d), Errc::ok);
  EXPECT_FALSE(d.status_code);
}

TEST(Hello, MatchesKeysAsHaproxyDoes) {
  // "versionX" counts as "version"; "ver" is an unknown key and is skipped.
  AgentHello a;
  const auto longer = hex("08 76657273696f6e58 08 03 322e30");
  ASSERT_EQ(parse_agent_hello(longer, a), Errc::ok);
  EXPECT_EQ(a.version, "2.0");
  const auto shorter = hex("03 766572 08 03 322e30");
  ASSERT_EQ(parse_agent_hello(shorter, a), Errc::ok);
  EXPECT_FALSE(a.version);
  // "max-frame-sizes" is max-frame-size.
  const auto plural = hex("0f 6d61782d6672616d652d73697a6573 03 fcf006");
  ASSERT_EQ(parse_agent_hello(plural, a), Errc::ok);
  EXPECT_EQ(a.max_frame_size, 16380u);
}

TEST(Hello, EmptyKeyIsInvalid) {
  AgentHello a;
  EXPECT_EQ(parse_agent_hello(hex("00 08 03 322e30"), a), Errc::bad_kv);
  HaproxyHello h;
  EXPECT_EQ(parse_haproxy_hello(hex("00 11"), h), Errc::bad_kv);
  DisconnectInfo d;
  EXPECT_EQ(parse_disconnect(hex("00 03 00"), d), Errc::bad_kv);
}

TEST(Hello, SkipsUnknownKeysOfAnyType) {
  const auto payload = hex(
      "03 666f6f  02 2a"                       // foo = INT32 42
      "03 626172  07 00000000000000000000000000000001"  // bar = IPV6 ::1
      "03 62617a  0C"                          // baz = reserved type 12: only its type byte
      "07 76657273696f6e  08 03 322e30");      // version = "2.0"
  AgentHello a;
  ASSERT_EQ(parse_agent_hello(payload, a), Errc::ok);
  EXPECT_EQ(a.version, "2.0");
}

TEST(Hello, WrongValueTypesAreInvalid) {
  AgentHello a;
  // version as INT32, max-frame-size as STRING, capabilities as BINARY, BOOL.
  EXPECT_EQ(parse_agent_hello(hex("07 76657273696f6e 02 02"), a), Errc::invalid_payload);
  EXPECT_EQ(parse_agent_hello(hex("0e 6d61782d6672616d652d73697a65 08 03 313030"), a), Errc::invalid_payload);
  EXPECT_EQ(parse_agent_hello(hex("0c 6361706162696c6974696573 09 00"), a), Errc::invalid_payload);
  EXPECT_EQ(parse_agent_hello(hex("0c 6361706162696c6974696573 11"), a), Errc::invalid_payload);
  HaproxyHello h;
  EXPECT_EQ(parse_haproxy_hello(hex("0b 6865616c7468636865636b 02 01"), h), Errc::invalid_payload);
  EXPECT_EQ(parse_haproxy_hello(hex("09 656e67696e652d6964 00"), h), Errc::invalid_payload);
  EXPECT_EQ(parse_haproxy_hello(hex("12 737570706f727465642d76657273696f6e73 04 02"), h), Errc::invalid_payload);
  DisconnectInfo d;
  EXPECT_EQ(parse_disconnect(hex("0b 7374617475732d636f6465 08 01 30"), d), Errc::invalid_payload);
  EXPECT_EQ(parse_disconnect(hex("07 6d657373616765 01"), d), Errc::invalid_payload);
}

TEST(Hello, AcceptsEveryIntegerTypeForSizesAndCodes) {
  for (unsigned type : {2u, 3u, 4u, 5u}) {
    SCOPED_TRACE(type);
    auto payload = hex("0e 6d61782d6672616d652d73697a65");
    payload.push_back(static_cast<std::byte>(type));
    const auto size = hex("fcf006");
    payload.insert(payload.end(), size.begin(), size.end());
    AgentHello a;
    ASSERT_EQ(parse_agent_hello(payload, a), Errc::ok);
    EXPECT_EQ(a.max_frame_size, 16380u);

    auto code = hex("0b 7374617475732d636f6465");
    code.push_back(static_cast<std::byte>(type));
    code.push_back(std::byte{0x63});
    DisconnectInfo d;
    ASSERT_EQ(parse_disconnect(code, d), Errc::ok);
    EXPECT_EQ(d.status_code, 99u);
  }
}

// HAProxy checks `(type & SPOE_DATA_T_MASK) == SPOE_DATA_T_STR` for these items: flag bits are ignored.
TEST(Hello, StringItemsIgnoreFlagBitsAsHaproxyDoes) {
  AgentHello a;
  const auto payload = hex("07 76657273696f6e 18 03 322e30  0c 6361706162696c6974696573 88 00");
  ASSERT_EQ(parse_agent_hello(payload, a), Errc::ok);
  EXPECT_EQ(a.version, "2.0");
  EXPECT_EQ(a.capabilities, "");
}

TEST(Hello, TruncatedItemsAreErrors) {
  const auto bytes = hex(golden::agent_hello);
  const auto payload = frame_of(bytes).payload;
  // Cutting inside an item is an error; cutting between items leaves a shorter, valid list.
  const std::size_t boundaries[] = {0, 13, 32};
  for (std::size_t cut = 0; cut < payload.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::vector<std::byte> prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut));
    AgentHello a;
    const Errc e = parse_agent_hello(prefix, a);
    const bool boundary = std::find(std::begin(boundaries), std::end(boundaries), cut) != std::end(boundaries);
    EXPECT_EQ(e, boundary ? Errc::ok : Errc::truncated);
  }
}

// ---- version and capability helpers -----------------------------------------------------------

TEST(Hello, ParsesVersionsLikeHaproxy) {
  struct Case {
    const char* text;
    std::optional<int> version;
  };
  const Case cases[] = {
      {"2.0", 2000},      {" 2.0 ", 2000},    {"\t2.0\r\n", 2000}, {"1.0", 1000},       {"2.999", 2999},
      {"10.2", 10002},    {"02.00", 2000},    {"2.0000", 2000},    {"2", std::nullopt}, {"x.y", std::nullopt},
      {"2.0.1", std::nullopt},  {"2.", std::nullopt},     {".0", std::nullopt},    {"0.5", std::nullopt},
      {"2.1000", std::nullopt}, {"2 .0", std::nullopt},   {"2. 0", std::nullopt},  {"2.0x", std::nullopt},
      {"", std::nullopt},       {"   ", std::nullopt},    {"-2.0", std::nullopt},  {"99999999999.0", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_version(c.text), c.version) << '"' << c.text << '"';
  }
}

TEST(Hello, FindsVersion2InAList) {
  EXPECT_TRUE(supports_version_2_0("2.0"));
  EXPECT_TRUE(supports_version_2_0(" 2.0 "));
  EXPECT_TRUE(supports_version_2_0("1.0,2.0"));
  EXPECT_TRUE(supports_version_2_0("1.0 , 2.0 ,3.1"));
  EXPECT_TRUE(supports_version_2_0(",,2.0,"));
  EXPECT_FALSE(supports_version_2_0("1.0"));
  EXPECT_FALSE(supports_version_2_0("2.1,3.0"));
  EXPECT_FALSE(supports_version_2_0("2.0.1"));
  EXPECT_FALSE(supports_version_2_0("20"));
  EXPECT_FALSE(supports_version_2_0(""));
}

TEST(Hello, FindsCapabilitiesLikeHaproxy) {
  EXPECT_TRUE(has_capability("pipelining,async", capability::pipelining));
  EXPECT_TRUE(has_capability("pipelining,async", capability::async));
  EXPECT_FALSE(has_capability("pipelining,async", capability::fragmentation));
  EXPECT_TRUE(has_capability("  pipelining ,  async  ", capability::async));
  EXPECT_TRUE(has_capability("async,\tpipelining", capability::pipelining));
  EXPECT_TRUE(has_capability("pipelining foo", capability::pipelining));  // name then a space: HAProxy takes it
  EXPECT_FALSE(has_capability("pipeliningX", capability::pipelining));
  EXPECT_FALSE(has_capability("xpipelining", capability::pipelining));
  EXPECT_FALSE(has_capability("pipe", capability::pipelining));
  EXPECT_FALSE(has_capability("pipe lining", capability::pipelining));
  EXPECT_FALSE(has_capability("", capability::pipelining));
  EXPECT_FALSE(has_capability("async", ""));
}

}  // namespace
}  // namespace spop
