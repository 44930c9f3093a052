// Parsing one captured packet down to its TCP segment: the link layers libpcap names (Ethernet with VLAN
// tags, Linux cooked v1/v2, BSD loopback, raw IP), IPv4 and IPv6 (with extension headers), and TCP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace spop::capture {

struct TcpSegment {
  std::string src_addr;  ///< textual, IPv6 in brackets
  std::string dst_addr;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint8_t flags = 0;  ///< tcp_flags
  std::span<const std::byte> payload;  ///< points into the packet
};

namespace tcp_flags {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flags

enum class PacketKind : std::uint8_t {
  tcp,       ///< a TCP segment over IPv4 or IPv6
  fragment,  ///< an IP fragment (not reassembled)
  other,     ///< not TCP over IP (ARP, UDP, ...), or too short to be
};

/// True if parse_packet() knows the libpcap link type (DLT_*).
bool link_type_supported(int link_type) noexcept;

/// Parses `packet` of the given link type; fills `out` for PacketKind::tcp.
PacketKind parse_packet(int link_type, std::span<const std::byte> packet, TcpSegment& out);

}  // namespace spop::capture
