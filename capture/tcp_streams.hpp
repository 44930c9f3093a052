// The TCP connections to one port in a capture, each direction put back in order: packets go in, and a
// sink gets each connection's opening, its bytes in order per direction, its FIN or RST, and at its end
// what could not be delivered (a hole the capture missed). spop-cli decode and spop-sim replay cut the
// bytes into SPOP frames each their own way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "capture/packet.hpp"
#include "capture/tcp_reassembly.hpp"

namespace spop::capture {

/// HAProxy is the TCP client, the agent (the port's owner) the server.
enum class Direction : std::uint8_t { to_agent, to_haproxy };
/// "haproxy->agent" / "agent->haproxy".
std::string_view to_string(Direction d) noexcept;

/// Bytes of one direction never delivered because the capture lacks some before them.
struct StreamGap {
  std::uint64_t offset = 0;  ///< stream offset where delivery stopped
  std::size_t missing = 0;   ///< bytes missing there
  std::size_t waiting = 0;   ///< bytes captured after the hole (not delivered)
  bool empty() const noexcept { return waiting == 0; }
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  /// A new connection (ids 1, 2, ... in order of the first packet); addresses as "127.0.0.1:47122".
  virtual void on_open(std::size_t connection, const std::string& haproxy, const std::string& agent,
                       std::int64_t time_ns) = 0;
  /// The next bytes of one direction, in order (retransmissions removed).
  virtual void on_data(std::size_t connection, Direction direction, std::span<const std::byte> bytes,
                       std::int64_t time_ns) = 0;
  /// The first FIN or RST of the connection, from the side `from` sends.
  virtual void on_close(std::size_t connection, Direction from, bool reset, std::int64_t time_ns) = 0;
  /// The connection is over (its ports were reused by a new one, or the capture ended).
  virtual void on_end(std::size_t connection, const StreamGap& to_agent, const StreamGap& to_haproxy,
                      std::int64_t time_ns) = 0;
};

struct PacketStats {
  std::size_t packets = 0;
  std::size_t segments = 0;      ///< TCP segments to or from the port
  std::size_t ip_fragments = 0;  ///< IP fragments (not reassembled: skipped)
  std::size_t other = 0;         ///< packets that are not TCP over IP (ARP, UDP, ...)
  std::size_t truncated = 0;     ///< packets cut by the capture's snap length (skipped)
};

class TcpStreams {
 public:
  TcpStreams(std::uint16_t port, int link_type, StreamSink& sink);

  /// One packet as captured; `wire_length` is its length on the wire (0: same as data.size()). A packet
  /// cut by the snap length is counted and skipped: its payload is not all there.
  void packet(std::int64_t time_ns, std::span<const std::byte> data, std::size_t wire_length = 0);
  /// Ends every connection still open (on_end for each).
  void finish();

  const PacketStats& stats() const noexcept { return stats_; }
  std::int64_t first_ns() const noexcept { return first_ns_; }
  std::size_t connections() const noexcept { return next_id_ - 1; }

 private:
  struct Conversation {
    std::size_t id = 0;
    TcpReassembler to_agent, to_haproxy;
    bool closed = false;
    bool has_data = false;
    TcpReassembler& side(Direction d) { return d == Direction::to_agent ? to_agent : to_haproxy; }
  };
  using Key = std::tuple<std::string, std::uint16_t, std::string, std::uint16_t>;  // haproxy, agent

  void segment(std::int64_t t, const TcpSegment& s);
  Conversation& conversation(const Key& key, std::int64_t t, bool syn_only);
  void end(Conversation& c, std::int64_t t);

  std::uint16_t port_;
  int link_type_;
  StreamSink& sink_;
  std::map<Key, Conversation> live_;
  std::vector<std::byte> scratch_;
  PacketStats stats_;
  std::int64_t first_ns_ = 0;
  std::int64_t last_ns_ = 0;
  std::size_t next_id_ = 1;
};

}  // namespace spop::capture
