#include "spop-cli/pcap_reader.hpp"

#include <map>

#include "capture/pcap_file.hpp"
#include "spop-cli/frame_stream.hpp"

namespace spop_cli {

// The frames of each connection, as the capture library delivers its bytes.
struct CaptureDecoder::State : spop::capture::StreamSink {
  struct Conversation {
    FrameStream to_agent, to_haproxy;
    explicit Conversation(std::uint32_t max) : to_agent(max), to_haproxy(max) {}
    FrameStream& side(Direction d) { return d == Direction::to_agent ? to_agent : to_haproxy; }
  };

  CaptureOptions options;
  Capture& out;
  spop::capture::TcpStreams streams;
  std::map<std::size_t, Conversation> live;
  std::vector<FrameModel> frames;

  State(const CaptureOptions& o, Capture& c, int link_type) : options(o), out(c), streams(o.port, link_type, *this) {}

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

  void on_open(std::size_t id, const std::string& haproxy, const std::string& agent, std::int64_t t) override {
    out.connections.push_back(CaptureConnection{id, haproxy, agent, t});
    live.emplace(id, Conversation(options.max_frame_size));
    event(CaptureEvent::Kind::opened, t, id, Direction::to_agent);
  }

  void on_data(std::size_t id, Direction d, std::span<const std::byte> bytes, std::int64_t t) override {
    FrameStream& side = live.at(id).side(d);
    const bool had_error = side.error().has_value();
    frames.clear();
    side.append(bytes, frames);
    for (FrameModel& f : frames) {
      CaptureEvent e;
      e.kind = CaptureEvent::Kind::frame;
      e.time_ns = t;
      e.connection = id;
      e.direction = d;
      e.frame = std::move(f);
      out.events.push_back(std::move(e));
    }
    if (!had_error && side.error()) {
      event(CaptureEvent::Kind::problem, t, id, d, side.error()->reason, side.error()->offset);
    }
  }

  void on_close(std::size_t id, Direction from, bool reset, std::int64_t t) override {
    const std::string who = from == Direction::to_agent ? "HAProxy" : "the agent";
    event(CaptureEvent::Kind::closed, t, id, from, (reset ? "RST from " : "FIN from ") + who);
  }

  // What could not be decoded is reported.
  void on_end(std::size_t id, const spop::capture::StreamGap& to_agent, const spop::capture::StreamGap& to_haproxy,
              std::int64_t t) override {
    Conversation& c = live.at(id);
    for (Direction d : {Direction::to_agent, Direction::to_haproxy}) {
      const FrameStream& side = c.side(d);
      const spop::capture::StreamGap& gap = d == Direction::to_agent ? to_agent : to_haproxy;
      if (side.error()) continue;
      if (!gap.empty()) {
        event(CaptureEvent::Kind::problem, t, id, d,
              std::to_string(gap.missing) + " bytes missing from the capture here; " + std::to_string(gap.waiting) +
                  " bytes after them not decoded",
              static_cast<std::size_t>(gap.offset));
      } else if (side.buffered() != 0) {
        event(CaptureEvent::Kind::problem, t, id, d,
              "the last " + std::to_string(side.buffered()) + " bytes do not make a whole frame", side.offset());
      }
    }
    live.erase(id);
  }
};

CaptureDecoder::CaptureDecoder(const CaptureOptions& options, Capture& out, int link_type)
    : state_(std::make_unique<State>(options, out, link_type)) {
  out.link_type = link_type;
}

CaptureDecoder::~CaptureDecoder() = default;

bool CaptureDecoder::supports(int link_type) noexcept { return spop::capture::link_type_supported(link_type); }

void CaptureDecoder::packet(std::int64_t time_ns, std::span<const std::byte> data, std::size_t wire_length) {
  state_->streams.packet(time_ns, data, wire_length);
  state_->out.stats = state_->streams.stats();
  state_->out.first_ns = state_->streams.first_ns();
}

void CaptureDecoder::finish() { state_->streams.finish(); }

std::string read_capture(const std::string& path, const CaptureOptions& options, Capture& out) {
  std::unique_ptr<CaptureDecoder> decoder;
  std::string result = spop::capture::read_pcap_file(
      path, [&](int link) { decoder = std::make_unique<CaptureDecoder>(options, out, link); },
      [&](const spop::capture::CapturedPacket& p) { decoder->packet(p.time_ns, p.data, p.wire_length); });
  if (decoder) decoder->finish();
  return result;
}

}  // namespace spop_cli
