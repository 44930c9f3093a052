#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include "spop-cli/pcap_reader.hpp"
#include "capture/tcp_reassembly.hpp"
#include "tests/spop-cli/run_cli.hpp"
#include "tests/support/hex.hpp"

namespace spop_cli {
namespace {

using Kind = CaptureEvent::Kind;

std::vector<const CaptureEvent*> frames_of(const Capture& c, std::size_t conn) {
  std::vector<const CaptureEvent*> out;
  for (const CaptureEvent& e : c.events) {
    if (e.kind == Kind::frame && e.connection == conn) out.push_back(&e);
  }
  return out;
}

TEST(Pcap, RealHaproxyCaptureOfHealthChecksAndANotify) {
  Capture c;
  ASSERT_EQ(read_capture(spop::test::capture("haproxy-2.6/healthcheck-and-notify.pcapng").string(),
                         CaptureOptions{12345, 0}, c),
            "");
  EXPECT_EQ(c.link_type, DLT_EN10MB);
  EXPECT_EQ(c.stats.packets, 28u);
  ASSERT_EQ(c.connections.size(), 4u);
  EXPECT_EQ(c.connections[0].haproxy, "127.0.0.1:47122");
  EXPECT_EQ(c.connections[0].agent, "127.0.0.1:12345");
  for (const CaptureEvent& e : c.events) EXPECT_NE(e.kind, Kind::problem) << e.text;

  // Connection 1: a health check, answered, then reset by HAProxy.
  const auto check = frames_of(c, 1);
  ASSERT_EQ(check.size(), 2u);
  EXPECT_EQ(check[0]->direction, Direction::to_agent);
  EXPECT_EQ(check[0]->frame.type, 1);
  EXPECT_EQ(check[0]->frame.kv.back().key, "healthcheck");
  EXPECT_EQ(check[1]->direction, Direction::to_haproxy);
  EXPECT_EQ(check[1]->frame.type, 101);
  const auto closed = std::find_if(c.events.begin(), c.events.end(),
                                   [](const CaptureEvent& e) { return e.kind == Kind::closed && e.connection == 1; });
  ASSERT_NE(closed, c.events.end());
  EXPECT_EQ(closed->text, "RST from HAProxy");

  // Connection 3: the real session with its NOTIFY and ACK.
  const auto session = frames_of(c, 3);
  ASSERT_EQ(session.size(), 4u);
  EXPECT_EQ(session[2]->frame.type, 3);
  EXPECT_EQ(session[2]->frame.offset, 133u);  // after the 133-byte HELLO
  EXPECT_EQ(session[2]->frame.messages.at(0).name, "check-client");
  EXPECT_EQ(session[3]->frame.type, 103);
  EXPECT_EQ(session[3]->frame.actions.at(0).name, "x");
  EXPECT_EQ(session[3]->frame.actions.at(0).value.view(), spop::Value::int32(1));
  EXPECT_GT(session[3]->time_ns, session[2]->time_ns);
}

TEST(Pcap, WrongPortFindsNothing) {
  Capture c;
  ASSERT_EQ(
      read_capture(spop::test::capture("haproxy-2.6/healthcheck-and-notify.pcapng").string(), CaptureOptions{80, 0}, c),
      "");
  EXPECT_TRUE(c.connections.empty());
  EXPECT_EQ(c.stats.segments, 0u);
}

TEST(Pcap, UnreadableFiles) {
  Capture c;
  EXPECT_NE(read_capture("/nonexistent/x.pcap", CaptureOptions{1, 0}, c).find("/nonexistent/x.pcap: "),
            std::string::npos);
  // A valid pcap file of a link type we do not parse.
  const std::string path = test::temp_path("wifi.pcap");
  pcap_t* dead = pcap_open_dead(DLT_IEEE802_11, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  pcap_dump_close(d);
  pcap_close(dead);
  EXPECT_NE(read_capture(path, CaptureOptions{1, 0}, c).find("link type 105"), std::string::npos);
}

// ---- hand-built packets ------------------------------------------------------------------------

std::vector<std::byte> tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
                           const std::vector<std::byte>& payload) {
  std::vector<std::byte> t(20);
  const auto put16 = [&t](std::size_t at, std::uint32_t v) {
    t[at] = static_cast<std::byte>(v >> 8);
    t[at + 1] = static_cast<std::byte>(v);
  };
  put16(0, sport);
  put16(2, dport);
  put16(4, seq >> 16);
  put16(6, seq & 0xFFFF);
  t[12] = std::byte{0x50};  // 5 words: no options
  t[13] = static_cast<std::byte>(flags);
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

std::vector<std::byte> ipv4(const std::vector<std::byte>& segment) {
  std::vector<std::byte> p = spop::test::hex("45 00 00 00 00 00 40 00 40 06 00 00 7f 00 00 01 7f 00 00 01");
  const std::size_t total = p.size() + segment.size();
  p[2] = static_cast<std::byte>(total >> 8);
  p[3] = static_cast<std::byte>(total);
  p.insert(p.end(), segment.begin(), segment.end());
  return p;
}

// IPv6 ::1 -> ::1 with a hop-by-hop options header before TCP.
std::vector<std::byte> ipv6(const std::vector<std::byte>& segment) {
  std::vector<std::byte> p = spop::test::hex(
      "60 00 00 00 00 00 00 40  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01  06 00 01 04 00 00 00 00");
  const std::size_t len = 8 + segment.size();
  p[4] = static_cast<std::byte>(len >> 8);
  p[5] = static_cast<std::byte>(len);
  p.insert(p.end(), segment.begin(), segment.end());
  return p;
}

constexpr std::uint8_t tcp_syn = 0x02, tcp_ack = 0x10, tcp_psh = 0x08, tcp_rst = 0x04;

std::vector<std::byte> slice(const std::vector<std::byte>& b, std::size_t from, std::size_t n) {
  return {b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

TEST(Pcap, ReassemblesOutOfOrderAndRetransmittedSegments) {
  Capture c;
  CaptureDecoder d(CaptureOptions{12345, 0}, c, DLT_RAW);
  const auto hello = spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"));  // 133 bytes
  const std::uint32_t isn = 0xFFFFFFF0;  // the sequence numbers wrap inside the frame
  d.packet(1000, ipv4(tcp(40000, 12345, isn, tcp_syn, {})));
  d.packet(2000, ipv4(tcp(40000, 12345, isn + 1 + 100, tcp_psh | tcp_ack, slice(hello, 100, 33))));  // the end, early
  d.packet(3000, ipv4(tcp(40000, 12345, isn + 1, tcp_ack, slice(hello, 0, 60))));
  d.packet(4000, ipv4(tcp(40000, 12345, isn + 1, tcp_ack, slice(hello, 0, 60))));        // retransmitted
  d.packet(5000, ipv4(tcp(40000, 12345, isn + 1 + 50, tcp_ack, slice(hello, 50, 50))));  // overlaps, completes
  d.finish();
  const auto f = frames_of(c, 1);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->time_ns, 5000);  // when the last missing byte arrived
  EXPECT_EQ(f[0]->frame.kv.at(3).key, "engine-id");
  for (const CaptureEvent& e : c.events) EXPECT_NE(e.kind, Kind::problem) << e.text;
}

TEST(Pcap, Ipv6WithAnExtensionHeader) {
  Capture c;
  CaptureDecoder d(CaptureOptions{12345, 0}, c, DLT_RAW);
  const auto ack_frame = spop::test::hex("00 00 00 07 67 00 00 00 01 01 01");
  d.packet(1, ipv6(tcp(12345, 50000, 77, tcp_psh | tcp_ack, ack_frame)));
  d.finish();
  ASSERT_EQ(c.connections.size(), 1u);
  EXPECT_EQ(c.connections[0].haproxy, "[::1]:50000");
  EXPECT_EQ(c.connections[0].agent, "[::1]:12345");
  const auto f = frames_of(c, 1);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->direction, Direction::to_haproxy);
  EXPECT_EQ(f[0]->frame.type, 103);
}

TEST(Pcap, ReportsGapsCutFramesAndBadLengths) {
  Capture c;
  CaptureDecoder d(CaptureOptions{12345, 0}, c, DLT_RAW);
  const auto hello = spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"));
  // Connection 1: bytes 10..19 never captured.
  d.packet(1, ipv4(tcp(40001, 12345, 100, tcp_syn, {})));
  d.packet(2, ipv4(tcp(40001, 12345, 101, tcp_ack, slice(hello, 0, 10))));
  d.packet(3, ipv4(tcp(40001, 12345, 121, tcp_ack, slice(hello, 20, 30))));
  d.packet(4, ipv4(tcp(40001, 12345, 151, tcp_rst, {})));
  // Connection 2: a LEN of 3, after which nothing can be followed.
  d.packet(5, ipv4(tcp(40002, 12345, 500, tcp_psh, spop::test::hex("00 00 00 03 01 02 03"))));
  // Connection 3: the capture ends in the middle of a frame.
  d.packet(6, ipv4(tcp(40003, 12345, 900, tcp_psh, slice(hello, 0, 50))));
  d.finish();
  std::vector<const CaptureEvent*> problems;
  for (const CaptureEvent& e : c.events) {
    if (e.kind == Kind::problem) problems.push_back(&e);
  }
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0]->connection, 2u);
  EXPECT_EQ(problems[0]->offset, 0u);
  EXPECT_EQ(problems[0]->text,
            "frame length 3 is below the minimum of 7: the rest of this direction cannot be decoded");
  EXPECT_EQ(problems[1]->connection, 1u);
  EXPECT_EQ(problems[1]->offset, 10u);
  EXPECT_EQ(problems[1]->text, "10 bytes missing from the capture here; 30 bytes after them not decoded");
  EXPECT_EQ(problems[2]->connection, 3u);
  EXPECT_EQ(problems[2]->text, "the last 50 bytes do not make a whole frame");
}

TEST(Pcap, ClassicPcapFileWithLinuxCookedHeaders) {
  // What `tcpdump -i any -w` writes: pcap (not pcapng) with Linux cooked (SLL) headers.
  const std::string path = test::temp_path("any.pcap");
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(DLT_LINUX_SLL, 65535, PCAP_TSTAMP_PRECISION_MICRO);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  const auto frame = spop::test::read_file(spop::test::capture("haproxy-3.2/notify-sid1.bin"));
  std::vector<std::byte> packet = spop::test::hex("00 00 03 04 00 06 00 00 00 00 00 00 00 00 08 00");
  const auto ip = ipv4(tcp(41000, 12346, 1, tcp_psh | tcp_ack, frame));
  packet.insert(packet.end(), ip.begin(), ip.end());
  pcap_pkthdr h{};
  h.ts.tv_sec = 1700000000;
  h.ts.tv_usec = 250000;
  h.caplen = h.len = static_cast<bpf_u_int32>(packet.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper), &h, reinterpret_cast<const u_char*>(packet.data()));
  pcap_dump_close(dumper);
  pcap_close(dead);

  Capture c;
  ASSERT_EQ(read_capture(path, CaptureOptions{12346, 0}, c), "");
  const auto f = frames_of(c, 1);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->time_ns, 1700000000'250000000);
  EXPECT_EQ(f[0]->frame.messages.at(0).name, "check-client-ip");
}

TEST(TcpReassembler, DeliversEachByteOnceInOrder) {
  using spop::capture::TcpReassembler;
  TcpReassembler r;
  std::vector<std::byte> out;
  const auto b = spop::test::hex("00 01 02 03 04 05 06 07 08 09");
  r.on_syn(41);
  r.on_segment(46, slice(b, 4, 6), out);  // early
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(r.hole_size(), 4u);
  EXPECT_EQ(r.waiting_bytes(), 6u);
  r.on_segment(42, slice(b, 0, 2), out);
  EXPECT_EQ(out, slice(b, 0, 2));
  r.on_segment(42, slice(b, 0, 5), out);  // overlaps what was delivered and fills the hole
  EXPECT_EQ(out, b);
  EXPECT_EQ(r.offset(), 10u);
  EXPECT_EQ(r.waiting_bytes(), 0u);
  r.on_segment(45, slice(b, 3, 3), out);  // an old retransmission
  EXPECT_EQ(out, b);
}

}  // namespace
}  // namespace spop_cli
