// Scripted byte-stream tests of the agent-side state machine: every scenario is fed whole, one byte at a
// time and split at every offset, and must give the same events and output each way.
#include "spop/agent_connection.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "spop/types.hpp"
#include "tests/spop/connection_script.hpp"
#include "tests/support/hex.hpp"

// Counts heap allocations so that the steady-state test can prove that a NOTIFY/ACK cycle allocates
// nothing. Replacing the global operator new is the only portable way to observe that.
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// GCC cannot tell that these replace the global pair, and warns that free() meets operator new.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace spop {
namespace {

using namespace std::chrono_literals;
using test::capture;
using test::hex;
using test::read_file;
using test::to_hex;
using test::script::Bytes;
using test::script::Outcome;
using test::script::cat;
using test::script::disconnect;
using test::script::frame;
using test::script::raw;
using test::script::str;
using test::script::t0;
using ::testing::ElementsAre;
using ::testing::StartsWith;

// ---- frames -----------------------------------------------------------------------------------

const std::string kVersions = raw("supported-versions") + " " + str("2.0");
const std::string kMaxFrame16380 = raw("max-frame-size") + " 03 fcf006";
const std::string kCapsPipeAsync = raw("capabilities") + " " + str("pipelining,async");

/// HAPROXY-HELLO with FIN and ids 0 carrying `items`.
Bytes hello(const std::string& items) { return frame("01 00000001 00 00 " + items); }
/// What 2.6 sends, without the engine-id.
Bytes standard_hello() { return hello(kVersions + " " + kMaxFrame16380 + " " + kCapsPipeAsync); }

/// A one-message NOTIFY: check(n = INT32 value), with ids given as hex varints.
Bytes notify(const std::string& ids_hex, unsigned value, const std::string& flags = "00000001") {
  return frame("03 " + flags + " " + ids_hex + " " + raw("check") + " 01 " + raw("n") + " 02 " +
               test::script::byte_hex(value));
}

/// Our AGENT-HELLO answer, spelled out field by field for a given capabilities text.
std::string agent_hello_hex(const std::string& mfs_hex, std::string_view caps) {
  return to_hex(frame("65 00000001 00 00 " + raw("version") + " " + str("2.0") + " " + raw("max-frame-size") +
                      " 03 " + mfs_hex + " " + raw("capabilities") + " " + str(caps)));
}

/// An ACK with one SET-VAR txn "n" = INT32 value.
std::string ack_hex(const std::string& ids_hex, unsigned value) {
  return to_hex(frame("67 00000001 " + ids_hex + " 01 03 02 " + raw("n") + " 02 " + test::script::byte_hex(value)));
}

std::string joined(std::initializer_list<std::string> parts) {
  std::string s;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!s.empty()) s += ' ';
    s += p;
  }
  return s;
}

// ---- driver -----------------------------------------------------------------------------------

std::string describe_event(const AgentEvent& event) {
  struct Describe {
    std::string operator()(const HelloEvent& e) const {
      return "hello hc=" + std::to_string(e.healthcheck) + " mfs=" + std::to_string(e.max_frame_size) +
             " caps=" + std::string(e.capabilities) + " engine=" + std::string(e.engine_id);
    }
    std::string operator()(const NotifyEvent& e) const {
      std::string s = "notify " + std::to_string(e.stream_id) + "/" + std::to_string(e.frame_id);
      std::vector<Argument> args;
      for (const MessageView& m : e.messages) {
        s += " " + std::string(m.name()) + "(";
        m.arguments(args);
        for (std::size_t i = 0; i < args.size(); ++i) {
          s += (i ? ", " : "") + std::string(args[i].name) + "=" + describe(args[i].value);
        }
        s += ")";
      }
      return s;
    }
    std::string operator()(const AbortEvent& e) const {
      return "abort " + std::to_string(e.stream_id) + "/" + std::to_string(e.frame_id);
    }
    std::string operator()(const DisconnectEvent& e) const {
      return "disconnect " + std::to_string(static_cast<unsigned>(e.status)) + (e.by_peer ? " peer " : " ours ") +
             std::string(e.message);
    }
  };
  return std::visit(Describe{}, event);
}

std::vector<std::string> drain(AgentConnection& c) {
  std::vector<std::string> out;
  while (auto e = c.next_event()) out.push_back(describe_event(*e));
  return out;
}

/// A scripted run of a fresh AgentConnection with `options` (see connection_script.hpp).
Outcome grind(std::span<const std::byte> input, const AgentOptions& options = {}) {
  const auto make = [&options] { return std::make_unique<AgentConnection>(options, t0); };
  return test::script::grind(make, input, describe_event);
}

// ---- handshake --------------------------------------------------------------------------------

TEST(AgentConnection, AnswersTheReal26HelloWithPipeliningAndAsync) {
  const Bytes in = read_file(capture("haproxy-2.6/hello.bin"));
  const Outcome o = grind(in);
  EXPECT_THAT(o.events, ElementsAre("hello hc=0 mfs=16380 caps=pipelining,async "
                                    "engine=15162872-4af8-4605-93e8-3cf27d0312ad"));
  // 74 bytes: the §6 AGENT-HELLO with the 16-byte capabilities "pipelining,async" (LEN 0x46).
  EXPECT_EQ(o.output,
            to_hex(hex("00000046 65 00000001 00 00"
                       " 07 76657273696f6e 08 03 322e30"                                      // version "2.0"
                       " 0e 6d61782d6672616d652d73697a65 03 fcf006"                           // max-frame-size 16380
                       " 0c 6361706162696c6974696573 08 10 706970656c696e696e672c6173796e63"  // capabilities
                       )));
  EXPECT_EQ(o.state, "running");
}

TEST(AgentConnection, AnswersThe32HelloWithTheCapturedAgentHello) {
  const Bytes in = read_file(capture("haproxy-3.2/hello.bin"));
  const Outcome o = grind(in);
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_THAT(o.events[0], StartsWith("hello hc=0 mfs=16380 caps=pipelining engine="));
  // 3.2 offers only pipelining: the answer is exactly the 68-byte §6 example (captured from 2.6 too).
  EXPECT_EQ(o.output, to_hex(read_file(capture("haproxy-2.6/agent-hello.bin"))));
  EXPECT_EQ(hex(o.output).size(), 68u);
}

TEST(AgentConnection, HealthCheckAnswersThenCloses) {
  const Bytes in = read_file(capture("haproxy-2.6/hello-healthcheck.bin"));
  const Outcome o = grind(in);
  EXPECT_THAT(o.events, ElementsAre("hello hc=1 mfs=16380 caps= engine="));
  EXPECT_EQ(o.output, agent_hello_hex("fcf006", ""));
  EXPECT_EQ(o.state, "closing");

  AgentConnection c({}, t0);
  EXPECT_EQ(c.feed(in, t0), in.size());
  EXPECT_TRUE(c.healthcheck());
  EXPECT_FALSE(c.wants_read());  // the peer will reset; only flush
  EXPECT_TRUE(c.wants_write());
  c.consume_output(c.pending_output().size());
  EXPECT_EQ(c.state(), AgentState::closed);
  EXPECT_FALSE(c.wants_read());
  EXPECT_FALSE(c.wants_write());
  // Anything HAProxy might still send is ignored.
  EXPECT_EQ(c.feed(notify("00 01", 1), t0), notify("00 01", 1).size());
  EXPECT_TRUE(c.pending_output().empty());
}

TEST(AgentConnection, NegotiatesCapabilitiesAndFrameSize) {
  AgentOptions opts;
  opts.async = false;
  opts.fragmentation = true;
  opts.max_frame_size = 1024;  // varint F0 31
  Outcome o = grind(standard_hello(), opts);
  EXPECT_THAT(o.events, ElementsAre("hello hc=0 mfs=1024 caps=pipelining,fragmentation engine="));
  EXPECT_EQ(o.output, agent_hello_hex("f031", "pipelining,fragmentation"));

  // HAProxy's smaller size wins; capabilities it did not offer are not claimed.
  o = grind(hello(kVersions + " " + raw("max-frame-size") + " 03 fc03 " + raw("capabilities") + " " + str("")));
  EXPECT_THAT(o.events, ElementsAre("hello hc=0 mfs=300 caps= engine="));
  EXPECT_EQ(o.output, agent_hello_hex("fc03", ""));
}

/// Hex of `n` copies of the byte `c`.
std::string repeat_hex(unsigned char c, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += test::script::byte_hex(c);
  return s;
}

TEST(AgentConnection, ChecksLengthAgainstOwnLimitThenTheNegotiatedOne) {
  AgentOptions opts;
  opts.max_frame_size = 1024;
  // Before the handshake our own 1024 applies: a LEN of 1025 is refused on its 4 bytes alone.
  Outcome o = grind(hex("00000401 01 00000001"), opts);
  EXPECT_THAT(o.events, ElementsAre(StartsWith("disconnect 3 ours")));
  EXPECT_EQ(o.output, to_hex(disconnect(0x66, 3, "frame is too big")));

  // HAProxy offers 300: afterwards a 300-byte frame passes and a 301-byte one is too big.
  // Message "m" with one unnamed STRING of 286 (varint fe 02) or 287 (ff 02) bytes.
  const Bytes hello300 = hello(kVersions + " " + raw("max-frame-size") + " 03 fc03");
  const Bytes len300 = frame("03 00000001 01 01 " + raw("m") + " 01 00 08 fe02 " + repeat_hex('x', 286));
  const Bytes len301 = frame("03 00000001 01 01 " + raw("m") + " 01 00 08 ff02 " + repeat_hex('x', 287));
  ASSERT_EQ(len300.size(), 4u + 300u);
  o = grind(cat({hello300, len300}), opts);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_THAT(o.events[1], StartsWith("notify 1/1 m(=str:\"xxxx"));
  EXPECT_EQ(o.state, "running");
  o = grind(cat({hello300, len301}), opts);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_THAT(o.events[1], StartsWith("disconnect 3 ours"));
  EXPECT_EQ(o.output, joined({agent_hello_hex("fc03", ""), to_hex(disconnect(0x66, 3, "frame is too big"))}));
}

// ---- protocol errors: {input, expected status} -------------------------------------------------

struct BadInput {
  std::string name;
  Bytes input;
  Status status;
};

/// HAProxy's text for each status we send (spop-protocol.md §4), written out independently of the codec.
std::string haproxy_text(Status s) {
  switch (s) {
    case Status::timeout: return "a timeout occurred";
    case Status::frame_too_big: return "frame is too big";
    case Status::invalid_frame: return "invalid frame received";
    case Status::no_version: return "version value not found";
    case Status::no_max_frame_size: return "max-frame-size value not found";
    case Status::unsupported_version: return "unsupported version";
    case Status::bad_max_frame_size: return "max-frame-size too big or too small";
    case Status::fragmentation_not_supported: return "fragmentation not supported";
    case Status::invalid_interlaced_frames: return "invalid interlaced frames";
    default: return "?";
  }
}

void expect_rejected(const BadInput& c, const AgentOptions& opts, const std::string& output_before) {
  SCOPED_TRACE(c.name);
  const Outcome o = grind(c.input, opts);
  const unsigned code = static_cast<unsigned>(c.status);
  ASSERT_FALSE(o.events.empty());
  EXPECT_THAT(o.events.back(), StartsWith("disconnect " + std::to_string(code) + " ours "));
  EXPECT_EQ(o.output, joined({output_before, to_hex(disconnect(0x66, code, haproxy_text(c.status)))}));
  EXPECT_EQ(o.state, "closing");
}

TEST(AgentConnection, RejectsBadHandshakesWithTheExactStatus) {
  const std::string mfs = kMaxFrame16380;
  const std::vector<BadInput> cases = {
      {"no supported-versions", hello(mfs + " " + kCapsPipeAsync), Status::no_version},
      {"only version 1.0", hello(raw("supported-versions") + " " + str("1.0") + " " + mfs), Status::unsupported_version},
      {"unparsable version", hello(raw("supported-versions") + " " + str("two") + " " + mfs), Status::unsupported_version},
      {"no max-frame-size", hello(kVersions + " " + kCapsPipeAsync), Status::no_max_frame_size},
      {"max-frame-size 255", hello(kVersions + " " + raw("max-frame-size") + " 03 ff00"), Status::bad_max_frame_size},
      {"HELLO without FIN", frame("01 00000000 00 00 " + kVersions + " " + mfs), Status::fragmentation_not_supported},
      {"HELLO on stream 1", frame("01 00000001 01 00 " + kVersions + " " + mfs), Status::invalid_frame},
      {"HELLO with frame-id 1", frame("01 00000001 00 01 " + kVersions + " " + mfs), Status::invalid_frame},
      {"NOTIFY before HELLO", notify("00 01", 1), Status::invalid_frame},
      {"UNSET before HELLO", frame("00 00000001 00 01"), Status::invalid_frame},
      {"unknown type before HELLO", frame("32 00000001 00 00"), Status::invalid_frame},
      {"AGENT-HELLO sent to the agent", frame("65 00000001 00 00 " + raw("version") + " " + str("2.0")),
       Status::invalid_frame},
      {"AGENT-DISCONNECT sent to the agent", disconnect(0x66, 0, "normal"), Status::invalid_frame},
      {"ACK sent to the agent", frame("67 00000001 01 01"), Status::invalid_frame},
      {"LEN 0", hex("00000000"), Status::invalid_frame},
      {"LEN 1", hex("00000001 01"), Status::invalid_frame},
      {"LEN 2", hex("00000002 01 00"), Status::invalid_frame},
      {"LEN 3", hex("00000003 01 0000"), Status::invalid_frame},
      {"LEN 4", hex("00000004 01 000000"), Status::invalid_frame},
      {"LEN 5", hex("00000005 01 00000001"), Status::invalid_frame},
      {"LEN 6", hex("00000006 01 00000001 00"), Status::invalid_frame},
      {"LEN 16381 (above our 16380), rejected before the body arrives", hex("00003ffd 01 00000001 00 00"),
       Status::frame_too_big},
      {"LEN 2^32-1", hex("ffffffff"), Status::frame_too_big},
      {"11-byte stream-id varint", frame("01 00000001 ff ffffffffffffffffff 00 00"), Status::invalid_frame},
      {"key longer than the frame", hello(kVersions + " 0e 6d6178"), Status::invalid_frame},
      {"value cut inside its varint", hello(kVersions + " " + raw("max-frame-size") + " 03 fc"), Status::invalid_frame},
      {"string value longer than the frame", hello(raw("supported-versions") + " 08 05 322e30"), Status::invalid_frame},
  };
  for (const BadInput& c : cases) expect_rejected(c, {}, "");
}

TEST(AgentConnection, RejectsBadFramesAfterTheHandshakeWithTheExactStatus) {
  const std::string answered = agent_hello_hex("fcf006", "pipelining,async");
  const std::vector<BadInput> cases = {
      {"second HAPROXY-HELLO", standard_hello(), Status::invalid_frame},
      {"AGENT-HELLO", frame("65 00000001 00 00"), Status::invalid_frame},
      {"AGENT-DISCONNECT", disconnect(0x66, 0, "normal"), Status::invalid_frame},
      {"ACK", frame("67 00000001 01 01"), Status::invalid_frame},
      {"NOTIFY without FIN, fragmentation off", notify("01 01", 1, "00000000"), Status::fragmentation_not_supported},
      {"UNSET without a fragmented NOTIFY", frame("00 00000001 01 01 0102"), Status::invalid_frame},
      {"NOTIFY argument without its value", frame("03 00000001 01 01 " + raw("check") + " 01 " + raw("n")),
       Status::invalid_frame},
      {"NOTIFY integer cut short", frame("03 00000001 01 01 " + raw("check") + " 01 " + raw("n") + " 04 ff"),
       Status::invalid_frame},
      {"NOTIFY with more args announced than present",
       frame("03 00000001 01 01 " + raw("check") + " 02 " + raw("n") + " 02 07"), Status::invalid_frame},
      {"NOTIFY with a reserved data type", frame("03 00000001 01 01 " + raw("check") + " 01 " + raw("n") + " 0a"),
       Status::invalid_frame},
      {"LEN 6", hex("00000006 03 00000001 00"), Status::invalid_frame},
      {"LEN 16381", hex("00003ffd 03"), Status::frame_too_big},
      {"malformed HAPROXY-DISCONNECT", frame("02 00000001 00 00 " + raw("status-code") + " 03"),
       Status::invalid_frame},
  };
  for (const BadInput& c : cases) {
    expect_rejected({c.name, cat({standard_hello(), c.input}), c.status}, {}, answered);
  }
}

// ---- NOTIFY and ACK ---------------------------------------------------------------------------

TEST(AgentConnection, DeliversTheCaptured26NotifyOnStreamZero) {
  const Bytes in = cat({read_file(capture("haproxy-2.6/hello.bin")), read_file(capture("haproxy-2.6/notify-simple.bin"))});
  const Outcome o = grind(in);
  ASSERT_EQ(o.events.size(), 2u);
  // Stream-id 0 is an ordinary 2.6 stream, not a connection-level frame.
  EXPECT_EQ(o.events[1], "notify 0/1 check-client(ip=ipv4:127.0.0.1, host=str:\"example.com\")");
  EXPECT_EQ(o.state, "running");
}

TEST(AgentConnection, DecodesEveryArgumentOfTheCapturedTypesNotify) {
  const Bytes in = cat({read_file(capture("haproxy-2.6/hello.bin")), read_file(capture("haproxy-2.6/notify-types.bin"))});
  const Outcome o = grind(in);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[1],
            "notify 0/1 check-client(ip=ipv4:127.0.0.1, host=str:\"example.com\") types(s=str:\"hello\", "
            "sint=int64:-5, big=int64:100000, neg1=int64:-1, b=bool:true, bf=bool:false, ip6=ipv6:::1, "
            "bin=bin:00ff10, missing=null, long=str:\"" +
                std::string(300, 'L') + "\", =str:\"GET\", =str:\"/p\", srcport=int64:33990)");
}

TEST(AgentConnection, AckForStreamZeroMatchesTheCapture) {
  AgentConnection c({}, t0);
  const Bytes in = cat({read_file(capture("haproxy-2.6/hello.bin")), read_file(capture("haproxy-2.6/notify-simple.bin"))});
  ASSERT_EQ(c.feed(in, t0), in.size());
  drain(c);
  c.consume_output(c.pending_output().size());
  AckBuilder& ack = c.start_ack(0, 1);
  ASSERT_EQ(ack.set_var(Scope::txn, "x", Value::int32(1)), Errc::ok);
  ASSERT_EQ(c.commit_ack(), Errc::ok);
  EXPECT_EQ(to_hex(c.pending_output()), to_hex(read_file(capture("haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.bin"))));
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(AgentConnection, AnswersTwentyPipelinedNotifiesInReverseOrder) {
  AgentConnection c({}, t0);
  Bytes in = standard_hello();
  for (unsigned i = 0; i < 20; ++i) in = cat({in, notify(test::script::byte_hex(i) + " 01", i)});
  ASSERT_EQ(c.feed(in, t0), in.size());
  const auto events = drain(c);
  ASSERT_EQ(events.size(), 21u);
  for (unsigned i = 0; i < 20; ++i) {
    EXPECT_EQ(events[1 + i], "notify " + std::to_string(i) + "/1 check(n=int32:" + std::to_string(i) + ")");
  }
  EXPECT_EQ(c.in_flight(), 20u);
  EXPECT_TRUE(c.pipelining());
  c.consume_output(c.pending_output().size());

  std::string expected;
  for (unsigned i = 20; i-- > 0;) {
    AckBuilder& ack = c.start_ack(i, 1);
    ASSERT_EQ(ack.set_var(Scope::txn, "n", Value::int32(static_cast<std::int32_t>(i))), Errc::ok);
    ASSERT_EQ(c.commit_ack(), Errc::ok);
    expected = joined({expected, ack_hex(test::script::byte_hex(i) + " 01", i)});
  }
  EXPECT_EQ(to_hex(c.pending_output()), expected);
  EXPECT_EQ(c.in_flight(), 0u);
  EXPECT_EQ(c.stats().notifies, 20u);
  EXPECT_EQ(c.stats().acks, 20u);
}

TEST(AgentConnection, CopiesMultiByteIdsIntoTheAck) {
  AgentConnection c({}, t0);
  // stream-id 300 (fc 03), frame-id 2288 (f0 80 00).
  const Bytes in = cat({standard_hello(), notify("fc03 f08000", 5)});
  ASSERT_EQ(c.feed(in, t0), in.size());
  EXPECT_THAT(drain(c), ElementsAre(StartsWith("hello"), "notify 300/2288 check(n=int32:5)"));
  c.consume_output(c.pending_output().size());
  c.start_ack(300, 2288);
  ASSERT_EQ(c.commit_ack(), Errc::ok);
  EXPECT_EQ(to_hex(c.pending_output()), to_hex(frame("67 00000001 fc03 f08000")));
}

TEST(AgentConnection, RefusesAcksThatAnswerNothing) {
  AgentConnection c({}, t0);
  const Bytes in = cat({standard_hello(), notify("00 01", 1), notify("01 01", 2)});
  ASSERT_EQ(c.feed(in, t0), in.size());
  drain(c);
  c.consume_output(c.pending_output().size());

  EXPECT_EQ(c.commit_ack(), Errc::invalid_argument) << "no ACK open";
  c.start_ack(5, 1);
  EXPECT_EQ(c.commit_ack(), Errc::invalid_argument) << "stream never notified";
  c.start_ack(0, 2);
  EXPECT_EQ(c.commit_ack(), Errc::invalid_argument) << "frame-id not notified";
  c.start_ack(1, 1);
  c.cancel_ack();
  EXPECT_EQ(c.commit_ack(), Errc::invalid_argument) << "cancelled";
  EXPECT_TRUE(c.pending_output().empty());
  EXPECT_EQ(c.in_flight(), 2u);

  c.start_ack(0, 1);
  EXPECT_EQ(c.commit_ack(), Errc::ok);
  c.start_ack(0, 1);
  EXPECT_EQ(c.commit_ack(), Errc::invalid_argument) << "answered already";
  // Starting a second ACK abandons the first one.
  c.start_ack(1, 1).set_var(Scope::txn, "a", Value::int32(1));
  c.start_ack(1, 1);
  EXPECT_EQ(c.commit_ack(), Errc::ok);
  EXPECT_EQ(to_hex(c.pending_output()), joined({to_hex(frame("67 00000001 00 01")), to_hex(frame("67 00000001 01 01"))}));
  EXPECT_EQ(c.state(), AgentState::running);
}

TEST(AgentConnection, AckNeverExceedsTheNegotiatedFrameSize) {
  AgentOptions opts;
  opts.max_frame_size = 256;
  AgentConnection c(opts, t0);
  const Bytes in = cat({standard_hello(), notify("01 01", 1)});
  ASSERT_EQ(c.feed(in, t0), in.size());
  drain(c);
  c.consume_output(c.pending_output().size());
  AckBuilder& ack = c.start_ack(1, 1);
  const std::string big(300, 'v');
  EXPECT_EQ(ack.set_var(Scope::txn, "big", Value::string(big)), Errc::frame_too_big);
  const std::string fits(230, 'v');  // LEN = 7 + (1+1+1+1+3) + (1+1+230) = 246
  EXPECT_EQ(ack.set_var(Scope::txn, "fit", Value::string(fits)), Errc::ok);
  EXPECT_EQ(ack.set_var(Scope::txn, "more", Value::string("0123456789")), Errc::frame_too_big);
  EXPECT_LE(ack.frame_length(), 256u);
  ASSERT_EQ(c.commit_ack(), Errc::ok);
  EXPECT_EQ(c.pending_output().size(), 4u + 246u);
}

// ---- backpressure -----------------------------------------------------------------------------

TEST(AgentConnection, StopsReadingAtMaxInFlight) {
  AgentOptions opts;
  opts.max_in_flight = 2;
  AgentConnection c(opts, t0);
  const Bytes n1 = notify("01 01", 1), n2 = notify("02 01", 2), n3 = notify("03 01", 3);
  Bytes buffer = cat({standard_hello(), n1, n2, n3});
  std::size_t used = c.feed(buffer, t0);
  EXPECT_EQ(used, buffer.size() - n3.size());
  EXPECT_THAT(drain(c), ElementsAre(StartsWith("hello"), StartsWith("notify 1/1"), StartsWith("notify 2/1")));
  EXPECT_FALSE(c.wants_read());
  buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
  EXPECT_EQ(c.feed(buffer, t0), 0u) << "still full";

  c.start_ack(2, 1);
  ASSERT_EQ(c.commit_ack(), Errc::ok);
  EXPECT_TRUE(c.wants_read());
  EXPECT_EQ(c.feed(buffer, t0), n3.size());
  EXPECT_THAT(drain(c), ElementsAre("notify 3/1 check(n=int32:3)"));
  EXPECT_FALSE(c.wants_read());
}

TEST(AgentConnection, StopsReadingWhileOutputIsNotWritten) {
  AgentOptions opts;
  opts.max_pending_output = 10;  // below the AGENT-HELLO's 74 bytes
  AgentConnection c(opts, t0);
  const Bytes n1 = notify("01 01", 1);
  Bytes buffer = cat({standard_hello(), n1});
  const std::size_t used = c.feed(buffer, t0);
  EXPECT_EQ(used, buffer.size() - n1.size());
  EXPECT_FALSE(c.wants_read());
  EXPECT_TRUE(c.wants_write());
  buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
  c.consume_output(64);  // 10 bytes left: not above the limit
  EXPECT_TRUE(c.wants_read());
  EXPECT_EQ(c.feed(buffer, t0), n1.size());
  EXPECT_THAT(drain(c), ElementsAre(StartsWith("hello"), "notify 1/1 check(n=int32:1)"));
  EXPECT_EQ(c.stats().bytes_out, 64u);
}

// ---- fragmentation ----------------------------------------------------------------------------

// The payload "check(n=int32:N) other()" = 05 "check" 01 01 "n" 02 N | 05 "other" 00, cut in three.
const std::string kPart1 = "05 636865636b 01";
const std::string kPart2 = "01 6e 02";
std::string part3(unsigned n) { return test::script::byte_hex(n) + " 05 6f74686572 00"; }

Bytes fragmented(const std::string& ids, unsigned n = 7) {
  return cat({frame("03 00000000 " + ids + " " + kPart1), frame("00 00000000 " + ids + " " + kPart2),
              frame("00 00000001 " + ids + " " + part3(n))});
}

AgentOptions with_fragmentation() {
  AgentOptions opts;
  opts.fragmentation = true;
  return opts;
}

TEST(AgentConnection, ReassemblesFragmentedNotifies) {
  // Two fragmented NOTIFYs in a row: the first one's event must survive until the caller drained it.
  const Outcome o = grind(cat({standard_hello(), fragmented("01 01", 7), fragmented("02 05", 8), notify("03 01", 3)}),
                          with_fragmentation());
  EXPECT_THAT(o.events, ElementsAre("hello hc=0 mfs=16380 caps=pipelining,async,fragmentation engine=",
                                    "notify 1/1 check(n=int32:7) other()", "notify 2/5 check(n=int32:8) other()",
                                    "notify 3/1 check(n=int32:3)"));
  EXPECT_EQ(o.output, agent_hello_hex("fcf006", "pipelining,async,fragmentation"));
}

TEST(AgentConnection, DropsAnAbortedFragmentedNotify) {
  AgentConnection c(with_fragmentation(), t0);
  const Bytes in = cat({standard_hello(), frame("03 00000000 04 01 " + kPart1), frame("00 00000003 04 01"),
                        notify("05 01", 5)});
  const Outcome o = grind(in, with_fragmentation());
  EXPECT_THAT(o.events, ElementsAre(StartsWith("hello"), "abort 4/1", "notify 5/1 check(n=int32:5)"));
  ASSERT_EQ(c.feed(in, t0), in.size());
  EXPECT_EQ(c.in_flight(), 1u);  // only the NOTIFY on stream 5 waits for an ACK
  EXPECT_EQ(c.state(), AgentState::running);
}

TEST(AgentConnection, RejectsInterlacedOrOversizedFragments) {
  const std::string answered = agent_hello_hex("fcf006", "pipelining,async,fragmentation");
  const Bytes first = frame("03 00000000 01 01 " + kPart1);
  const std::vector<BadInput> cases = {
      {"NOTIFY of another stream in the middle", cat({first, notify("02 01", 2)}), Status::invalid_interlaced_frames},
      {"UNSET of another stream", cat({first, frame("00 00000001 02 01 " + kPart2)}),
       Status::invalid_interlaced_frames},
      {"UNSET of another frame-id", cat({first, frame("00 00000001 01 02 " + kPart2)}),
       Status::invalid_interlaced_frames},
      {"a new NOTIFY for the same ids", cat({first, frame("03 00000001 01 01 " + kPart2)}),
       Status::invalid_interlaced_frames},
  };
  for (const BadInput& c : cases) {
    expect_rejected({c.name, cat({standard_hello(), c.input}), c.status}, with_fragmentation(), answered);
  }
  AgentOptions small = with_fragmentation();
  small.max_reassembled_size = 10;  // parts of 7, 3 and 8 bytes: the third crosses it
  expect_rejected({"reassembly limit", cat({standard_hello(), fragmented("01 01")}), Status::frame_too_big}, small,
                  answered);
}

// ---- disconnects ------------------------------------------------------------------------------

TEST(AgentConnection, AnswersHaproxyDisconnectAfterTheQueuedAcks) {
  AgentConnection c({}, t0);
  const Bytes in = cat({read_file(capture("haproxy-2.6/hello.bin")), read_file(capture("haproxy-2.6/notify-simple.bin")),
                        notify("01 01", 1)});
  ASSERT_EQ(c.feed(in, t0), in.size());
  drain(c);
  c.consume_output(c.pending_output().size());
  c.start_ack(0, 1).set_var(Scope::txn, "x", Value::int32(1));
  ASSERT_EQ(c.commit_ack(), Errc::ok);
  AckBuilder& open = c.start_ack(1, 1);  // still being built when HAProxy leaves

  const Bytes bye = read_file(capture("haproxy-2.6/haproxy-disconnect-softstop.bin"));
  EXPECT_EQ(c.feed(bye, t0), bye.size());
  EXPECT_THAT(drain(c), ElementsAre("disconnect 0 peer normal"));
  EXPECT_EQ(open.set_var(Scope::txn, "late", Value::int32(2)), Errc::ok);  // the builder stays usable...
  EXPECT_EQ(c.commit_ack(), Errc::invalid_argument);                      // ...but nothing follows the DISCONNECT
  // The ACK queued before, then AGENT-DISCONNECT 0 "normal" (type 0x66, byte for byte the capture).
  const std::string expected = joined({to_hex(read_file(capture("haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.bin"))),
                                       to_hex(read_file(capture("haproxy-2.6/agent-disconnect.bin")))});
  EXPECT_EQ(to_hex(c.pending_output()), expected);
  EXPECT_EQ(c.state(), AgentState::closing);
  EXPECT_EQ(c.status(), Status::normal);
  EXPECT_EQ(c.reason(), "normal");
  EXPECT_FALSE(c.wants_read());

  // Nothing more is read or written.
  const Bytes late = notify("02 01", 2);
  EXPECT_EQ(c.feed(late, t0), late.size());
  c.submit_disconnect(Status::io_error, "again");
  EXPECT_FALSE(c.next_event());
  EXPECT_EQ(to_hex(c.pending_output()), expected);
  c.consume_output(c.pending_output().size());
  EXPECT_EQ(c.state(), AgentState::closed);
  EXPECT_FALSE(c.wants_write());
}

TEST(AgentConnection, ReportsThePeersDisconnectStatus) {
  // HAProxy may leave before the handshake too (code 2 here); we answer 0 "normal" either way.
  Outcome o = grind(disconnect(0x02, 2, "a timeout occurred"));
  EXPECT_THAT(o.events, ElementsAre("disconnect 2 peer a timeout occurred"));
  EXPECT_EQ(o.output, to_hex(read_file(capture("haproxy-2.6/agent-disconnect.bin"))));
  o = grind(cat({read_file(capture("haproxy-2.6/hello.bin")), read_file(capture("haproxy-2.6/haproxy-disconnect-softstop.bin"))}));
  EXPECT_THAT(o.events, ElementsAre(StartsWith("hello"), "disconnect 0 peer normal"));
  EXPECT_EQ(o.state, "closing");
}

TEST(AgentConnection, SubmitDisconnectQueuesAgentDisconnect) {
  AgentConnection c({}, t0);
  const Bytes in = standard_hello();
  ASSERT_EQ(c.feed(in, t0), in.size());
  drain(c);
  c.consume_output(c.pending_output().size());
  c.submit_disconnect(Status::normal, "normal");
  EXPECT_FALSE(c.next_event()) << "the caller knows: no event";
  EXPECT_EQ(to_hex(c.pending_output()), to_hex(read_file(capture("haproxy-2.6/agent-disconnect.bin"))));
  EXPECT_EQ(c.state(), AgentState::closing);
  c.consume_output(10);
  EXPECT_TRUE(c.wants_write());
  c.consume_output(c.pending_output().size());
  EXPECT_EQ(c.state(), AgentState::closed);
  EXPECT_FALSE(c.wants_read());
  EXPECT_FALSE(c.wants_write());
}

// ---- timers -----------------------------------------------------------------------------------

TEST(AgentConnection, HelloTimeoutDisconnectsWithStatus2) {
  AgentOptions opts;
  opts.hello_timeout = 1000ms;
  AgentConnection c(opts, t0);
  EXPECT_EQ(c.next_deadline(), t0 + 1000ms);
  c.on_tick(t0 + 999ms);
  EXPECT_EQ(c.state(), AgentState::awaiting_hello);
  c.on_tick(t0 + 1000ms);
  EXPECT_THAT(drain(c), ElementsAre(StartsWith("disconnect 2 ours")));
  EXPECT_EQ(to_hex(c.pending_output()), to_hex(disconnect(0x66, 2, "a timeout occurred")));
  EXPECT_EQ(c.state(), AgentState::closing);
  EXPECT_EQ(c.next_deadline(), std::nullopt);
}

TEST(AgentConnection, IdleTimeoutOnlyCountsWhenNothingIsInFlight) {
  AgentOptions opts;
  opts.idle_timeout = 5000ms;
  AgentConnection c(opts, t0);
  const Bytes in = standard_hello();
  ASSERT_EQ(c.feed(in, t0 + 1s), in.size());
  EXPECT_EQ(c.next_deadline(), t0 + 6s);
  const Bytes n = notify("01 01", 1);
  ASSERT_EQ(c.feed(n, t0 + 2s), n.size());
  EXPECT_EQ(c.next_deadline(), std::nullopt) << "a NOTIFY is being processed";
  c.on_tick(t0 + 100s);
  EXPECT_EQ(c.state(), AgentState::running);
  c.start_ack(1, 1);
  ASSERT_EQ(c.commit_ack(), Errc::ok);
  c.on_tick(t0 + 100s);  // the ACK restarts the idle period here
  EXPECT_EQ(c.state(), AgentState::running);
  EXPECT_EQ(c.next_deadline(), t0 + 105s);
  c.on_tick(t0 + 104s);
  EXPECT_EQ(c.state(), AgentState::running);
  drain(c);
  c.consume_output(c.pending_output().size());
  c.on_tick(t0 + 105s);
  EXPECT_THAT(drain(c), ElementsAre(StartsWith("disconnect 2 ours")));
  EXPECT_EQ(to_hex(c.pending_output()), to_hex(disconnect(0x66, 2, "a timeout occurred")));
}

// ---- leniency and allocation ------------------------------------------------------------------

TEST(AgentConnection, IgnoresUnknownFrameTypesAfterTheHandshake) {
  const Bytes in = cat({standard_hello(), frame("32 00000001 01 01 aabb"), frame("04 00000000 00 00"), notify("01 01", 7)});
  const Outcome o = grind(in);
  EXPECT_THAT(o.events, ElementsAre(StartsWith("hello"), "notify 1/1 check(n=int32:7)"));
  EXPECT_EQ(o.state, "running");
  AgentConnection c({}, t0);
  ASSERT_EQ(c.feed(in, t0), in.size());
  EXPECT_EQ(c.stats().unknown_frames, 2u);
  EXPECT_EQ(c.stats().frames_in, 4u);
}

TEST(AgentConnection, SteadyStateNotifyAckCycleDoesNotAllocate) {
  AgentConnection c({}, t0);
  const Bytes in = standard_hello();
  ASSERT_EQ(c.feed(in, t0), in.size());
  drain(c);
  c.consume_output(c.pending_output().size());
  const Bytes n = notify("05 01", 9);
  std::vector<Argument> args;
  std::size_t acks = 0;
  const auto cycle = [&] {
    c.feed(n, t0);
    while (auto e = c.next_event()) {
      if (const auto* ne = std::get_if<NotifyEvent>(&*e)) {
        for (const MessageView& m : ne->messages) m.arguments(args);
        AckBuilder& ack = c.start_ack(ne->stream_id, ne->frame_id);
        ack.set_var(Scope::txn, "n", args.at(0).value);
        if (c.commit_ack() == Errc::ok) ++acks;
      }
    }
    c.consume_output(c.pending_output().size());
  };
  for (int i = 0; i < 4; ++i) cycle();  // let the buffers reach their working size
  const std::size_t before = g_allocations.load();
  for (int i = 0; i < 200; ++i) cycle();
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(acks, 204u);
}

TEST(AgentConnection, StateNames) {
  EXPECT_EQ(to_string(AgentState::awaiting_hello), "awaiting_hello");
  EXPECT_EQ(to_string(AgentState::running), "running");
  EXPECT_EQ(to_string(AgentState::closing), "closing");
  EXPECT_EQ(to_string(AgentState::closed), "closed");
  EXPECT_LT(AgentState::awaiting_hello, AgentState::running);
}

}  // namespace
}  // namespace spop
