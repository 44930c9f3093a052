// Frames captured from real HAProxy 2.6.12 and 3.2.0 (tests/captures/): decoded to the expected fields,
// and built again byte for byte by our encoders where they are frames we also produce.
#include "spop/frame.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <filesystem>
#include <string>
#include <vector>

#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"
#include "spop/hello.hpp"
#include "spop/notify.hpp"
#include "spop/notify_builder.hpp"
#include "tests/spop/golden_frames.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;
namespace golden = test::golden;

struct Capture {
  std::vector<std::byte> bytes;
  Frame frame;
};

Capture load(std::string_view name) {
  Capture c{test::read_file(test::capture(name)), {}};
  std::size_t used = 0;
  EXPECT_EQ(split_frame(c.bytes, default_max_frame_size, c.frame, used), Errc::ok) << name;
  EXPECT_EQ(used, c.bytes.size()) << name;
  return c;
}

void expect_header(const Frame& f, FrameType type, std::uint64_t sid, std::uint64_t fid) {
  EXPECT_EQ(f.header.type, type);
  EXPECT_EQ(f.header.flags, frame_flags::fin);
  EXPECT_EQ(f.header.stream_id, sid);
  EXPECT_EQ(f.header.frame_id, fid);
}

// Builds a NOTIFY again from the decoded messages of `view`.
std::vector<std::byte> rebuild_notify(const Frame& f, const NotifyView& view) {
  std::vector<std::byte> out;
  NotifyBuilder b(out, f.header.stream_id, f.header.frame_id, default_max_frame_size);
  std::vector<Argument> args;
  for (const MessageView& m : view) {
    m.arguments(args);
    EXPECT_EQ(b.add_message(m.name(), args), Errc::ok);
  }
  b.finish();
  return out;
}

// ---- the .hex dumps describe the .bin files ---------------------------------------------------

// Reads an `xxd` dump: "00000010: 7573 2d63 ...  ascii"; the hex area is columns 10 to 49.
std::vector<std::byte> read_xxd(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::string digits;
  while (std::getline(in, line)) {
    if (line.size() <= 10) continue;
    digits += line.substr(10, 39);
  }
  return hex(digits);
}

TEST(Captures, HexDumpsMatchTheRawFiles) {
  for (std::string_view name : golden::captures) {
    SCOPED_TRACE(name);
    std::string dump(name);
    dump.replace(dump.size() - 4, 4, ".hex");
    EXPECT_EQ(to_hex(read_xxd(test::capture(dump))), to_hex(test::read_file(test::capture(name))));
  }
}

// ---- HAProxy 2.6 ------------------------------------------------------------------------------

TEST(Captures, Haproxy26Hello) {
  const Capture c = load("haproxy-2.6/hello.bin");
  EXPECT_EQ(c.bytes.size(), 133u);
  expect_header(c.frame, FrameType::haproxy_hello, 0, 0);
  HaproxyHello h;
  ASSERT_EQ(parse_haproxy_hello(c.frame.payload, h), Errc::ok);
  EXPECT_EQ(h.supported_versions, "2.0");
  EXPECT_EQ(h.max_frame_size, 16380u);
  EXPECT_EQ(h.capabilities, "pipelining,async");
  EXPECT_EQ(h.engine_id, "15162872-4af8-4605-93e8-3cf27d0312ad");
  EXPECT_EQ(h.engine_id.size(), 36u);
  EXPECT_FALSE(h.healthcheck);

  std::vector<std::byte> out;
  HaproxyHelloParams p;
  p.engine_id = h.engine_id;
  ASSERT_EQ(write_haproxy_hello(out, p), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy26HealthCheckHello) {
  const Capture c = load("haproxy-2.6/hello-healthcheck.bin");
  expect_header(c.frame, FrameType::haproxy_hello, 0, 0);
  HaproxyHello h;
  ASSERT_EQ(parse_haproxy_hello(c.frame.payload, h), Errc::ok);
  EXPECT_EQ(h.supported_versions, "2.0");
  EXPECT_EQ(h.max_frame_size, 16380u);
  EXPECT_EQ(h.capabilities, "");
  EXPECT_TRUE(h.healthcheck);
  EXPECT_EQ(h.engine_id, "");

  EXPECT_EQ(to_hex(c.bytes), to_hex(hex(golden::healthcheck_hello)));
  std::vector<std::byte> out;
  HaproxyHelloParams p;
  p.capabilities = "";
  p.healthcheck = true;
  ASSERT_EQ(write_haproxy_hello(out, p), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy26NotifySimple) {
  const Capture c = load("haproxy-2.6/notify-simple.bin");
  expect_header(c.frame, FrameType::notify, 0, 1);  // 2.6: stream-id 0 is a real stream
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(c.frame.payload, view), Errc::ok);
  ASSERT_EQ(view.message_count(), 1u);
  std::vector<Argument> args;
  view.begin()->arguments(args);
  EXPECT_EQ(view.begin()->name(), "check-client");
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[0].name, "ip");
  EXPECT_TRUE(args[0].value == Value::ipv4(Ipv4Address{{127, 0, 0, 1}}));
  EXPECT_EQ(args[1].name, "host");
  EXPECT_TRUE(args[1].value == Value::string("example.com"));

  EXPECT_EQ(to_hex(rebuild_notify(c.frame, view)), to_hex(c.bytes));
}

// spoe-types.conf: args s=str(hello) sint=int(-5) big=int(100000) neg1=int(-1) b=bool(1) bf=bool(0)
// ip6=ipv6(::1) bin=bin(00ff10) missing=req.hdr(x-missing) long=req.hdr(x-long) method path srcport=src_port
std::vector<Argument> expected_types_arguments(const std::string& long_header, const Ipv6Address& v6) {
  static const std::string bin("\x00\xff\x10", 3);
  return {
      {"s", Value::string("hello")},
      {"sint", Value::int64(-5)},         // every integer sample arrives as INT64
      {"big", Value::int64(100000)},
      {"neg1", Value::int64(-1)},
      {"b", Value::boolean(true)},
      {"bf", Value::boolean(false)},
      {"ip6", Value::ipv6(v6)},
      {"bin", Value::binary(bin)},
      {"missing", Value::null()},         // absent header: NULL
      {"long", Value::string(long_header)},
      {"", Value::string("GET")},         // `method`, unnamed
      {"", Value::string("/p")},          // `path`, unnamed
      {"srcport", Value::int64(33990)},
  };
}

TEST(Captures, Haproxy26NotifyTypes) {
  const Capture c = load("haproxy-2.6/notify-types.bin");
  EXPECT_EQ(c.bytes.size(), 484u);
  expect_header(c.frame, FrameType::notify, 0, 1);
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(c.frame.payload, view), Errc::ok);
  ASSERT_EQ(view.message_count(), 2u);

  auto it = view.begin();
  std::vector<Argument> args;
  EXPECT_EQ(it->name(), "check-client");
  it->arguments(args);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_TRUE(args[0].value == Value::ipv4(Ipv4Address{{127, 0, 0, 1}}));
  EXPECT_TRUE(args[1].value == Value::string("example.com"));

  ++it;
  EXPECT_EQ(it->name(), "types");
  EXPECT_EQ(it->argument_count(), 13);
  it->arguments(args);
  const std::string long_header(300, 'L');
  Ipv6Address v6;
  ASSERT_TRUE(parse_ipv6("::1", v6));
  const auto expected = expected_types_arguments(long_header, v6);
  ASSERT_EQ(args.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(args[i].name, expected[i].name);
    EXPECT_EQ(args[i].value.type(), expected[i].value.type());
    EXPECT_TRUE(args[i].value == expected[i].value) << describe(args[i].value) << " vs " << describe(expected[i].value);
  }
  EXPECT_EQ(args[1].value.as_int64(), -5);
  EXPECT_EQ(args[3].value.as_int64(), -1);
  EXPECT_EQ(args[9].value.as_bytes().size(), 300u);
  ++it;
  EXPECT_TRUE(it == view.end());

  // Built again from what we decoded, and from scratch with the values HAProxy was configured to send.
  EXPECT_EQ(to_hex(rebuild_notify(c.frame, view)), to_hex(c.bytes));
  std::vector<std::byte> out;
  NotifyBuilder b(out, 0, 1, default_max_frame_size);
  const Argument client[] = {{"ip", Value::ipv4(Ipv4Address{{127, 0, 0, 1}})}, {"host", Value::string("example.com")}};
  ASSERT_EQ(b.add_message("check-client", client), Errc::ok);
  ASSERT_EQ(b.add_message("types", expected), Errc::ok);
  b.finish();
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy26AckSetVar) {
  // An ACK HAProxy 2.6 accepted (txn.test.x = 1 then the request was allowed).
  const Capture c = load("haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.bin");
  expect_header(c.frame, FrameType::ack, 0, 1);
  AckContents contents;
  read_ack_actions(c.frame.payload, contents);
  EXPECT_EQ(contents.stop_reason, Errc::ok);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].type, ActionType::set_var);
  EXPECT_EQ(contents.actions[0].scope, Scope::txn);
  EXPECT_EQ(contents.actions[0].name, "x");
  EXPECT_TRUE(contents.actions[0].value == Value::int32(1));

  std::vector<std::byte> out;
  AckBuilder b(out, 0, 1, default_max_frame_size);
  ASSERT_EQ(b.set_var(Scope::txn, "x", Value::int32(1)), Errc::ok);
  b.finish();
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy26AgentHello) {
  const Capture c = load("haproxy-2.6/agent-hello.bin");
  expect_header(c.frame, FrameType::agent_hello, 0, 0);
  AgentHello a;
  ASSERT_EQ(parse_agent_hello(c.frame.payload, a), Errc::ok);
  EXPECT_EQ(a.version, "2.0");
  EXPECT_EQ(a.max_frame_size, 16380u);
  EXPECT_EQ(a.capabilities, "pipelining");
  std::vector<std::byte> out;
  ASSERT_EQ(write_agent_hello(out, "2.0", 16380, "pipelining"), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy26AgentDisconnect) {
  const Capture c = load("haproxy-2.6/agent-disconnect.bin");
  expect_header(c.frame, FrameType::agent_disconnect, 0, 0);
  DisconnectInfo d;
  ASSERT_EQ(parse_disconnect(c.frame.payload, d), Errc::ok);
  EXPECT_EQ(d.status_code, 0u);
  EXPECT_EQ(d.message, "normal");
  std::vector<std::byte> out;
  ASSERT_EQ(write_disconnect(out, FrameType::agent_disconnect, 0, status_message(Status::normal)), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy26SoftStopDisconnect) {
  const Capture c = load("haproxy-2.6/haproxy-disconnect-softstop.bin");
  expect_header(c.frame, FrameType::haproxy_disconnect, 0, 0);
  DisconnectInfo d;
  ASSERT_EQ(parse_disconnect(c.frame.payload, d), Errc::ok);
  EXPECT_EQ(d.status_code, 0u);
  EXPECT_EQ(d.message, "normal");
  std::vector<std::byte> out;
  ASSERT_EQ(write_disconnect(out, FrameType::haproxy_disconnect, 0, "normal"), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

// ---- HAProxy 3.2 ------------------------------------------------------------------------------

TEST(Captures, Haproxy32Hello) {
  const Capture c = load("haproxy-3.2/hello.bin");
  expect_header(c.frame, FrameType::haproxy_hello, 0, 0);
  HaproxyHello h;
  ASSERT_EQ(parse_haproxy_hello(c.frame.payload, h), Errc::ok);
  EXPECT_EQ(h.supported_versions, "2.0");
  EXPECT_EQ(h.max_frame_size, 16380u);
  EXPECT_EQ(h.capabilities, "pipelining");  // 3.x dropped async
  EXPECT_EQ(h.engine_id, "c597f1f0-0bec-4754-b763-263591304f7e");
  EXPECT_FALSE(h.healthcheck);
  std::vector<std::byte> out;
  HaproxyHelloParams p;
  p.capabilities = "pipelining";
  p.engine_id = h.engine_id;
  ASSERT_EQ(write_haproxy_hello(out, p), Errc::ok);
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

TEST(Captures, Haproxy32Notifies) {
  // One SPOP stream per NOTIFY: odd stream-ids 1, 3, ...; frame-id always 1.
  const std::pair<std::string_view, std::uint64_t> files[] = {{"haproxy-3.2/notify-sid1.bin", 1},
                                                              {"haproxy-3.2/notify-sid3.bin", 3}};
  for (const auto& [name, sid] : files) {
    SCOPED_TRACE(name);
    const Capture c = load(name);
    expect_header(c.frame, FrameType::notify, sid, 1);
    NotifyView view;
    ASSERT_EQ(NotifyView::parse(c.frame.payload, view), Errc::ok);
    ASSERT_EQ(view.message_count(), 1u);
    EXPECT_EQ(view.begin()->name(), "check-client-ip");
    std::vector<Argument> args;
    view.begin()->arguments(args);
    ASSERT_EQ(args.size(), 1u);
    EXPECT_EQ(args[0].name, "ip");
    EXPECT_TRUE(args[0].value == Value::ipv4(Ipv4Address{{127, 0, 0, 1}}));
    EXPECT_EQ(to_hex(rebuild_notify(c.frame, view)), to_hex(c.bytes));
  }
  // The first one is the NOTIFY of spop-protocol.md §6.
  EXPECT_EQ(to_hex(load("haproxy-3.2/notify-sid1.bin").bytes), to_hex(hex(golden::notify)));
}

TEST(Captures, Haproxy32AckSetVar) {
  // An ACK HAProxy 3.2 accepted (the response showed sess.iprep.ip_score = 42).
  const Capture c = load("haproxy-3.2/ack-setvar-sess-ip_score-int32-42.bin");
  expect_header(c.frame, FrameType::ack, 1, 1);
  AckContents contents;
  read_ack_actions(c.frame.payload, contents);
  ASSERT_EQ(contents.actions.size(), 1u);
  EXPECT_EQ(contents.actions[0].scope, Scope::sess);
  EXPECT_EQ(contents.actions[0].name, "ip_score");
  EXPECT_TRUE(contents.actions[0].value == Value::int32(42));
  std::vector<std::byte> out;
  AckBuilder b(out, 1, 1, default_max_frame_size);
  ASSERT_EQ(b.set_var(Scope::sess, "ip_score", Value::int32(42)), Errc::ok);
  b.finish();
  EXPECT_EQ(to_hex(out), to_hex(c.bytes));
}

// ---- every capture, through the generic decoders ------------------------------------------------

TEST(Captures, EveryCaptureDecodesAndBuildsBackToItsPayload) {
  for (std::string_view name : golden::captures) {
    SCOPED_TRACE(name);
    const Capture c = load(name);
    const auto rebuilt = golden::rebuild_payload(c.frame.header.type, c.frame.payload);
    ASSERT_TRUE(rebuilt.has_value());
    EXPECT_EQ(to_hex(*rebuilt), to_hex(c.frame.payload));
  }
}

}  // namespace
}  // namespace spop
