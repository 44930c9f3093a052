#include "capture/packet.hpp"

#include <pcap/pcap.h>

#include <cstring>

#include "spop/value.hpp"

namespace spop::capture {

namespace {

// Big-endian reads from a packet whose length was checked by the caller.
std::uint16_t be16(std::span<const std::byte> p, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[at]) << 8) | std::to_integer<unsigned>(p[at + 1]));
}
std::uint32_t be32(std::span<const std::byte> p, std::size_t at) {
  return (std::uint32_t{be16(p, at)} << 16) | be16(p, at + 2);
}


constexpr std::uint8_t ip_proto_tcp = 6;

PacketKind parse_tcp(std::span<const std::byte> p, TcpSegment& s) {
  if (p.size() < 20) return PacketKind::other;
  const std::size_t header = (std::to_integer<std::size_t>(p[12]) >> 4) * 4;
  if (header < 20 || header > p.size()) return PacketKind::other;
  s.src_port = be16(p, 0);
  s.dst_port = be16(p, 2);
  s.seq = be32(p, 4);
  s.flags = std::to_integer<std::uint8_t>(p[13]);
  s.payload = p.subspan(header);
  return PacketKind::tcp;
}

PacketKind parse_ipv4(std::span<const std::byte> p, TcpSegment& s) {
  if (p.size() < 20) return PacketKind::other;
  const std::size_t ihl = (std::to_integer<std::size_t>(p[0]) & 0x0F) * 4;
  const std::size_t total = be16(p, 2);
  // Ethernet pads short frames: the IP total length says where the packet really ends.
  if (ihl < 20 || total < ihl || total > p.size()) return PacketKind::other;
  const std::uint16_t frag = be16(p, 6);
  if ((frag & 0x3FFF) != 0) return PacketKind::fragment;  // MF set or a non-zero fragment offset
  if (std::to_integer<std::uint8_t>(p[9]) != ip_proto_tcp) return PacketKind::other;
  spop::Ipv4Address a;
  std::memcpy(a.bytes.data(), p.data() + 12, 4);
  s.src_addr = spop::to_string(a);
  std::memcpy(a.bytes.data(), p.data() + 16, 4);
  s.dst_addr = spop::to_string(a);
  return parse_tcp(p.subspan(ihl, total - ihl), s);
}

PacketKind parse_ipv6(std::span<const std::byte> p, TcpSegment& s) {
  if (p.size() < 40) return PacketKind::other;
  const std::size_t payload_length = be16(p, 4);
  if (40 + payload_length > p.size()) return PacketKind::other;
  spop::Ipv6Address a;
  std::memcpy(a.bytes.data(), p.data() + 8, 16);
  s.src_addr = "[" + spop::to_string(a) + "]";
  std::memcpy(a.bytes.data(), p.data() + 24, 16);
  s.dst_addr = "[" + spop::to_string(a) + "]";
  auto next = std::to_integer<std::uint8_t>(p[6]);
  std::span<const std::byte> rest = p.subspan(40, payload_length);
  // Skip the extension headers that may come before TCP.
  while (next != ip_proto_tcp) {
    if (next == 44) return PacketKind::fragment;
    if (next != 0 && next != 43 && next != 60) return PacketKind::other;  // hop-by-hop, routing, dest options
    if (rest.size() < 8) return PacketKind::other;
    const std::size_t len = (std::to_integer<std::size_t>(rest[1]) + 1) * 8;
    if (len > rest.size()) return PacketKind::other;
    next = std::to_integer<std::uint8_t>(rest[0]);
    rest = rest.subspan(len);
  }
  return parse_tcp(rest, s);
}

// IP by its version nibble (for link types without an ethertype).
PacketKind parse_ip(std::span<const std::byte> p, TcpSegment& s) {
  if (p.empty()) return PacketKind::other;
  switch (std::to_integer<unsigned>(p[0]) >> 4) {
    case 4:
      return parse_ipv4(p, s);
    case 6:
      return parse_ipv6(p, s);
    default:
      return PacketKind::other;
  }
}

PacketKind parse_ethertype(std::uint16_t type, std::span<const std::byte> p, TcpSegment& s) {
  if (type == 0x0800) return parse_ipv4(p, s);
  if (type == 0x86DD) return parse_ipv6(p, s);
  return PacketKind::other;
}

// DLT_LINUX_SLL2 is missing from older headers; its value is fixed by the tcpdump.org registry.
constexpr int dlt_linux_sll2 = 276;

PacketKind parse_link(int link_type, std::span<const std::byte> p, TcpSegment& s) {
  switch (link_type) {
    case DLT_EN10MB: {
      if (p.size() < 14) return PacketKind::other;
      std::size_t at = 12;
      std::uint16_t type = be16(p, at);
      while ((type == 0x8100 || type == 0x88A8) && p.size() >= at + 6) {  // VLAN tags
        at += 4;
        type = be16(p, at);
      }
      return parse_ethertype(type, p.subspan(at + 2), s);
    }
    case DLT_LINUX_SLL:
      if (p.size() < 16) return PacketKind::other;
      return parse_ethertype(be16(p, 14), p.subspan(16), s);
    case dlt_linux_sll2:
      if (p.size() < 20) return PacketKind::other;
      return parse_ethertype(be16(p, 0), p.subspan(20), s);
    case DLT_NULL:
    case DLT_LOOP:
      if (p.size() < 4) return PacketKind::other;
      return parse_ip(p.subspan(4), s);
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      return parse_ip(p, s);
    default:
      return PacketKind::other;
  }
}

}  // namespace

bool link_type_supported(int link_type) noexcept {
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

PacketKind parse_packet(int link_type, std::span<const std::byte> packet, TcpSegment& out) {
  return parse_link(link_type, packet, out);
}

}  // namespace spop::capture
