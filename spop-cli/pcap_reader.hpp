// Reading SPOP conversations out of a pcap or pcapng capture (tcpdump -w, Wireshark): the capture
// library (capture/) parses the packets and puts each connection to the agent's port back in order;
// here both directions are cut into decoded frames (FrameStream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capture/tcp_streams.hpp"
#include "spop-cli/frame_model.hpp"

namespace spop_cli {

using spop::capture::Direction;
using spop::capture::to_string;

/// One TCP connection to the agent's port. HAProxy is the client, the agent the server.
struct CaptureConnection {
  std::size_t id = 0;   ///< 1, 2, ... in order of the first packet
  std::string haproxy;  ///< "127.0.0.1:47122", "[::1]:47122"
  std::string agent;
  std::int64_t first_ns = 0;
};

/// What the capture shows, in packet order.
struct CaptureEvent {
  enum class Kind : std::uint8_t {
    opened,   ///< first packet of a connection
    frame,    ///< a whole SPOP frame
    closed,   ///< FIN or RST (text says which, and from which side)
    problem,  ///< data that cannot be decoded: a gap in the capture, a bad length, a frame cut short
  };
  Kind kind = Kind::frame;
  std::int64_t time_ns = 0;  ///< packet time, nanoseconds since the epoch
  std::size_t connection = 0;
  Direction direction = Direction::to_agent;
  FrameModel frame;        ///< Kind::frame; its offsets count from the start of this direction's stream
  std::size_t offset = 0;  ///< Kind::problem: stream offset of the problem
  std::string text;        ///< Kind::closed / Kind::problem
};

using CaptureStats = spop::capture::PacketStats;

struct Capture {
  std::vector<CaptureConnection> connections;
  std::vector<CaptureEvent> events;
  CaptureStats stats;
  std::int64_t first_ns = 0;  ///< time of the first packet
  int link_type = 0;
};

struct CaptureOptions {
  std::uint16_t port = 0;            ///< the agent's TCP port
  std::uint32_t max_frame_size = 0;  ///< 0 = no limit
};

/// Reads the whole capture. Returns "" on success, otherwise why it cannot be read (libpcap's message for
/// a missing or corrupt file, an unsupported link type). Problems inside the conversations are events.
std::string read_capture(const std::string& path, const CaptureOptions& options, Capture& out);

/// Parses one packet of the given libpcap link type (DLT_*) and feeds it to the decoder state in
/// `capture`; exposed for tests that build packets by hand.
class CaptureDecoder {
 public:
  CaptureDecoder(const CaptureOptions& options, Capture& out, int link_type);
  ~CaptureDecoder();
  CaptureDecoder(const CaptureDecoder&) = delete;
  CaptureDecoder& operator=(const CaptureDecoder&) = delete;

  /// True if the link type is supported.
  static bool supports(int link_type) noexcept;
  /// One packet as captured; `wire_length` is its length on the wire (0: same as data.size()). A
  /// packet cut by the snap length is counted and skipped: its payload is not all there.
  void packet(std::int64_t time_ns, std::span<const std::byte> data, std::size_t wire_length = 0);
  /// Reports what is left undecoded at the end of the capture (frames cut short, holes).
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spop_cli
