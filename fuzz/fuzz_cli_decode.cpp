// Fuzz target: spop-cli's readers of untrusted input. The first byte picks the reader:
//  'X'  hex text (typed, pasted, xxd or hexdump -C) -> bytes;
//  'T'  TCP reassembly: segments cut from one stream, delivered in a fuzzed order, with retransmissions
//       and overlaps, some sequence numbers wrapping;
//  'P'  captured packets (link type, agent port, then packets; see packets()) through the capture decoder;
//  else the bytes as a SPOP stream through `decode` and its JSON form.
// Invariants: hex that parses prints back (spaced hex and xxd dump) to text that parses to the same bytes,
// and errors name a line and column; reassembly only ever delivers a prefix of the stream, all of it once
// every segment arrived; the capture decoder counts every packet and its events name known connections;
// a decoded stream re-encodes to the bytes it consumed (varints in their shortest form, when decode noted
// longer ones), and so does each frame after a trip through JSON text (`decode --json | encode --json -`).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "spop-cli/frame_decoder.hpp"
#include "spop-cli/frame_encoder.hpp"
#include "spop-cli/frame_json.hpp"
#include "spop-cli/hex_text.hpp"
#include "spop-cli/pcap_reader.hpp"
#include "capture/tcp_reassembly.hpp"

namespace {

using fuzz::require;
using namespace spop_cli;
using spop::capture::TcpReassembler;

std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

// Decode noted a varint whose bytes are not its value's own encoding: the frame re-encodes to other bytes.
bool has_long_varint(const FrameModel& f) {
  return std::any_of(f.notes.begin(), f.notes.end(),
                     [](const std::string& n) { return n.find("is not in its shortest varint form") != std::string::npos; });
}

void hex_text(std::string_view text) {
  std::vector<std::byte> bytes;
  std::string error;
  if (!parse_hex_text(text, bytes, error)) {
    require(error.starts_with("line ") && error.find(", column ") != std::string::npos, "hex error without a place");
    return;
  }
  for (const std::string& printed : {to_spaced_hex(bytes), hex_dump(bytes)}) {
    std::vector<std::byte> again;
    require(parse_hex_text(printed, again, error), "printed hex does not parse");
    require(again == bytes, "printed hex parses to other bytes");
  }
}

void reassembly(FuzzedDataProvider& in) {
  const std::vector<std::uint8_t> raw = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 600));
  const std::vector<std::byte> stream(reinterpret_cast<const std::byte*>(raw.data()),
                                      reinterpret_cast<const std::byte*>(raw.data()) + raw.size());
  // Near 2^32 half of the time, so that sequence numbers wrap inside the stream.
  const std::uint32_t isn = in.ConsumeBool() ? 0xFFFFFFFFu - in.ConsumeIntegralInRange<std::uint32_t>(0, 700)
                                             : in.ConsumeIntegral<std::uint32_t>();
  const bool syn = in.ConsumeBool();
  // Segments: [start, end) slices of the stream, then whatever order and repeats the input says.
  std::vector<std::pair<std::size_t, std::size_t>> segments;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t len = std::min(stream.size() - at, in.ConsumeIntegralInRange<std::size_t>(1, 200));
    segments.emplace_back(at, at + len);
    at += len;
  }
  const std::size_t extra = in.ConsumeIntegralInRange<std::size_t>(0, 6);
  for (std::size_t i = 0; i < extra && !stream.empty(); ++i) {  // overlapping retransmissions
    const std::size_t a = in.ConsumeIntegralInRange<std::size_t>(0, stream.size() - 1);
    const std::size_t b = in.ConsumeIntegralInRange<std::size_t>(a + 1, stream.size());
    segments.emplace_back(a, b);
  }
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    std::swap(segments[i], segments[in.ConsumeIntegralInRange<std::size_t>(i, segments.size() - 1)]);
  }
  // Without a SYN the first segment seen starts the stream: put the one at offset 0 first.
  if (!syn) {
    const auto first = std::find_if(segments.begin(), segments.end(), [](const auto& s) { return s.first == 0; });
    if (first != segments.end()) std::iter_swap(segments.begin(), first);
  }
  TcpReassembler r;
  if (syn) r.on_syn(isn - 1);
  std::vector<std::byte> delivered;
  for (const auto& [a, b] : segments) {
    const std::uint32_t seq = isn + static_cast<std::uint32_t>(a);
    r.on_segment(seq, std::span(stream).subspan(a, b - a), delivered);
    require(delivered.size() <= stream.size(), "reassembly delivered more than was sent");
    require(std::equal(delivered.begin(), delivered.end(), stream.begin()), "reassembly delivered other bytes");
    require(r.offset() == delivered.size(), "reassembly offset differs from what it delivered");
  }
  require(delivered.size() == stream.size(), "reassembly kept bytes back after every segment arrived");
  require(r.waiting_bytes() == 0 && r.hole_size() == 0, "reassembly still waits after every segment arrived");
}

// 'P' input: a link type index, flags (1: a 2-byte agent port follows, else 12345; 2: a 16384-byte frame
// limit; 4: every third packet was cut by the snap length), then packets, each a 2-byte length and bytes.
void packets(std::span<const std::byte> in) {
  static constexpr int link_types[] = {1 /*EN10MB*/, 113 /*LINUX_SLL*/, 276 /*LINUX_SLL2*/, 0 /*NULL*/,
                                       108 /*LOOP*/, 12 /*RAW*/, 228 /*IPV4*/, 229 /*IPV6*/};
  const auto u8 = [](std::byte b) { return std::to_integer<std::size_t>(b); };
  if (in.size() < 2) return;
  const int link = link_types[u8(in[0]) % std::size(link_types)];
  const std::size_t flags = u8(in[1]);
  in = in.subspan(2);
  if (!CaptureDecoder::supports(link)) return;
  CaptureOptions options;
  options.port = 12345;
  if ((flags & 1) != 0 && in.size() >= 2) {
    options.port = static_cast<std::uint16_t>(u8(in[0]) << 8 | u8(in[1]));
    in = in.subspan(2);
  }
  if ((flags & 2) != 0) options.max_frame_size = 16384;
  Capture capture;
  std::size_t fed = 0;
  {
    CaptureDecoder decoder(options, capture, link);
    while (in.size() >= 2) {
      const std::size_t len = std::min(u8(in[0]) << 8 | u8(in[1]), in.size() - 2);
      const auto packet = in.subspan(2, len);
      in = in.subspan(2 + len);
      const bool cut = (flags & 4) != 0 && fed % 3 == 2;
      decoder.packet(static_cast<std::int64_t>(fed) * 1000, packet, cut ? len + 1 : 0);
      ++fed;
    }
    decoder.finish();
  }
  require(capture.stats.packets == fed, "capture decoder lost count of packets");
  for (const CaptureEvent& e : capture.events) {
    require(e.connection >= 1 && e.connection <= capture.connections.size(), "event of an unknown connection");
    if (e.kind == CaptureEvent::Kind::frame) {
      std::vector<std::byte> bytes;
      encode_frame(e.frame, bytes);
      require(bytes.size() == std::size_t{e.frame.length} + 4 || has_long_varint(e.frame),
              "captured frame re-encodes to another length");
    }
  }
}

void stream(std::span<const std::byte> bytes, std::uint32_t max_frame_size) {
  const StreamDecode d = decode_stream(bytes, DecodeOptions{max_frame_size, 0});
  require(d.consumed <= bytes.size(), "decode consumed more than it got");
  std::vector<std::byte> again;
  bool long_varints = false;
  for (const FrameModel& f : d.frames) {
    encode_frame(f, again);
    long_varints |= has_long_varint(f);
  }
  const bool same = again.size() == d.consumed && std::equal(again.begin(), again.end(), bytes.begin());
  require(same || long_varints, "decoded frames do not re-encode to the bytes they came from");
  if (!same) {  // written in shortest form: that form must be stable
    std::vector<std::byte> third;
    for (const FrameModel& f : decode_stream(again).frames) encode_frame(f, third);
    require(third == again, "re-encoded frames do not decode and re-encode to themselves");
  }
  for (const FrameModel& f : d.frames) {
    const nlohmann::json j = nlohmann::json::parse(dump_json(frame_to_json(f, JsonOptions{"fz", true})));
    FrameModel back;
    const std::string error = frame_from_json(j, back);
    if (!error.empty()) std::fprintf(stderr, "frame_from_json: %s\n", error.c_str());
    require(error.empty(), "decode's JSON is not encode's input");
    std::vector<std::byte> one, via_json;
    encode_frame(f, one);
    encode_frame(back, via_json);
    require(one == via_json, "a frame changes through JSON");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  switch (data[0]) {
    case 'X':
      hex_text(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
      break;
    case 'T': {
      FuzzedDataProvider in(data + 1, size - 1);
      reassembly(in);
      break;
    }
    case 'P':
      packets(as_bytes(data + 1, size - 1));
      break;
    default:
      // Streams as captured start with a LEN's high byte, 0; a frame limit comes from the second byte.
      stream(as_bytes(data, size), data[0] == 0 ? 0 : std::uint32_t{data[0]} * 64);
      break;
  }
  return 0;
}
