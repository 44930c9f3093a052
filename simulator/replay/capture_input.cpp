// Exchanges from a pcap/pcapng capture: the capture library (capture/) gives each connection's bytes in
// order per direction; here they are cut into frames, and each NOTIFY is paired with the ACK that has
// its stream and frame ids on the same connection.
#include <map>
#include <memory>
#include <utility>

#include "capture/pcap_file.hpp"
#include "capture/tcp_streams.hpp"
#include "simulator/replay/replay_input.hpp"
#include "spop/frame.hpp"

namespace spop::sim::replay::detail {

namespace {

using spop::capture::Direction;

class CaptureExchanges : public spop::capture::StreamSink {
 public:
  CaptureExchanges(ReplayInput& in, std::uint32_t file) : in_(in), file_(file) {}

  void on_open(std::size_t id, const std::string&, const std::string&, std::int64_t) override { live_[id]; }

  void on_data(std::size_t id, Direction d, std::span<const std::byte> bytes, std::int64_t t) override {
    Conversation& c = live_.at(id);
    Side& side = d == Direction::to_agent ? c.to_agent : c.to_haproxy;
    if (side.broken) return;
    side.buffer.insert(side.buffer.end(), bytes.begin(), bytes.end());
    std::size_t pos = 0;
    while (true) {
      const auto rest = std::span<const std::byte>(side.buffer).subspan(pos);
      std::uint32_t len = 0;
      if (spop::peek_frame_length(rest, len) != spop::Errc::ok) break;
      if (len < spop::min_frame_length || len > 0xFFFFFF) {
        side.broken = true;
        error(id, d, side.offset + pos,
              "frame length " + std::to_string(len) + (len < spop::min_frame_length ? " is below the minimum of 7" : " is above 16 MB") +
                  ": the rest of this direction cannot be read");
        break;
      }
      if (rest.size() - spop::frame_length_prefix < len) break;
      frame(id, c, d, rest.first(spop::frame_length_prefix + len), side.offset + pos, t);
      pos += spop::frame_length_prefix + len;
    }
    side.buffer.erase(side.buffer.begin(), side.buffer.begin() + static_cast<std::ptrdiff_t>(pos));
    side.offset += pos;
  }

  void on_close(std::size_t, Direction, bool, std::int64_t) override {}

  void on_end(std::size_t id, const spop::capture::StreamGap& to_agent, const spop::capture::StreamGap& to_haproxy,
              std::int64_t) override {
    Conversation& c = live_.at(id);
    for (Direction d : {Direction::to_agent, Direction::to_haproxy}) {
      const Side& side = d == Direction::to_agent ? c.to_agent : c.to_haproxy;
      const auto& gap = d == Direction::to_agent ? to_agent : to_haproxy;
      if (side.broken) continue;
      if (!gap.empty()) {
        error(id, d, gap.offset,
              std::to_string(gap.missing) + " bytes missing from the capture here; " + std::to_string(gap.waiting) +
                  " bytes after them not read");
      } else if (!side.buffer.empty()) {
        error(id, d, side.offset, "the last " + std::to_string(side.buffer.size()) + " bytes do not make a whole frame");
      }
    }
    // NOTIFYs the capture shows no ACK for are replayed all the same (their outcome is not compared).
    for (auto& [ids, p] : c.waiting) add(p, {});
    live_.erase(id);
  }

  std::size_t notifies() const noexcept { return notifies_; }

 private:
  struct Side {
    std::vector<std::byte> buffer;
    std::uint64_t offset = 0;  // stream offset of buffer[0]
    bool broken = false;
  };
  struct Waiting {
    Exchange exchange;
    std::vector<std::byte> frame;
  };
  struct Conversation {
    Side to_agent, to_haproxy;
    std::map<std::pair<std::uint64_t, std::uint64_t>, Waiting> waiting;  // NOTIFYs by (sid, fid)
  };

  void frame(std::size_t id, Conversation& c, Direction d, std::span<const std::byte> bytes, std::uint64_t offset,
             std::int64_t t) {
    spop::Frame f;
    if (spop::decode_frame(bytes.subspan(spop::frame_length_prefix), f) != spop::Errc::ok) return;
    const std::pair key{f.header.stream_id, f.header.frame_id};
    if (d == Direction::to_agent && f.header.type == spop::FrameType::notify) {
      Exchange e;
      e.notify_ns = t;
      e.file = file_;
      e.connection = id;
      e.offset = offset;
      e.number = ++notifies_;
      // A NOTIFY reusing the ids of one still waiting (2.6 after a processing timeout): the older one
      // will not be answered any more.
      if (auto it = c.waiting.find(key); it != c.waiting.end()) {
        add(it->second, {});
        c.waiting.erase(it);
      }
      c.waiting.emplace(key, Waiting{e, std::vector<std::byte>(bytes.begin(), bytes.end())});
    } else if (d == Direction::to_haproxy && f.header.type == spop::FrameType::ack) {
      const auto it = c.waiting.find(key);
      if (it == c.waiting.end()) return;  // late or unmatched: HAProxy ignored it too
      it->second.exchange.latency_ns = t - it->second.exchange.notify_ns;
      add(it->second, bytes);
      c.waiting.erase(it);
    }
  }

  void add(Waiting& w, std::span<const std::byte> ack) {
    std::string reason;
    if (!add_exchange(in_, w.exchange, w.frame, ack, reason)) {
      in_.files[file_].notes.push_back(in_.where(w.exchange) + " skipped: " + reason);
    }
  }

  void error(std::size_t id, Direction d, std::uint64_t offset, const std::string& reason) {
    in_.files[file_].errors.push_back(in_.files[file_].path + ": connection #" + std::to_string(id) + " " +
                                      std::string(spop::capture::to_string(d)) + ", byte " + std::to_string(offset) +
                                      ": " + reason);
  }

  ReplayInput& in_;
  std::uint32_t file_;
  std::map<std::size_t, Conversation> live_;
  std::size_t notifies_ = 0;
};

}  // namespace

void load_capture(ReplayInput& in, std::uint32_t file, const InputOptions& options) {
  CaptureExchanges sink(in, file);
  std::unique_ptr<spop::capture::TcpStreams> streams;
  const std::string& path = in.files[file].path;
  std::string error = spop::capture::read_pcap_file(
      path, [&](int link) { streams = std::make_unique<spop::capture::TcpStreams>(options.capture_port, link, sink); },
      [&](const spop::capture::CapturedPacket& p) { streams->packet(p.time_ns, p.data, p.wire_length); });
  if (streams) streams->finish();
  if (!error.empty()) in.files[file].errors.push_back(error);
  if (streams && sink.notifies() == 0 && error.empty()) {
    in.files[file].errors.push_back(path + ": no SPOP NOTIFY on port " + std::to_string(options.capture_port) + " (" +
                                    std::to_string(streams->connections()) + " TCP connection(s) to it, " +
                                    std::to_string(streams->stats().packets) + " packets in the capture)");
  }
}

}  // namespace spop::sim::replay::detail
