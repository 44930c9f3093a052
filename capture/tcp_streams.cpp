#include "capture/tcp_streams.hpp"

namespace spop::capture {

std::string_view to_string(Direction d) noexcept {
  return d == Direction::to_agent ? "haproxy->agent" : "agent->haproxy";
}

TcpStreams::TcpStreams(std::uint16_t port, int link_type, StreamSink& sink)
    : port_(port), link_type_(link_type), sink_(sink) {}

void TcpStreams::packet(std::int64_t time_ns, std::span<const std::byte> data, std::size_t wire_length) {
  if (stats_.packets++ == 0) first_ns_ = time_ns;
  last_ns_ = time_ns;
  if (wire_length > data.size()) {
    ++stats_.truncated;
    return;
  }
  TcpSegment s;
  switch (parse_packet(link_type_, data, s)) {
    case PacketKind::tcp:
      segment(time_ns, s);
      break;
    case PacketKind::fragment:
      ++stats_.ip_fragments;
      break;
    case PacketKind::other:
      ++stats_.other;
      break;
  }
}

TcpStreams::Conversation& TcpStreams::conversation(const Key& key, std::int64_t t, bool syn_only) {
  auto it = live_.find(key);
  // A new SYN on a finished connection's ports is a new connection (the client port was reused).
  if (it != live_.end() && syn_only && (it->second.closed || it->second.has_data)) {
    end(it->second, t);
    live_.erase(it);
    it = live_.end();
  }
  if (it == live_.end()) {
    Conversation c;
    c.id = next_id_++;
    it = live_.emplace(key, std::move(c)).first;
    sink_.on_open(it->second.id, std::get<0>(key) + ":" + std::to_string(std::get<1>(key)),
                  std::get<2>(key) + ":" + std::to_string(std::get<3>(key)), t);
  }
  return it->second;
}

void TcpStreams::segment(std::int64_t t, const TcpSegment& s) {
  const bool to_agent = s.dst_port == port_;
  if (!to_agent && s.src_port != port_) return;
  ++stats_.segments;
  const Direction d = to_agent ? Direction::to_agent : Direction::to_haproxy;
  const Key key = to_agent ? Key{s.src_addr, s.src_port, s.dst_addr, s.dst_port}
                           : Key{s.dst_addr, s.dst_port, s.src_addr, s.src_port};
  const bool syn_only = (s.flags & tcp_flags::syn) && !(s.flags & tcp_flags::ack);
  Conversation& c = conversation(key, t, syn_only);
  TcpReassembler& side = c.side(d);
  if (s.flags & tcp_flags::syn) side.on_syn(s.seq);
  if (!s.payload.empty()) {
    c.has_data = true;
    scratch_.clear();
    side.on_segment(s.seq, s.payload, scratch_);
    if (!scratch_.empty()) sink_.on_data(c.id, d, scratch_, t);
  }
  if ((s.flags & (tcp_flags::fin | tcp_flags::rst)) && !c.closed) {
    c.closed = true;
    sink_.on_close(c.id, d, (s.flags & tcp_flags::rst) != 0, t);
  }
}

void TcpStreams::end(Conversation& c, std::int64_t t) {
  auto gap = [](const TcpReassembler& r) {
    return StreamGap{r.offset(), r.hole_size(), r.waiting_bytes()};
  };
  sink_.on_end(c.id, gap(c.to_agent), gap(c.to_haproxy), t);
}

void TcpStreams::finish() {
  for (auto& [key, c] : live_) end(c, last_ns_);
  live_.clear();
}

}  // namespace spop::capture
