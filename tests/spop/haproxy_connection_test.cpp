// Tests of the HAProxy-side state machine per profile (HELLO bytes, AGENT-HELLO checks, stream
// numbering, ACK matching, variables), and end-to-end runs against the agent side in memory.
#include "spop/haproxy_connection.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spop/agent_connection.hpp"
#include "spop/frame.hpp"
#include "spop/notify_builder.hpp"
#include "tests/spop/connection_script.hpp"
#include "tests/support/hex.hpp"

namespace spop {
// For ctest's and gtest's listings of the EndToEnd cases (else "1-byte object <00>"); static, since other
// test files may define their own.
static void PrintTo(HaproxyProfile p, std::ostream* os) { *os << to_string(p); }

namespace {

using namespace std::chrono_literals;
using test::capture;
using test::hex;
using test::read_file;
using test::to_hex;
using test::script::byte_hex;
using test::script::Bytes;
using test::script::cat;
using test::script::disconnect;
using test::script::frame;
using test::script::Outcome;
using test::script::raw;
using test::script::str;
using test::script::t0;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr HaproxyProfile v26 = HaproxyProfile::v2_6;
constexpr HaproxyProfile v31 = HaproxyProfile::v3_1;

// ---- frames -----------------------------------------------------------------------------------

const std::string kVersion = raw("version") + " " + str("2.0");
const std::string kMaxFrame16380 = raw("max-frame-size") + " 03 fcf006";

Bytes agent_hello(const std::string& items, const std::string& flags = "00000001", const std::string& ids = "00 00") {
  return frame("65 " + flags + " " + ids + " " + items);
}
Bytes agent_hello_with_caps(std::string_view caps) {
  return agent_hello(kVersion + " " + kMaxFrame16380 + " " + raw("capabilities") + " " + str(caps));
}

std::string repeat_hex(unsigned char c, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += byte_hex(c);
  return s;
}

/// HAProxy's texts for the statuses it sends (spop-protocol.md §4), independent of the codec's table.
std::string haproxy_text(Status s) {
  switch (s) {
    case Status::normal: return "normal";
    case Status::timeout: return "a timeout occurred";
    case Status::frame_too_big: return "frame is too big";
    case Status::invalid_frame: return "invalid frame received";
    case Status::no_version: return "version value not found";
    case Status::no_max_frame_size: return "max-frame-size value not found";
    case Status::unsupported_version: return "unsupported version";
    case Status::bad_max_frame_size: return "max-frame-size too big or too small";
    case Status::fragmentation_not_supported: return "fragmentation not supported";
    case Status::frame_id_not_found: return "frame-id not found";
    default: return "?";
  }
}

std::string haproxy_disconnect_hex(Status s) {
  return to_hex(disconnect(0x02, static_cast<unsigned>(s), haproxy_text(s)));
}

// ---- describing events ------------------------------------------------------------------------

std::string describe_event(const HaproxyEvent& event) {
  struct Describe {
    std::string operator()(const ConnectedEvent& e) const {
      return "connected mfs=" + std::to_string(e.max_frame_size) + " version=" + std::string(e.version) +
             " caps=" + std::string(e.capabilities) + " pipelining=" + std::to_string(e.pipelining) +
             " async=" + std::to_string(e.async) + " frag=" + std::to_string(e.fragmentation) +
             " hc=" + std::to_string(e.healthcheck);
    }
    std::string operator()(const AckEvent& e) const {
      std::string s = "ack " + std::to_string(e.stream_id) + "/" + std::to_string(e.frame_id);
      for (std::size_t i = 0; i < e.actions.size(); ++i) {
        const AckAction& a = e.actions[i];
        s += i ? ", " : " ";
        s += a.type == ActionType::set_var ? "set " + std::string(a.variable) + "=" + describe(a.value)
                                           : "unset " + std::string(a.variable);
      }
      s += e.stop_reason == Errc::ok ? " stop=end" : " stop=" + std::to_string(e.stop_offset);
      return s;
    }
    std::string operator()(const AgentDisconnectedEvent& e) const {
      return "agent-disconnect " + std::to_string(static_cast<unsigned>(e.status)) + " " + std::string(e.message) +
             " abandoned=" + std::to_string(e.abandoned);
    }
    std::string operator()(const ProtocolErrorEvent& e) const {
      return "error " + std::to_string(static_cast<unsigned>(e.status)) + " sent=" + std::to_string(e.disconnect_sent) +
             " abandoned=" + std::to_string(e.abandoned) + ": " + std::string(e.detail);
    }
  };
  return std::visit(Describe{}, event);
}

std::vector<std::string> drain(HaproxyConnection& h) {
  std::vector<std::string> out;
  while (auto e = h.next_event()) out.push_back(describe_event(*e));
  return out;
}

HaproxyOptions profile_options(HaproxyProfile p) {
  HaproxyOptions o;
  o.profile = p;
  o.var_prefix = "iprep";
  return o;
}

/// A connection whose HELLO was written, fed `input` in every way (see connection_script.hpp).
Outcome grind(std::span<const std::byte> input, const HaproxyOptions& options) {
  const auto make = [&options] {
    auto h = std::make_unique<HaproxyConnection>(options, t0);
    h->consume_output(h->pending_output().size());
    return h;
  };
  return test::script::grind(make, input, describe_event);
}

/// A running connection: HELLO written, `agent_caps` answered.
std::unique_ptr<HaproxyConnection> connected(HaproxyOptions options, std::string_view agent_caps) {
  auto h = std::make_unique<HaproxyConnection>(options, t0);
  h->consume_output(h->pending_output().size());
  const Bytes answer = agent_hello_with_caps(agent_caps);
  EXPECT_EQ(h->feed(answer, t0), answer.size());
  EXPECT_THAT(drain(*h), ElementsAre(StartsWith("connected")));
  EXPECT_EQ(h->state(), HaproxyState::running);
  return h;
}

const Argument kIpArg{"ip", Value::ipv4(Ipv4Address{{127, 0, 0, 1}})};

/// Sends check-client-ip(ip=127.0.0.1) and returns its ids.
NotifyIds send_check(HaproxyConnection& h, Clock::time_point now = t0) {
  const NotifyMessage msg{"check-client-ip", std::span<const Argument>(&kIpArg, 1)};
  NotifyIds ids;
  EXPECT_FALSE(h.send_notify(std::span<const NotifyMessage>(&msg, 1), now, ids));
  return ids;
}

/// Feeds whole frames and returns the described events.
std::vector<std::string> feed(HaproxyConnection& h, const Bytes& in, Clock::time_point now = t0) {
  EXPECT_EQ(h.feed(in, now), in.size());
  return drain(h);
}

// ---- HELLO ------------------------------------------------------------------------------------

TEST(HaproxyConnection, Hello26IsTheCaptureGivenTheSameEngineId) {
  const Bytes captured = read_file(capture("haproxy-2.6/hello.bin"));
  HaproxyOptions o = profile_options(v26);
  o.engine_id = "15162872-4af8-4605-93e8-3cf27d0312ad";
  HaproxyConnection h(o, t0);
  EXPECT_EQ(to_hex(h.pending_output()), to_hex(captured));
  EXPECT_TRUE(h.wants_write());
  EXPECT_TRUE(h.wants_read());

  // Any generated engine-id has the same length; everything before it is identical.
  o.engine_id = make_engine_id(42);
  HaproxyConnection g(o, t0);
  ASSERT_EQ(g.pending_output().size(), captured.size());
  EXPECT_EQ(to_hex(g.pending_output().first(captured.size() - 36)),
            to_hex(std::span<const std::byte>(captured).first(captured.size() - 36)));
}

TEST(HaproxyConnection, Hello31IsThe32CaptureGivenTheSameEngineId) {
  const Bytes captured = read_file(capture("haproxy-3.2/hello.bin"));
  HaproxyOptions o = profile_options(v31);
  const auto id = std::span<const std::byte>(captured).last(36);
  o.engine_id.assign(reinterpret_cast<const char*>(id.data()), id.size());
  HaproxyConnection h(o, t0);
  EXPECT_EQ(to_hex(h.pending_output()), to_hex(captured));  // capabilities "pipelining" only
}

TEST(HaproxyConnection, HealthCheckHelloIsThe82CapturedBytes) {
  for (HaproxyProfile p : {v26, v31}) {
    HaproxyOptions o = profile_options(p);
    o.healthcheck = true;
    o.engine_id = "ignored-in-health-checks";
    HaproxyConnection h(o, t0);
    EXPECT_EQ(h.pending_output().size(), 82u);
    EXPECT_EQ(to_hex(h.pending_output()), to_hex(read_file(capture("haproxy-2.6/hello-healthcheck.bin"))));
  }
}

TEST(HaproxyConnection, HelloCapabilitiesFollowTheOptions) {
  const auto caps_of = [](HaproxyOptions o) {
    HaproxyConnection h(o, t0);
    const std::string all = to_hex(h.pending_output());
    return all.substr(all.find(to_hex(hex(raw("capabilities")))));
  };
  HaproxyOptions o = profile_options(v26);
  o.pipelining = false;
  EXPECT_EQ(caps_of(o), to_hex(hex(raw("capabilities") + " " + str("async"))));
  o = profile_options(v31);
  o.async = true;  // 3.1+ never sends it
  EXPECT_EQ(caps_of(o), to_hex(hex(raw("capabilities") + " " + str("pipelining"))));
  o.pipelining = false;
  EXPECT_EQ(caps_of(o), to_hex(hex(raw("capabilities") + " " + str(""))));
}

TEST(HaproxyConnection, EngineIdsLookLikeUuid4) {
  const std::string id = make_engine_id(7);
  ASSERT_EQ(id.size(), 36u);
  for (std::size_t i : {8u, 13u, 18u, 23u}) EXPECT_EQ(id[i], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos);
  EXPECT_EQ(make_engine_id(7), id);
  EXPECT_NE(make_engine_id(8), id);
}

// ---- AGENT-HELLO checks: {input, status on 2.6, status on 3.1} -----------------------------------

struct HelloCase {
  std::string name;
  Bytes input;
  std::optional<Status> on_26;  // nullopt: accepted
  std::optional<Status> on_31;
};

void expect_hello_outcome(const HelloCase& c, HaproxyProfile p, std::optional<Status> status) {
  SCOPED_TRACE(c.name + " on " + std::string(to_string(p)));
  const Outcome o = grind(c.input, profile_options(p));
  ASSERT_EQ(o.events.size(), 1u);
  if (!status) {
    EXPECT_THAT(o.events[0], StartsWith("connected "));
    EXPECT_EQ(o.output, "");
    EXPECT_EQ(o.state, "running");
    return;
  }
  EXPECT_THAT(o.events[0], StartsWith("error " + std::to_string(static_cast<unsigned>(*status)) + " sent=1 abandoned=0"));
  EXPECT_EQ(o.output, haproxy_disconnect_hex(*status));
  EXPECT_EQ(o.state, "disconnecting");
}

TEST(HaproxyConnection, ValidatesTheAgentHelloPerProfile) {
  const std::string caps = raw("capabilities") + " " + str("pipelining");
  const std::string mfs = kMaxFrame16380;
  const auto version = [](std::string_view v) { return raw("version") + " " + str(v); };
  const std::vector<HelloCase> cases = {
      {"valid", agent_hello(kVersion + " " + mfs + " " + caps), {}, {}},
      {"version with spaces", agent_hello(version(" 2.0 ") + " " + mfs), {}, {}},
      {"STRING type byte with flag bits", agent_hello(raw("version") + " 18 03 322e30 " + mfs), {}, {}},
      {"max-frame-size 256", agent_hello(kVersion + " " + raw("max-frame-size") + " 03 f001"), {}, {}},
      {"max-frame-size as INT64", agent_hello(kVersion + " " + raw("max-frame-size") + " 04 fcf006"), {}, {}},
      {"no capabilities", agent_hello(kVersion + " " + mfs), {}, {}},
      {"no version", agent_hello(mfs + " " + caps), Status::no_version, Status::no_version},
      {"version 1.0", agent_hello(version("1.0") + " " + mfs), Status::unsupported_version, Status::unsupported_version},
      {"version 2.1", agent_hello(version("2.1") + " " + mfs), Status::unsupported_version, Status::unsupported_version},
      {"unparsable version", agent_hello(version("two") + " " + mfs), Status::unsupported_version,
       Status::invalid_frame},
      {"no max-frame-size", agent_hello(kVersion + " " + caps), Status::no_max_frame_size, {}},
      {"max-frame-size 255", agent_hello(kVersion + " " + raw("max-frame-size") + " 03 ff00"),
       Status::bad_max_frame_size, Status::bad_max_frame_size},
      {"max-frame-size 16381", agent_hello(kVersion + " " + raw("max-frame-size") + " 03 fdf006"),
       Status::bad_max_frame_size, Status::bad_max_frame_size},
      {"max-frame-size INT64 -1", agent_hello(kVersion + " " + raw("max-frame-size") + " 04 fff0fefefefefefefe0e"),
       Status::bad_max_frame_size, Status::bad_max_frame_size},
      {"bad size is seen before the missing version", agent_hello(raw("max-frame-size") + " 03 ff00"),
       Status::bad_max_frame_size, Status::bad_max_frame_size},
      {"version as INT32", agent_hello(raw("version") + " 02 02 " + mfs), Status::invalid_frame, Status::invalid_frame},
      {"max-frame-size as STRING", agent_hello(kVersion + " " + raw("max-frame-size") + " " + str("16380")),
       Status::invalid_frame, Status::invalid_frame},
      {"capabilities as BOOL", agent_hello(kVersion + " " + mfs + " " + raw("capabilities") + " 11"),
       Status::invalid_frame, Status::invalid_frame},
      // Found by the haproxy_session fuzz target: both versions refuse an empty key (flt_spoe.c, mux_spop.c).
      {"empty key", agent_hello(kVersion + " " + mfs + " 00 " + str("x")), Status::invalid_frame, Status::invalid_frame},
      {"truncated item", agent_hello(kVersion + " " + raw("max-frame-size") + " 03"), Status::invalid_frame,
       Status::invalid_frame},
      {"without FIN", agent_hello(kVersion + " " + mfs, "00000000"), Status::fragmentation_not_supported,
       Status::fragmentation_not_supported},
      {"on stream 1", agent_hello(kVersion + " " + mfs, "00000001", "01 00"), Status::invalid_frame,
       Status::invalid_frame},
      {"NOTIFY instead", frame("03 00000001 01 01"), Status::invalid_frame, Status::invalid_frame},
      {"ACK instead", frame("67 00000001 01 01"), Status::invalid_frame, Status::invalid_frame},
      {"LEN 6", hex("00000006 65 00000001 00"), Status::invalid_frame, Status::invalid_frame},
      {"LEN far above the frame size", hex("00010000 65"), Status::frame_too_big, Status::frame_too_big},
  };
  for (const HelloCase& c : cases) {
    expect_hello_outcome(c, v26, c.on_26);
    expect_hello_outcome(c, v31, c.on_31);
  }
}

TEST(HaproxyConnection, ThirtyOneKeepsItsOwnFrameSizeWhenTheAgentSendsNone) {
  HaproxyConnection h(profile_options(v31), t0);
  EXPECT_THAT(feed(h, agent_hello(kVersion)), ElementsAre("connected mfs=16380 version=2.0 caps= pipelining=0 async=0 frag=0 hc=0"));
  EXPECT_TRUE(h.sync_mode());
}

TEST(HaproxyConnection, AgreesOnCapabilitiesBothSidesOffer) {
  auto h = std::make_unique<HaproxyConnection>(profile_options(v26), t0);
  EXPECT_THAT(feed(*h, agent_hello_with_caps(" pipelining, async,fragmentation")),
              ElementsAre("connected mfs=16380 version=2.0 caps= pipelining, async,fragmentation pipelining=1 "
                          "async=1 frag=1 hc=0"));
  EXPECT_FALSE(h->sync_mode());
  h = std::make_unique<HaproxyConnection>(profile_options(v31), t0);
  EXPECT_THAT(feed(*h, agent_hello_with_caps("pipelining,async,fragmentation")),
              ElementsAre(StartsWith("connected mfs=16380 version=2.0 caps=pipelining,async,fragmentation "
                                     "pipelining=1 async=0 frag=0")));
  HaproxyOptions no_pipe = profile_options(v26);
  no_pipe.pipelining = false;
  h = std::make_unique<HaproxyConnection>(no_pipe, t0);
  EXPECT_THAT(feed(*h, agent_hello_with_caps("pipelining")), ElementsAre(StartsWith("connected")));
  EXPECT_FALSE(h->pipelining()) << "pipelining must be offered by both sides";
  EXPECT_TRUE(h->sync_mode());
}

TEST(HaproxyConnection, AgentDisconnectDuringTheHandshakeClosesWithoutAnswer) {
  for (HaproxyProfile p : {v26, v31}) {
    const Outcome o = grind(disconnect(0x66, 3, "frame is too big"), profile_options(p));
    EXPECT_THAT(o.events, ElementsAre("agent-disconnect 3 frame is too big abandoned=0"));
    EXPECT_EQ(o.output, "");
    EXPECT_EQ(o.state, "closed");
  }
}

TEST(HaproxyConnection, HealthCheckPassesOrFailsWithoutDisconnectFrames) {
  HaproxyOptions o = profile_options(v26);
  o.healthcheck = true;
  Outcome out = grind(read_file(capture("haproxy-2.6/agent-hello.bin")), o);
  EXPECT_THAT(out.events, ElementsAre("connected mfs=16380 version=2.0 caps=pipelining pipelining=0 async=0 frag=0 hc=1"));
  EXPECT_EQ(out.state, "closed");
  out = grind(agent_hello(kVersion + " " + raw("max-frame-size") + " 03 ff00"), o);
  EXPECT_THAT(out.events, ElementsAre(StartsWith("error 9 sent=0")));
  EXPECT_EQ(out.output, "");
  EXPECT_EQ(out.state, "closed");
}

// ---- NOTIFY ids and limits --------------------------------------------------------------------

TEST(HaproxyConnection, ThirtyOneNumbersStreamsOneThreeFive) {
  auto h = connected(profile_options(v31), "pipelining");
  EXPECT_EQ(send_check(*h), (NotifyIds{1, 1}));
  // Byte for byte what 3.2 sent for its first two streams.
  EXPECT_EQ(to_hex(h->pending_output()), to_hex(read_file(capture("haproxy-3.2/notify-sid1.bin"))));
  h->consume_output(h->pending_output().size());
  EXPECT_EQ(send_check(*h), (NotifyIds{3, 1}));
  EXPECT_EQ(to_hex(h->pending_output()), to_hex(read_file(capture("haproxy-3.2/notify-sid3.bin"))));
  EXPECT_EQ(send_check(*h), (NotifyIds{5, 1}));
  EXPECT_EQ(h->in_flight(), 3u);
}

TEST(HaproxyConnection, TwentySixTakesIdsFromTheUniqIdCounter) {
  auto h = connected(profile_options(v26), "pipelining,async");
  EXPECT_EQ(send_check(*h), (NotifyIds{0, 1}));
  EXPECT_EQ(send_check(*h), (NotifyIds{1, 1}));

  // A process-wide allocator shared by several connections; frame-ids advance per stream.
  Haproxy26Ids ids;
  Haproxy26Ids::Stream s0 = ids.open_stream();
  EXPECT_EQ(s0.ids(), (NotifyIds{0, 1}));
  s0.ack_processed();
  EXPECT_EQ(s0.ids(), (NotifyIds{0, 2}));
  EXPECT_EQ(ids.open_stream().ids(), (NotifyIds{1, 1}));

  // The captured 2.6 NOTIFY on stream 0, rebuilt from its messages.
  auto g = connected(profile_options(v26), "pipelining,async");
  const std::vector<Argument> args = {kIpArg, {"host", Value::string("example.com")}};
  const NotifyMessage msg{"check-client", args};
  EXPECT_FALSE(g->send_notify_with_ids(s0.ids(), std::span<const NotifyMessage>(&msg, 1), t0));
  EXPECT_FALSE(g->send_notify_with_ids({0, 1}, std::span<const NotifyMessage>(&msg, 1), t0));
  g->cancel_notify({0, 2});
  EXPECT_EQ(to_hex(g->pending_output().last(0x2f + 4)), to_hex(read_file(capture("haproxy-2.6/notify-simple.bin"))));
  EXPECT_EQ(g->send_notify_with_ids({0, 1}, std::span<const NotifyMessage>(&msg, 1), t0), Errc::invalid_argument)
      << "already waiting";
}

TEST(HaproxyConnection, RefusesToSendBeyondTheLimits) {
  HaproxyConnection before(profile_options(v26), t0);
  NotifyIds ids;
  EXPECT_EQ(before.send_notify({}, t0, ids), std::errc::not_connected);

  HaproxyOptions o = profile_options(v26);
  o.max_in_flight = 2;
  auto h = connected(o, "pipelining");
  send_check(*h);
  send_check(*h);
  EXPECT_FALSE(h->can_send());
  EXPECT_EQ(h->send_notify({}, t0, ids), std::errc::operation_would_block);
  EXPECT_TRUE(h->cancel_notify({1, 1}));
  EXPECT_FALSE(h->cancel_notify({1, 1}));
  EXPECT_TRUE(h->can_send());

  // Sync mode: one at a time.
  auto s = connected(profile_options(v26), "");
  EXPECT_TRUE(s->sync_mode());
  send_check(*s);
  EXPECT_EQ(s->send_notify({}, t0, ids), std::errc::operation_would_block);
  const auto acked = feed(*s, frame("67 00000001 00 01"));
  EXPECT_THAT(acked, ElementsAre("ack 0/1 stop=end"));
  EXPECT_TRUE(s->can_send());
}

/// One message "m" with one unnamed STRING of `n` bytes (< 240): its encoding takes 6 + n bytes.
std::error_code send_sized(HaproxyConnection& h, std::size_t n) {
  static std::string text;
  text.assign(n, 's');
  const Argument arg{"", Value::string(text)};
  const NotifyMessage msg{"m", std::span<const Argument>(&arg, 1)};
  NotifyIds ids;
  return h.send_notify(std::span<const NotifyMessage>(&msg, 1), t0, ids);
}

Bytes agent_hello_256(std::string_view caps) {
  return agent_hello(kVersion + " " + raw("max-frame-size") + " 03 f001 " + raw("capabilities") + " " + str(caps));
}

TEST(HaproxyConnection, KeepsThirtyTwoBytesOfHeaderRoomInEveryNotify) {
  for (HaproxyProfile p : {v26, v31}) {
    SCOPED_TRACE(to_string(p));
    HaproxyConnection h(profile_options(p), t0);
    h.consume_output(h.pending_output().size());
    feed(h, agent_hello_256("pipelining"));
    EXPECT_FALSE(send_sized(h, 218)) << "224 = 256 - 32 bytes of messages fit";
    EXPECT_EQ(send_sized(h, 219), Errc::frame_too_big);
    const auto events = drain(h);
    if (p == v26) {
      // 2.6 without a fragmentation-capable agent fails the whole connection with status 10.
      EXPECT_THAT(events, ElementsAre(StartsWith("error 10 sent=1 abandoned=1")));
      EXPECT_EQ(h.state(), HaproxyState::disconnecting);
      const std::string out = to_hex(h.pending_output());
      EXPECT_EQ(out.substr(out.size() - haproxy_disconnect_hex(Status::fragmentation_not_supported).size()),
                haproxy_disconnect_hex(Status::fragmentation_not_supported));
    } else {
      EXPECT_THAT(events, IsEmpty()) << "3.1 only fails the stream";
      EXPECT_EQ(h.state(), HaproxyState::running);
      EXPECT_EQ(h.in_flight(), 1u);
    }
  }
}

TEST(HaproxyConnection, FragmentsForAnAgentThatClaimedIt) {
  HaproxyConnection h(profile_options(v26), t0);
  h.consume_output(h.pending_output().size());
  feed(h, agent_hello_256("pipelining,fragmentation"));
  std::string text(600, 'f');
  const std::vector<Argument> args = {{"body", Value::string(text)}, kIpArg};
  const NotifyMessage msg{"big", args};
  NotifyIds ids;
  ASSERT_FALSE(h.send_notify(std::span<const NotifyMessage>(&msg, 1), t0, ids));

  // What the payload is when encoded in one piece.
  Bytes whole;
  NotifyBuilder builder(whole, 0, 1, 1u << 20);
  ASSERT_EQ(builder.add_message("big", args), Errc::ok);
  builder.finish();
  const auto expected_payload = std::span<const std::byte>(whole).subspan(4 + 7);

  Bytes payload;
  std::vector<std::string> kinds;
  auto out = h.pending_output();
  while (!out.empty()) {
    Frame f;
    std::size_t used = 0;
    ASSERT_EQ(split_frame(out, 256, f, used), Errc::ok);
    kinds.push_back(std::to_string(static_cast<unsigned>(f.header.type)) + (f.header.fin() ? "F" : "-"));
    EXPECT_EQ(f.header.stream_id, 0u);
    EXPECT_EQ(f.header.frame_id, 1u);
    payload.insert(payload.end(), f.payload.begin(), f.payload.end());
    out = out.subspan(used);
  }
  EXPECT_THAT(kinds, ElementsAre("3-", "0-", "0F"));
  EXPECT_EQ(to_hex(payload), to_hex(expected_payload));
}

TEST(HaproxyConnection, SendsAnEncodedPayloadAsGivenUnderItsIds) {
  for (HaproxyProfile p : {v26, v31}) {
    SCOPED_TRACE(to_string(p));
    // The frame send_notify() builds, and the same payload sent through send_notify_payload().
    auto built = connected(profile_options(p), "pipelining");
    const NotifyIds ids = send_check(*built);
    const Bytes expected(built->pending_output().begin(), built->pending_output().end());
    auto replayed = connected(profile_options(p), "pipelining");
    const auto payload = std::span<const std::byte>(expected).subspan(4 + 7);
    EXPECT_FALSE(replayed->send_notify_payload(ids, payload, t0));
    EXPECT_EQ(to_hex(replayed->pending_output()), to_hex(expected));
    EXPECT_EQ(replayed->in_flight(), 1u);
    EXPECT_EQ(replayed->send_notify_payload(ids, payload, t0), Errc::invalid_argument) << "ids already waiting";
  }
  // Too big for the negotiated size: 3.1 fails the stream, 2.6 the connection (status 10).
  for (HaproxyProfile p : {v26, v31}) {
    HaproxyConnection h(profile_options(p), t0);
    h.consume_output(h.pending_output().size());
    feed(h, agent_hello_256("pipelining"));
    const Bytes big(225, std::byte{0});
    EXPECT_FALSE(h.send_notify_payload({1, 1}, std::span(big).first(224), t0)) << "256 - 32 bytes fit";
    EXPECT_EQ(h.send_notify_payload({3, 1}, big, t0), Errc::frame_too_big);
    EXPECT_EQ(h.state(), p == v26 ? HaproxyState::disconnecting : HaproxyState::running);
  }
}

TEST(HaproxyConnection, AckEventsCarryTheirPayload) {
  auto h = connected(profile_options(v31), "pipelining");
  send_check(*h);
  const Bytes ack = read_file(capture("haproxy-3.2/ack-setvar-sess-ip_score-int32-42.bin"));
  ASSERT_EQ(h->feed(ack, t0), ack.size());
  auto e = h->next_event();
  ASSERT_TRUE(e);
  const auto* a = std::get_if<AckEvent>(&*e);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(to_hex(a->payload), to_hex(std::span<const std::byte>(ack).subspan(4 + 7)));
}

// ---- ACK matching -----------------------------------------------------------------------------

TEST(HaproxyConnection, MatchesAcksAndNamesTheirVariables) {
  auto h = connected(profile_options(v31), "pipelining");
  send_check(*h, t0 + 1ms);
  // The ACK 3.2 accepted: SET-VAR sess "ip_score" = INT32 42 on stream 1.
  const Bytes ack = read_file(capture("haproxy-3.2/ack-setvar-sess-ip_score-int32-42.bin"));
  ASSERT_EQ(h->feed(ack, t0 + 4ms), ack.size());
  auto e = h->next_event();
  ASSERT_TRUE(e);
  const auto* a = std::get_if<AckEvent>(&*e);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(describe_event(*e), "ack 1/1 set sess.iprep.ip_score=int32:42 stop=end");
  EXPECT_EQ(a->round_trip(), 3ms);
  EXPECT_EQ(h->in_flight(), 0u);
  EXPECT_EQ(h->stats().acks, 1u);
}

TEST(HaproxyConnection, StopsReadingActionsAtTheFirstBadOne) {
  auto h = connected(profile_options(v26), "pipelining");
  send_check(*h);
  // set txn.a = 1; unset req.b; then action type 5 (unknown); then a set that HAProxy never reads.
  const Bytes ack = frame("67 00000001 00 01  01 03 02 " + raw("a") + " 02 01  02 02 03 " + raw("b") +
                          "  05 00  01 03 02 " + raw("c") + " 02 03");
  EXPECT_THAT(feed(*h, ack), ElementsAre("ack 0/1 set txn.iprep.a=int32:1, unset req.iprep.b stop=12"));
}

TEST(HaproxyConnection, TwentySixIgnoresUnmatchedAcksWhenPipelining) {
  auto h = connected(profile_options(v26), "pipelining,async");
  send_check(*h);
  EXPECT_THAT(feed(*h, frame("67 00000001 05 01")), IsEmpty());
  EXPECT_THAT(feed(*h, frame("67 00000001 00 02")), IsEmpty());
  EXPECT_EQ(h->stats().acks_ignored, 2u);
  // Anything else the agent sends after the handshake is read and dropped.
  EXPECT_THAT(feed(*h, cat({agent_hello_with_caps(""), frame("32 00000001 00 00"), frame("03 00000001 00 01")})),
              IsEmpty());
  EXPECT_EQ(h->stats().frames_dropped, 5u);
  EXPECT_THAT(feed(*h, frame("67 00000001 00 01")), ElementsAre("ack 0/1 stop=end"));
  EXPECT_EQ(h->state(), HaproxyState::running);
}

TEST(HaproxyConnection, TwentySixInSyncModeDisconnectsOnAnUnmatchedAckWhileWaiting) {
  auto h = connected(profile_options(v26), "");
  EXPECT_THAT(feed(*h, frame("67 00000001 09 01")), IsEmpty()) << "nothing waiting: ignored";
  send_check(*h);
  h->consume_output(h->pending_output().size());
  EXPECT_THAT(feed(*h, frame("67 00000001 09 01")), ElementsAre(StartsWith("error 12 sent=1 abandoned=1")));
  EXPECT_EQ(to_hex(h->pending_output()), haproxy_disconnect_hex(Status::frame_id_not_found));
}

struct AckCase {
  std::string name;
  Bytes input;
  std::optional<Status> status;  // nullopt: ignored
};

TEST(HaproxyConnection, ChecksAcksStrictlyOnThirtyOne) {
  const std::vector<AckCase> cases = {
      {"ACK on stream 0", frame("67 00000001 00 01"), Status::invalid_frame},
      {"ACK with frame-id 0", frame("67 00000001 01 00"), Status::invalid_frame},
      {"ACK for a stream never opened", frame("67 00000001 05 01"), Status::frame_id_not_found},
      {"ACK with a frame-id above the stream's", frame("67 00000001 03 02"), Status::frame_id_not_found},
      {"ACK without FIN", frame("67 00000000 03 01"), Status::fragmentation_not_supported},
      {"unknown frame without FIN", frame("32 00000000 03 01"), Status::fragmentation_not_supported},
      {"unknown frame on stream 0", frame("32 00000001 00 00"), Status::invalid_frame},
      {"unknown frame on stream 3", frame("32 00000001 03 01"), std::nullopt},
      {"late ACK of the answered stream 1", frame("67 00000001 01 01"), std::nullopt},
  };
  for (const AckCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = connected(profile_options(v31), "pipelining");
    send_check(*h);
    send_check(*h);  // streams 1 and 3
    EXPECT_THAT(feed(*h, frame("67 00000001 01 01")), ElementsAre("ack 1/1 stop=end"));
    h->consume_output(h->pending_output().size());
    const auto events = feed(*h, c.input);
    if (!c.status) {
      EXPECT_THAT(events, IsEmpty());
      EXPECT_EQ(h->state(), HaproxyState::running);
      continue;
    }
    const unsigned code = static_cast<unsigned>(*c.status);
    EXPECT_THAT(events, ElementsAre(StartsWith("error " + std::to_string(code) + " sent=1 abandoned=1")));
    EXPECT_EQ(to_hex(h->pending_output()), haproxy_disconnect_hex(*c.status));
  }
}

TEST(HaproxyConnection, AckWithoutFinIsStatus10OnTwentySix) {
  auto h = connected(profile_options(v26), "pipelining");
  send_check(*h);
  EXPECT_THAT(feed(*h, frame("67 00000000 00 01")), ElementsAre(StartsWith("error 10 sent=1")));
}

TEST(HaproxyConnection, ComparesLengthOrPayloadWithTheFrameSizePerProfile) {
  // Negotiated 256. A 257-byte ACK (payload 250) is too big for 2.6, which compares LEN; 3.1
  // compares the payload and takes it. A payload of 257 is too big for both.
  const Bytes len257 = frame("67 00000001 01 01 " + repeat_hex(0x03, 250));
  const Bytes payload257 = frame("67 00000001 01 01 " + repeat_hex(0x03, 257));
  for (HaproxyProfile p : {v26, v31}) {
    SCOPED_TRACE(to_string(p));
    HaproxyConnection h(profile_options(p), t0);
    feed(h, agent_hello_256("pipelining"));
    send_sized(h, 1);
    const auto events = feed(h, len257);
    if (p == v26) {
      EXPECT_THAT(events, ElementsAre(StartsWith("error 3 sent=1")));
      continue;
    }
    EXPECT_THAT(events, ElementsAre("ack 1/1 stop=0"));  // action type 3 is unknown: read nothing
    send_sized(h, 1);
    EXPECT_THAT(feed(h, payload257), ElementsAre(StartsWith("error 3 sent=1")));
  }
}

// ---- disconnects and timers -------------------------------------------------------------------

TEST(HaproxyConnection, SoftStopSendsTheCapturedDisconnectAndWaitsForTheAgent) {
  auto h = connected(profile_options(v26), "pipelining");
  send_check(*h);
  h->consume_output(h->pending_output().size());
  h->submit_disconnect(Status::normal, "normal", t0);
  EXPECT_EQ(to_hex(h->pending_output()), to_hex(read_file(capture("haproxy-2.6/haproxy-disconnect-softstop.bin"))));
  EXPECT_EQ(h->state(), HaproxyState::disconnecting);
  NotifyIds ids;
  EXPECT_EQ(h->send_notify({}, t0, ids), std::errc::not_connected);
  EXPECT_THAT(feed(*h, frame("67 00000001 00 01")), IsEmpty()) << "ignored while disconnecting";
  EXPECT_THAT(feed(*h, read_file(capture("haproxy-2.6/agent-disconnect.bin"))),
              ElementsAre("agent-disconnect 0 normal abandoned=0"));
  EXPECT_EQ(h->state(), HaproxyState::closed);
  EXPECT_FALSE(h->wants_read());
  EXPECT_FALSE(h->wants_write());
}

TEST(HaproxyConnection, AgentDisconnectWhileRunningAbandonsWaitingNotifies) {
  auto h = connected(profile_options(v31), "pipelining");
  send_check(*h);
  send_check(*h);
  EXPECT_THAT(feed(*h, disconnect(0x66, 13, "resource allocation error")),
              ElementsAre("agent-disconnect 13 resource allocation error abandoned=2"));
  EXPECT_EQ(h->status(), Status::resource_allocation);
  EXPECT_EQ(h->reason(), "resource allocation error");
  EXPECT_TRUE(h->pending_output().empty());
}

TEST(HaproxyConnection, TwentySixIgnoresAnAgentDisconnectWithAMessageOver255Bytes) {
  const Bytes long_message = frame("66 00000001 00 00 " + raw("status-code") + " 03 00 " + raw("message") +
                                   " 08 f001 " + repeat_hex('m', 256));  // varint f0 01 = 256
  auto h = connected(profile_options(v26), "pipelining");
  EXPECT_THAT(feed(*h, long_message), IsEmpty());
  EXPECT_EQ(h->state(), HaproxyState::running);
  auto g = connected(profile_options(v31), "pipelining");
  EXPECT_THAT(feed(*g, long_message), ElementsAre(StartsWith("agent-disconnect 0 mmmm")));
}

TEST(HaproxyConnection, HelloTimeoutClosesWithoutDisconnect) {
  HaproxyOptions o = profile_options(v26);
  o.hello_timeout = 2s;
  HaproxyConnection h(o, t0);
  EXPECT_EQ(h.next_deadline(), t0 + 2s);
  h.on_tick(t0 + 1999ms);
  EXPECT_EQ(h.state(), HaproxyState::hello_sent);
  h.on_tick(t0 + 2s);
  EXPECT_THAT(drain(h), ElementsAre(StartsWith("error 2 sent=0 abandoned=0")));
  EXPECT_EQ(h.state(), HaproxyState::closed);
  EXPECT_TRUE(h.pending_output().empty());
}

TEST(HaproxyConnection, IdleTimeoutSendsDisconnect2ThenGivesUpWaiting) {
  HaproxyOptions o = profile_options(v26);
  o.idle_timeout = 10s;
  auto h = connected(o, "pipelining");
  send_check(*h, t0 + 1s);
  EXPECT_EQ(h->next_deadline(), std::nullopt) << "a NOTIFY is waiting";
  feed(*h, frame("67 00000001 00 01"), t0 + 2s);
  EXPECT_EQ(h->next_deadline(), t0 + 12s);
  h->consume_output(h->pending_output().size());
  h->on_tick(t0 + 12s);
  EXPECT_THAT(drain(*h), ElementsAre(StartsWith("error 2 sent=1")));
  EXPECT_EQ(to_hex(h->pending_output()), haproxy_disconnect_hex(Status::timeout));
  EXPECT_EQ(h->next_deadline(), t0 + 22s);
  h->on_tick(t0 + 22s);
  EXPECT_EQ(h->state(), HaproxyState::closed);
}

// ---- variables --------------------------------------------------------------------------------

TEST(HaproxyVariables, NamesVariablesLikeHaproxy) {
  EXPECT_EQ(variable_name(Scope::txn, "iprep", "ip_score"), "txn.iprep.ip_score");
  EXPECT_EQ(variable_name(Scope::proc, "p", "x"), "proc.p.x");
  EXPECT_EQ(variable_name(Scope::sess, "p", "x"), "sess.p.x");
  EXPECT_EQ(variable_name(Scope::req, "p", "x"), "req.p.x");
  EXPECT_EQ(variable_name(Scope::res, "p", "x"), "res.p.x");
  // The 64-byte buffer: 63 characters at most.
  const std::string name(100, 'n');
  const std::string full = variable_name(Scope::txn, "iprep", name);
  EXPECT_EQ(full, "txn.iprep." + std::string(63 - 10, 'n'));
  EXPECT_EQ(variable_name(Scope::txn, std::string(70, 'p'), "x"), "txn." + std::string(59, 'p'));
  EXPECT_EQ(variable_name(Scope::txn, "p", std::string_view("ab\0cd", 5)), "txn.p.ab");
  std::string appended = "x";
  append_variable_name(appended, Scope::req, "p", std::string(80, 'q'));
  EXPECT_EQ(appended.size(), 1u + 63u);
}

TEST(HaproxyVariables, AppliesActionsAsHaproxy25AndLater) {
  const std::string text = "hello";
  std::string source = text;  // the action's bytes live in a buffer that is reused afterwards
  const std::vector<AckAction> actions = {
      {ActionType::set_var, Scope::txn, "a", "txn.p.a", Value::string(source)},
      {ActionType::set_var, Scope::proc, "new", "proc.p.new", Value::int32(1)},
      {ActionType::set_var, Scope::proc, "old", "proc.p.old", Value::int32(2)},
      {ActionType::set_var, Scope::sess, "gone", "sess.p.gone", Value::null()},
      {ActionType::unset_var, Scope::req, "dropped", "req.p.dropped", Value::null()},
      {ActionType::unset_var, Scope::req, "absent", "req.p.absent", Value::null()},
  };
  VariableStore store;
  store.emplace("proc.p.old", OwnedValue(Value::int32(0)));
  store.emplace("sess.p.gone", OwnedValue(Value::boolean(true)));
  store.emplace("req.p.dropped", OwnedValue(Value::boolean(true)));
  EXPECT_EQ(apply_actions(actions, store), 4u);
  source.assign("XXXXX");
  ASSERT_EQ(store.size(), 2u);
  EXPECT_EQ(store.at("txn.p.a").view(), Value::string(text)) << "values are copied";
  EXPECT_EQ(store.at("proc.p.old").view(), Value::int32(2));
  EXPECT_FALSE(store.contains("proc.p.new")) << "proc variables must exist first";

  EXPECT_EQ(apply_actions(actions, store, /*force_set_var=*/true), 3u);
  EXPECT_EQ(store.at("proc.p.new").view(), Value::int32(1));
  EXPECT_EQ(store.at("txn.p.a").view(), Value::string("XXXXX"));
}

// ---- end to end: both state machines wired together in memory --------------------------------

std::string describe_agent_event(const AgentEvent& e) {
  if (const auto* h = std::get_if<HelloEvent>(&e)) return "hello hc=" + std::to_string(h->healthcheck);
  if (const auto* n = std::get_if<NotifyEvent>(&e)) {
    std::string s = "notify " + std::to_string(n->stream_id) + "/" + std::to_string(n->frame_id);
    std::vector<Argument> args;
    for (const MessageView& m : n->messages) {
      m.arguments(args);
      s += " " + std::string(m.name()) + "(" + std::to_string(args.size()) + " args)";
    }
    return s;
  }
  if (const auto* a = std::get_if<AbortEvent>(&e)) return "abort " + std::to_string(a->stream_id);
  const auto& d = std::get<DisconnectEvent>(e);
  return "disconnect " + std::to_string(static_cast<unsigned>(d.status)) + (d.by_peer ? " peer" : " ours");
}

/// An agent and a HAProxy joined by two in-memory byte pipes.
class Link {
 public:
  Link(const AgentOptions& a, const HaproxyOptions& h) : agent(a, t0), haproxy(h, t0) {}

  /// Moves bytes both ways until nothing moves. Each agent NOTIFY is passed to `on_notify` while its
  /// views are valid; each AckEvent's actions are applied to `store` likewise.
  template <class OnNotify>
  void pump(const OnNotify& on_notify) {
    for (bool moved = true; moved;) {
      moved = carry(haproxy, to_agent);
      const std::size_t a = agent.feed(to_agent, t0);
      while (auto e = agent.next_event()) {
        agent_events.push_back(describe_agent_event(*e));
        if (const auto* n = std::get_if<NotifyEvent>(&*e)) on_notify(*n);
      }
      to_agent.erase(to_agent.begin(), to_agent.begin() + static_cast<std::ptrdiff_t>(a));
      moved = carry(agent, to_haproxy) || moved || a > 0;
      const std::size_t h = haproxy.feed(to_haproxy, t0);
      while (auto e = haproxy.next_event()) {
        haproxy_events.push_back(describe_event(*e));
        if (const auto* ack = std::get_if<AckEvent>(&*e)) apply_actions(ack->actions, store);
      }
      to_haproxy.erase(to_haproxy.begin(), to_haproxy.begin() + static_cast<std::ptrdiff_t>(h));
      moved = moved || h > 0;
    }
  }
  void pump() {
    pump([](const NotifyEvent&) {});
  }

  AgentConnection agent;
  HaproxyConnection haproxy;
  std::vector<std::string> agent_events, haproxy_events;
  VariableStore store;

 private:
  template <class Connection>
  static bool carry(Connection& from, Bytes& pipe) {
    const auto out = from.pending_output();
    pipe.insert(pipe.end(), out.begin(), out.end());
    from.consume_output(out.size());
    return !out.empty();
  }
  Bytes to_agent, to_haproxy;
};

class EndToEnd : public ::testing::TestWithParam<HaproxyProfile> {};

TEST_P(EndToEnd, HandshakeNotifyAckAndDisconnect) {
  const bool is26 = GetParam() == v26;
  Link link({}, profile_options(GetParam()));
  link.pump();
  EXPECT_THAT(link.agent_events, ElementsAre("hello hc=0"));
  EXPECT_THAT(link.haproxy_events,
              ElementsAre(is26 ? "connected mfs=16380 version=2.0 caps=pipelining,async pipelining=1 async=1 frag=0 hc=0"
                               : "connected mfs=16380 version=2.0 caps=pipelining pipelining=1 async=0 frag=0 hc=0"));

  const NotifyIds ids = send_check(link.haproxy);
  link.pump([&](const NotifyEvent& n) {
    AckBuilder& ack = link.agent.start_ack(n.stream_id, n.frame_id);
    ack.set_var(Scope::sess, "ip_score", Value::int32(42));
    ack.unset_var(Scope::txn, "old");
    EXPECT_EQ(link.agent.commit_ack(), Errc::ok);
  });
  const std::string sid = std::to_string(ids.stream_id);
  EXPECT_EQ(link.agent_events.back(), "notify " + sid + "/1 check-client-ip(1 args)");
  EXPECT_EQ(link.haproxy_events.back(), "ack " + sid + "/1 set sess.iprep.ip_score=int32:42, unset txn.iprep.old stop=end");
  EXPECT_EQ(link.store.at("sess.iprep.ip_score").view(), Value::int32(42));

  // Ten pipelined NOTIFYs answered in reverse order.
  std::vector<NotifyIds> sent, answered;
  for (int i = 0; i < 10; ++i) sent.push_back(send_check(link.haproxy));
  std::vector<NotifyIds> received;
  link.pump([&](const NotifyEvent& n) { received.push_back({n.stream_id, n.frame_id}); });
  EXPECT_EQ(received, sent);
  EXPECT_EQ(link.agent.in_flight(), 10u);
  for (auto it = received.rbegin(); it != received.rend(); ++it) {
    link.agent.start_ack(it->stream_id, it->frame_id);
    EXPECT_EQ(link.agent.commit_ack(), Errc::ok);
  }
  const std::size_t before = link.haproxy_events.size();
  link.pump();
  ASSERT_EQ(link.haproxy_events.size(), before + 10);
  for (std::size_t i = 0; i < 10; ++i) {
    const NotifyIds& want = sent[9 - i];
    EXPECT_EQ(link.haproxy_events[before + i],
              "ack " + std::to_string(want.stream_id) + "/" + std::to_string(want.frame_id) + " stop=end");
  }
  EXPECT_EQ(link.haproxy.in_flight(), 0u);

  link.haproxy.submit_disconnect(Status::normal, "normal", t0);
  link.pump();
  EXPECT_EQ(link.agent_events.back(), "disconnect 0 peer");
  EXPECT_EQ(link.haproxy_events.back(), "agent-disconnect 0 normal abandoned=0");
  EXPECT_EQ(link.haproxy.state(), HaproxyState::closed);
  EXPECT_EQ(link.agent.state(), AgentState::closed);
}

TEST_P(EndToEnd, HealthCheck) {
  HaproxyOptions o = profile_options(GetParam());
  o.healthcheck = true;
  Link link({}, o);
  link.pump();
  EXPECT_THAT(link.agent_events, ElementsAre("hello hc=1"));
  EXPECT_THAT(link.haproxy_events, ElementsAre("connected mfs=16380 version=2.0 caps= pipelining=0 async=0 frag=0 hc=1"));
  EXPECT_EQ(link.haproxy.state(), HaproxyState::closed);
  EXPECT_EQ(link.agent.state(), AgentState::closed);
}

TEST_P(EndToEnd, AgentShutdownAbandonsWaitingNotifies) {
  Link link({}, profile_options(GetParam()));
  link.pump();
  send_check(link.haproxy);
  link.pump();
  link.agent.submit_disconnect(Status::normal, "shutting down");
  link.pump();
  EXPECT_EQ(link.haproxy_events.back(), "agent-disconnect 0 shutting down abandoned=1");
  EXPECT_EQ(link.agent.state(), AgentState::closed);
}

std::string profile_name(const ::testing::TestParamInfo<HaproxyProfile>& p) {
  return p.param == v26 ? "v2_6" : "v3_1";
}
INSTANTIATE_TEST_SUITE_P(Profiles, EndToEnd, ::testing::Values(v26, v31), profile_name);

TEST(EndToEndFragments, FragmentedNotifyIsReassembledByTheAgent) {
  AgentOptions a;
  a.fragmentation = true;
  a.max_frame_size = 256;
  Link link(a, profile_options(v26));
  link.pump();
  EXPECT_THAT(link.haproxy_events, ElementsAre(StartsWith("connected mfs=256 version=2.0 caps=pipelining,async,fragmentation")));
  const std::string text(1000, 'z');
  const std::vector<Argument> args = {{"body", Value::string(text)}, kIpArg};
  const NotifyMessage msg{"big", args};
  NotifyIds ids;
  ASSERT_FALSE(link.haproxy.send_notify(std::span<const NotifyMessage>(&msg, 1), t0, ids));
  std::string got;
  link.pump([&](const NotifyEvent& n) {
    std::vector<Argument> decoded;
    for (const MessageView& m : n.messages) m.arguments(decoded);
    got = std::string(decoded.at(0).value.as_bytes());
    link.agent.start_ack(n.stream_id, n.frame_id);
    EXPECT_EQ(link.agent.commit_ack(), Errc::ok);
  });
  EXPECT_EQ(link.agent_events.back(), "notify 0/1 big(2 args)");
  EXPECT_EQ(got, text);
  EXPECT_EQ(link.haproxy_events.back(), "ack 0/1 stop=end");
}

TEST(HaproxyConnection, ProfileAndStateNames) {
  EXPECT_EQ(to_string(v26), "2.6");
  EXPECT_EQ(to_string(v31), "3.2");
  EXPECT_EQ(parse_haproxy_profile("2.6"), v26);
  EXPECT_EQ(parse_haproxy_profile("3.2"), v31);
  EXPECT_EQ(parse_haproxy_profile("3.1"), v31);  // the alias: nothing on the wire tells 3.1 from 3.2
  EXPECT_EQ(parse_haproxy_profile("3.0"), std::nullopt);
  EXPECT_EQ(parse_haproxy_profile(""), std::nullopt);
  EXPECT_EQ(to_string(HaproxyState::hello_sent), "hello_sent");
  EXPECT_EQ(to_string(HaproxyState::disconnecting), "disconnecting");
  EXPECT_LT(HaproxyState::running, HaproxyState::disconnecting);
}

}  // namespace
}  // namespace spop
