#include "capture/pcap_file.hpp"

#include <pcap/pcap.h>

#include <array>

#include "capture/packet.hpp"

namespace spop::capture {

std::string read_pcap_file(const std::string& path, const std::function<void(int link_type)>& on_link,
                           const std::function<void(const CapturedPacket&)>& on_packet) {
  std::array<char, PCAP_ERRBUF_SIZE> err{};
  // Nanosecond precision works for both formats; pcapng keeps whatever resolution it was written with.
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err.data());
  if (p == nullptr) return path + ": " + err.data();
  const int link = pcap_datalink(p);
  if (!link_type_supported(link)) {
    const char* name = pcap_datalink_val_to_name(link);
    pcap_close(p);
    return path + ": link type " + std::to_string(link) + " (" + (name ? name : "unknown") +
           ") is not supported (Ethernet, Linux cooked, loopback and raw IP are)";
  }
  on_link(link);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &header, &data)) == 1) {
    CapturedPacket packet;
    packet.time_ns = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000'000 + header->ts.tv_usec;
    packet.data = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), header->caplen);
    packet.wire_length = header->len;
    on_packet(packet);
  }
  std::string result;
  if (rc == PCAP_ERROR) result = path + ": " + pcap_geterr(p);
  pcap_close(p);
  return result;
}

bool has_pcap_magic(std::span<const std::byte> data) noexcept {
  if (data.size() < 4) return false;
  const std::uint32_t be = std::to_integer<std::uint32_t>(data[0]) << 24 | std::to_integer<std::uint32_t>(data[1]) << 16 |
                           std::to_integer<std::uint32_t>(data[2]) << 8 | std::to_integer<std::uint32_t>(data[3]);
  switch (be) {
    case 0xa1b2c3d4:  // pcap, microseconds, big-endian writer
    case 0xd4c3b2a1:  // the same written little-endian
    case 0xa1b23c4d:  // pcap, nanoseconds
    case 0x4d3cb2a1:
    case 0x0a0d0d0a:  // pcapng section header block
      return true;
    default:
      return false;
  }
}

}  // namespace spop::capture
