// Reading the packets of a pcap or pcapng file (tcpdump -w, Wireshark) with libpcap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace spop::capture {

struct CapturedPacket {
  std::int64_t time_ns = 0;             ///< nanoseconds since the epoch
  std::span<const std::byte> data;      ///< as captured (valid during the callback)
  std::size_t wire_length = 0;          ///< its length on the wire (larger when the snap length cut it)
};

/// Opens `path`, says its link type through `on_link` (before any packet), then gives every packet to
/// `on_packet` in file order. Returns "" or why the file cannot be read: libpcap's message for a
/// missing or corrupt file, or a link type parse_packet() does not know ("link type 105 (IEEE802_11)
/// is not supported ..."). An error after some packets is returned after they were given.
std::string read_pcap_file(const std::string& path, const std::function<void(int link_type)>& on_link,
                           const std::function<void(const CapturedPacket&)>& on_packet);

/// True when `data` starts like a pcap (either byte order, micro or nanosecond) or pcapng file.
bool has_pcap_magic(std::span<const std::byte> data) noexcept;

}  // namespace spop::capture
