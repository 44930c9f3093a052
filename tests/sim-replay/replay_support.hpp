// Helpers for the tests of spop-sim replay: the NOTIFY they replay, pcap files written by hand (one TCP
// connection per file, raw IPv4 packets), and running the spop-sim binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace spop::sim::replay::test {

/// NOTIFY frame (LEN included) of message "check" with ip = IPv4 10.0.0.<n % 256> and n = INT64 n.
std::vector<std::byte> check_notify(std::uint64_t sid, std::int64_t n);

/// One exchange as it went over the wire.
struct Exchanged {
  std::vector<std::byte> notify;  ///< whole frame
  std::vector<std::byte> ack;     ///< whole frame, or empty: no answer
  std::int64_t notify_ns = 0;
  std::int64_t ack_ns = 0;
};

/// A recording of the exchanges (connection 1), written to `path`.
std::filesystem::path write_recording(const std::filesystem::path& path, const std::vector<Exchanged>& exchanges);

struct PcapShape {
  std::uint16_t agent_port = 12345;
  std::size_t cut_tail = 0;  ///< leave out this many bytes of the last frame (a capture that ends mid-frame)
};

/// A pcap file (LINKTYPE_RAW, IPv4) of one TCP connection from 127.0.0.1:40000 to the agent's port: the
/// handshake, the captured HAProxy 2.6 HELLO and agent HELLO, then each NOTIFY and its ACK at their times.
std::filesystem::path write_pcap(const std::filesystem::path& path, const std::vector<Exchanged>& exchanges,
                                 const PcapShape& shape = {});

/// The same packet writer for arbitrary payloads: one (time, from HAProxy?, bytes) per segment.
struct Segment {
  std::int64_t time_ns = 0;
  bool from_haproxy = true;
  std::vector<std::byte> bytes;
};
std::filesystem::path write_pcap_segments(const std::filesystem::path& path, std::uint16_t agent_port,
                                          const std::vector<Segment>& segments);

/// `spop-sim replay <args>`: exit status (-1 when killed), stdout and stderr.
struct Exec {
  int status = -1;
  std::string out;
  std::string err;
};
Exec run_replay(const std::vector<std::string>& args);

}  // namespace spop::sim::replay::test
