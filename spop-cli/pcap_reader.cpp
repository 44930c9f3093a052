#include "spop-cli/pcap_reader.hpp"

#include <pcap/pcap.h>

#include <array>
#include <cstring>
#include <map>
#include <tuple>

#include "spop-cli/frame_stream.hpp"
#include "spop-cli/tcp_reassembly.hpp"
#include "spop/value.hpp"

namespace spop_cli {

std::string_view to_string(Direction d) noexcept {
  return d == Direction::to_agent ? "haproxy->agent" : "agent->haproxy";
}

namespace {

// ---- packet parsing ------------------------------------------------------------------------

// Big-endian reads from a packet whose length was checked by the caller.
std::uint16_t be16(std::span<const std::byte> p, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[at]) << 8) | std::to_integer<unsigned>(p[at + 1]));
}
std::uint32_t be32(std::span<const std::byte> p, std::size_t at) {
  return (std::uint32_t{be16(p, at)} << 16) | be16(p, at + 2);
}

struct TcpSegment {
  std::string src_addr;  // textual, IPv6 in brackets
  std::string dst_addr;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint8_t flags = 0;
  std::span<const std::byte> payload;
};

constexpr std::uint8_t tcp_fin = 0x01;
constexpr std::uint8_t tcp_syn = 0x02;
constexpr std::uint8_t tcp_rst = 0x04;
constexpr std::uint8_t tcp_ack = 0x10;
constexpr std::uint8_t ip_proto_tcp = 6;

enum class ParseResult { tcp, fragment, other };

ParseResult parse_tcp(std::span<const std::byte> p, TcpSegment& s) {
  if (p.size() < 20) return ParseResult::other;
  const std::size_t header = (std::to_integer<std::size_t>(p[12]) >> 4) * 4;
  if (header < 20 || header > p.size()) return ParseResult::other;
  s.src_port = be16(p, 0);
  s.dst_port = be16(p, 2);
  s.seq = be32(p, 4);
  s.flags = std::to_integer<std::uint8_t>(p[13]);
  s.payload = p.subspan(header);
  return ParseResult::tcp;
}

ParseResult parse_ipv4(std::span<const std::byte> p, TcpSegment& s) {
  if (p.size() < 20) return ParseResult::other;
  const std::size_t ihl = (std::to_integer<std::size_t>(p[0]) & 0x0F) * 4;
  const std::size_t total = be16(p, 2);
  // Ethernet pads short frames: the IP total length says where the packet really ends.
  if (ihl < 20 || total < ihl || total > p.size()) return ParseResult::other;
  const std::uint16_t frag = be16(p, 6);
  if ((frag & 0x3FFF) != 0) return ParseResult::fragment;  // MF set or a non-zero fragment offset
  if (std::to_integer<std::uint8_t>(p[9]) != ip_proto_tcp) return ParseResult::other;
  spop::Ipv4Address a;
  std::memcpy(a.bytes.data(), p.data() + 12, 4);
  s.src_addr = spop::to_string(a);
  std::memcpy(a.bytes.data(), p.data() + 16, 4);
  s.dst_addr = spop::to_string(a);
  return parse_tcp(p.subspan(ihl, total - ihl), s);
}

ParseResult parse_ipv6(std::span<const std::byte> p, TcpSegment& s) {
  if (p.size() < 40) return ParseResult::other;
  const std::size_t payload_length = be16(p, 4);
  if (40 + payload_length > p.size()) return ParseResult::other;
  spop::Ipv6Address a;
  std::memcpy(a.bytes.data(), p.data() + 8, 16);
  s.src_addr = "[" + spop::to_string(a) + "]";
  std::memcpy(a.bytes.data(), p.data() + 24, 16);
  s.dst_addr = "[" + spop::to_string(a) + "]";
  auto next = std::to_integer<std::uint8_t>(p[6]);
  std::span<const std::byte> rest = p.subspan(40, payload_length);
  // Skip the extension headers that may come before TCP.
  while (next != ip_proto_tcp) {
    if (next == 44) return ParseResult::fragment;
    if (next != 0 && next != 43 && next != 60) return ParseResult::other;  // hop-by-hop, routing, dest options
    if (rest.size() < 8) return ParseResult::other;
    const std::size_t len = (std::to_integer<std::size_t>(rest[1]) + 1) * 8;
    if (len > rest.size()) return ParseResult::other;
    next = std::to_integer<std::uint8_t>(rest[0]);
    rest = rest.subspan(len);
  }
  return parse_tcp(rest, s);
}

// IP by its version nibble (for link types without an ethertype).
ParseResult parse_ip(std::span<const std::byte> p, TcpSegment& s) {
  if (p.empty()) return ParseResult::other;
  switch (std::to_integer<unsigned>(p[0]) >> 4) {
    case 4:
      return parse_ipv4(p, s);
    case 6:
      return parse_ipv6(p, s);
    default:
      return ParseResult::other;
  }
}

ParseResult parse_ethertype(std::uint16_t type, std::span<const std::byte> p, TcpSegment& s) {
  if (type == 0x0800) return parse_ipv4(p, s);
  if (type == 0x86DD) return parse_ipv6(p, s);
  return ParseResult::other;
}

// DLT_LINUX_SLL2 is missing from older headers; its value is fixed by the tcpdump.org registry.
constexpr int dlt_linux_sll2 = 276;

ParseResult parse_link(int link_type, std::span<const std::byte> p, TcpSegment& s) {
  switch (link_type) {
    case DLT_EN10MB: {
      if (p.size() < 14) return ParseResult::other;
      std::size_t at = 12;
      std::uint16_t type = be16(p, at);
      while ((type == 0x8100 || type == 0x88A8) && p.size() >= at + 6) {  // VLAN tags
        at += 4;
        type = be16(p, at);
      }
      return parse_ethertype(type, p.subspan(at + 2), s);
    }
    case DLT_LINUX_SLL:
      if (p.size() < 16) return ParseResult::other;
      return parse_ethertype(be16(p, 14), p.subspan(16), s);
    case dlt_linux_sll2:
      if (p.size() < 20) return ParseResult::other;
      return parse_ethertype(be16(p, 0), p.subspan(20), s);
    case DLT_NULL:
    case DLT_LOOP:
      if (p.size() < 4) return ParseResult::other;
      return parse_ip(p.subspan(4), s);
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      return parse_ip(p, s);
    default:
      return ParseResult::other;
  }
}

}  // namespace

// ---- conversations -------------------------------------------------------------------------

struct CaptureDecoder::State {
  struct Side {
    TcpReassembler tcp;
    FrameStream frames;
    std::vector<std::byte> scratch;
    explicit Side(std::uint32_t max) : frames(max) {}
  };
  struct Conversation {
    std::size_t id;
    Side to_agent;
    Side to_haproxy;
    bool closed = false;
    bool has_data = false;
    Conversation(std::size_t i, std::uint32_t max) : id(i), to_agent(max), to_haproxy(max) {}
    Side& side(Direction d) { return d == Direction::to_agent ? to_agent : to_haproxy; }
  };
  using Key = std::tuple<std::string, std::uint16_t, std::string, std::uint16_t>;  // haproxy, agent

  CaptureOptions options;
  Capture& out;
  int link_type;
  std::map<Key, Conversation> live;
  std::vector<FrameModel> frames;

  State(const CaptureOptions& o, Capture& c, int lt) : options(o), out(c), link_type(lt) {}

  void event(CaptureEvent::Kind kind, std::int64_t t, std::size_t conn, Direction d, std::string text = {},
             std::size_t offset = 0) {
    CaptureEvent e;
    e.kind = kind;
    e.time_ns = t;
    e.connection = conn;
    e.direction = d;
    e.text = std::move(text);
    e.offset = offset;
    out.events.push_back(std::move(e));
  }

  Conversation& conversation(const Key& key, std::int64_t t, bool syn_only) {
    auto it = live.find(key);
    // A new SYN on a finished connection's ports is a new connection (the client port was reused).
    if (it != live.end() && syn_only && (it->second.closed || it->second.has_data)) {
      finish(it->second, t);
      live.erase(it);
      it = live.end();
    }
    if (it == live.end()) {
      const std::size_t id = out.connections.size() + 1;
      out.connections.push_back(CaptureConnection{id, std::get<0>(key) + ":" + std::to_string(std::get<1>(key)),
                                                  std::get<2>(key) + ":" + std::to_string(std::get<3>(key)), t});
      it = live.emplace(key, Conversation(id, options.max_frame_size)).first;
      event(CaptureEvent::Kind::opened, t, id, Direction::to_agent);
    }
    return it->second;
  }

  void segment(std::int64_t t, const TcpSegment& s) {
    const bool to_agent = s.dst_port == options.port;
    if (!to_agent && s.src_port != options.port) return;
    ++out.stats.segments;
    const Direction d = to_agent ? Direction::to_agent : Direction::to_haproxy;
    const Key key = to_agent ? Key{s.src_addr, s.src_port, s.dst_addr, s.dst_port}
                             : Key{s.dst_addr, s.dst_port, s.src_addr, s.src_port};
    const bool syn_only = (s.flags & tcp_syn) && !(s.flags & tcp_ack);
    Conversation& c = conversation(key, t, syn_only);
    Side& side = c.side(d);
    if (s.flags & tcp_syn) side.tcp.on_syn(s.seq);
    if (!s.payload.empty()) {
      c.has_data = true;
      side.scratch.clear();
      side.tcp.on_segment(s.seq, s.payload, side.scratch);
      deliver(c, d, t);
    }
    if ((s.flags & (tcp_fin | tcp_rst)) && !c.closed) {
      c.closed = true;
      const std::string who = d == Direction::to_agent ? "HAProxy" : "the agent";
      event(CaptureEvent::Kind::closed, t, c.id, d, (s.flags & tcp_rst ? "RST from " : "FIN from ") + who);
    }
  }

  void deliver(Conversation& c, Direction d, std::int64_t t) {
    Side& side = c.side(d);
    if (side.scratch.empty()) return;
    const bool had_error = side.frames.error().has_value();
    frames.clear();
    side.frames.append(side.scratch, frames);
    for (FrameModel& f : frames) {
      CaptureEvent e;
      e.kind = CaptureEvent::Kind::frame;
      e.time_ns = t;
      e.connection = c.id;
      e.direction = d;
      e.frame = std::move(f);
      out.events.push_back(std::move(e));
    }
    if (!had_error && side.frames.error()) {
      event(CaptureEvent::Kind::problem, t, c.id, d, side.frames.error()->reason, side.frames.error()->offset);
    }
  }

  // The end of a connection (or of the capture): what could not be decoded is reported.
  void finish(Conversation& c, std::int64_t t) {
    for (Direction d : {Direction::to_agent, Direction::to_haproxy}) {
      Side& side = c.side(d);
      if (side.frames.error()) continue;
      if (side.tcp.waiting_bytes() != 0) {
        event(CaptureEvent::Kind::problem, t, c.id, d,
              std::to_string(side.tcp.hole_size()) + " bytes missing from the capture here; " +
                  std::to_string(side.tcp.waiting_bytes()) + " bytes after them not decoded",
              static_cast<std::size_t>(side.tcp.offset()));
      } else if (side.frames.buffered() != 0) {
        event(CaptureEvent::Kind::problem, t, c.id, d,
              "the last " + std::to_string(side.frames.buffered()) + " bytes do not make a whole frame",
              side.frames.offset());
      }
    }
  }
};

CaptureDecoder::CaptureDecoder(const CaptureOptions& options, Capture& out, int link_type)
    : state_(std::make_unique<State>(options, out, link_type)) {
  out.link_type = link_type;
}

CaptureDecoder::~CaptureDecoder() = default;

bool CaptureDecoder::supports(int link_type) noexcept {
  switch (link_type) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case dlt_linux_sll2:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      return true;
    default:
      return false;
  }
}

void CaptureDecoder::packet(std::int64_t time_ns, std::span<const std::byte> data, std::size_t wire_length) {
  Capture& out = state_->out;
  if (out.stats.packets++ == 0) out.first_ns = time_ns;
  if (wire_length > data.size()) {
    ++out.stats.truncated;
    return;
  }
  TcpSegment s;
  switch (parse_link(state_->link_type, data, s)) {
    case ParseResult::tcp:
      state_->segment(time_ns, s);
      break;
    case ParseResult::fragment:
      ++out.stats.ip_fragments;
      break;
    case ParseResult::other:
      ++out.stats.other;
      break;
  }
}

void CaptureDecoder::finish() {
  const std::int64_t end = state_->out.events.empty() ? state_->out.first_ns : state_->out.events.back().time_ns;
  for (auto& [key, c] : state_->live) state_->finish(c, end);
  state_->live.clear();
}

std::string read_capture(const std::string& path, const CaptureOptions& options, Capture& out) {
  std::array<char, PCAP_ERRBUF_SIZE> err{};
  // Nanosecond precision works for both formats; pcapng keeps whatever resolution it was written with.
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err.data());
  if (p == nullptr) return path + ": " + err.data();
  const int link = pcap_datalink(p);
  if (!CaptureDecoder::supports(link)) {
    const char* name = pcap_datalink_val_to_name(link);
    pcap_close(p);
    return path + ": link type " + std::to_string(link) + " (" + (name ? name : "unknown") +
           ") is not supported (Ethernet, Linux cooked, loopback and raw IP are)";
  }
  CaptureDecoder decoder(options, out, link);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &header, &data)) == 1) {
    const std::int64_t t = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000'000 + header->ts.tv_usec;
    decoder.packet(t, std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), header->caplen),
                   header->len);
  }
  std::string result;
  if (rc == PCAP_ERROR) result = path + ": " + pcap_geterr(p);
  decoder.finish();
  pcap_close(p);
  return result;
}

}  // namespace spop_cli
