// spop-cli decode: frames from hex (arguments, a file or stdin; xxd and hexdump -C dumps too), from raw
// bytes, or from a pcap/pcapng capture, printed as a tree or JSON. Every problem names its byte.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

#include "spop-cli/commands.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/frame_decoder.hpp"
#include "spop-cli/frame_json.hpp"
#include "spop-cli/frame_printer.hpp"
#include "spop-cli/hex_text.hpp"
#include "spop-cli/pcap_reader.hpp"
#include "spop-cli/recording_output.hpp"
#include "spop-cli/time_text.hpp"
#include "recording/reader.hpp"

namespace spop_cli {

namespace {

constexpr std::string_view decode_examples =
    "  spop-cli decode 00 00 00 15 67 00 00 00 01 01 01 01 03 02 08 69 70 5f 73 63 6f 72 65 02 2a\n"
    "  xxd frame.bin | spop-cli decode               # xxd and hexdump -C dumps are read as hex\n"
    "  spop-cli decode -f frame.bin --json            # raw bytes (or hex text) from a file\n"
    "  spop-cli decode --var-prefix iprep -f ack.hex  # name variables as HAProxy does\n"
    "  spop-cli decode --pcap capture.pcapng --port 12345\n"
    "  spop-cli decode --recording traffic.rec        # a recording of spoa --record (also found by -f)";

struct Input {
  std::vector<std::byte> bytes;
  std::string origin;  // "arguments", "stdin", a file name
};

std::vector<std::byte> to_bytes(const std::string& s) {
  std::vector<std::byte> b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[i] = static_cast<std::byte>(s[i]);
  return b;
}

// Reads the input and turns hex text into bytes. Returns "" or a reason for the user.
std::string read_input(const CommandArgs& a, const std::vector<std::string>& hex_args, const std::string& file,
                       const std::string& format, Input& in) {
  std::string text;
  bool from_args = false;
  if (!hex_args.empty()) {
    for (const std::string& h : hex_args) text += h + " ";
    in.origin = "the arguments";
    from_args = true;
  } else if (!file.empty() && file != "-") {
    std::ifstream f(file, std::ios::binary);
    if (!f) return "cannot open " + file;
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    in.origin = file;
  } else {
    text.assign(std::istreambuf_iterator<char>(a.in), std::istreambuf_iterator<char>());
    in.origin = "stdin";
  }
  const std::vector<std::byte> raw = to_bytes(text);
  const bool as_hex = from_args || format == "hex" || (format == "auto" && looks_like_text(raw));
  if (!as_hex) {
    in.bytes = raw;
    return {};
  }
  std::string error;
  if (!parse_hex_text(text, in.bytes, error)) return in.origin + ": not hex: " + error;
  return {};
}

int decode_bytes(const CommandArgs& a, const Input& in, const DecodeOptions& dopt, bool json, const PrintOptions& popt,
                 const JsonOptions& jopt) {
  const StreamDecode d = decode_stream(in.bytes, dopt);
  if (json) {
    nlohmann::json frames = nlohmann::json::array();
    for (const FrameModel& f : d.frames) frames.push_back(frame_to_json(f, jopt));
    nlohmann::json out{{"frames", std::move(frames)}};
    if (d.stream_error) out["error"] = {{"offset", d.stream_error->offset}, {"reason", d.stream_error->reason}};
    a.out << dump_json(out) << "\n";
  } else {
    for (const FrameModel& f : d.frames) print_frame(a.out, f, popt);
    if (d.stream_error) a.out << "error at byte " << d.stream_error->offset << ": " << d.stream_error->reason << "\n";
  }
  if (in.bytes.empty()) {
    a.err << a.args.front() << ": no bytes to decode in " << in.origin << "\n";
    return exit_status::failed;
  }
  if (!has_errors(d)) return exit_status::ok;
  // One line per problem on stderr, so that scripts see why the status is 2.
  for (const FrameModel& f : d.frames) {
    if (f.issue) a.err << a.args.front() << ": byte " << f.issue->offset << ": " << f.issue->reason << "\n";
  }
  if (d.stream_error) {
    a.err << a.args.front() << ": byte " << d.stream_error->offset << ": " << d.stream_error->reason << "\n";
  }
  return exit_status::agent_error;
}

std::string relative_time(std::int64_t ns, std::int64_t first) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%12.6f", static_cast<double>(ns - first) / 1e9);
  return buf;
}

std::string_view kind_name(CaptureEvent::Kind k) {
  switch (k) {
    case CaptureEvent::Kind::opened:
      return "opened";
    case CaptureEvent::Kind::frame:
      return "frame";
    case CaptureEvent::Kind::closed:
      return "closed";
    case CaptureEvent::Kind::problem:
      return "error";
  }
  return "?";
}

nlohmann::json capture_json(const Capture& c, const std::string& path, std::uint16_t port, const JsonOptions& jopt) {
  nlohmann::json conns = nlohmann::json::array();
  for (const CaptureConnection& k : c.connections) {
    conns.push_back({{"id", k.id}, {"haproxy", k.haproxy}, {"agent", k.agent}, {"time", iso_time(k.first_ns)}});
  }
  nlohmann::json events = nlohmann::json::array();
  for (const CaptureEvent& e : c.events) {
    nlohmann::json j{{"time", iso_time(e.time_ns)},
                     {"t", static_cast<double>(e.time_ns - c.first_ns) / 1e9},
                     {"connection", e.connection},
                     {"kind", std::string(kind_name(e.kind))}};
    if (e.kind == CaptureEvent::Kind::frame || e.kind == CaptureEvent::Kind::problem) {
      j["direction"] = std::string(to_string(e.direction));
    }
    if (e.kind == CaptureEvent::Kind::frame) j["frame"] = frame_to_json(e.frame, jopt);
    if (e.kind == CaptureEvent::Kind::problem) j["offset"] = e.offset;
    if (!e.text.empty()) j[e.kind == CaptureEvent::Kind::problem ? "reason" : "text"] = e.text;
    events.push_back(std::move(j));
  }
  return {{"capture", path},
          {"port", port},
          {"link_type", c.link_type},
          {"packets", c.stats.packets},
          {"segments", c.stats.segments},
          {"connections", std::move(conns)},
          {"events", std::move(events)}};
}

void print_capture(std::ostream& os, const Capture& c, const std::string& path, std::uint16_t port, PrintOptions popt) {
  os << path << ": " << c.stats.packets << " packets, " << c.stats.segments << " TCP segments on port " << port << ", "
     << c.connections.size() << (c.connections.size() == 1 ? " connection" : " connections");
  if (c.stats.ip_fragments) os << ", " << c.stats.ip_fragments << " IP fragments skipped";
  if (c.stats.truncated) os << ", " << c.stats.truncated << " packets cut by the snap length skipped";
  os << "\n";
  popt.indent = std::string(12 + 1 + 6, ' ');
  popt.frame_offset = false;  // the event's line already says "@N"
  for (const CaptureEvent& e : c.events) {
    const std::string head = relative_time(e.time_ns, c.first_ns) + " #" + std::to_string(e.connection) + " ";
    switch (e.kind) {
      case CaptureEvent::Kind::opened: {
        const CaptureConnection& k = c.connections[e.connection - 1];
        os << head << "connection from HAProxy " << k.haproxy << " to the agent " << k.agent << "\n";
        break;
      }
      case CaptureEvent::Kind::frame: {
        os << head << to_string(e.direction) << " @" << e.frame.offset << " ";
        std::ostringstream tree;
        print_frame(tree, e.frame, popt);
        // The first line of the tree is the summary: it goes on the event's line, without the indent.
        const std::string t = tree.str();
        os << t.substr(popt.indent.size());
        break;
      }
      case CaptureEvent::Kind::closed:
        os << head << "closed: " << e.text << "\n";
        break;
      case CaptureEvent::Kind::problem:
        os << head << to_string(e.direction) << " error at byte " << e.offset << ": " << e.text << "\n";
        break;
    }
  }
}

int decode_capture(const CommandArgs& a, const std::string& path, std::uint16_t port, std::uint32_t max_frame_size,
                   bool json, const PrintOptions& popt, const JsonOptions& jopt) {
  Capture c;
  if (std::string err = read_capture(path, CaptureOptions{port, max_frame_size}, c); !err.empty()) {
    a.err << a.args.front() << ": " << err << "\n";
    return exit_status::failed;
  }
  if (json) {
    a.out << dump_json(capture_json(c, path, port, jopt)) << "\n";
  } else {
    print_capture(a.out, c, path, port, popt);
  }
  int status = exit_status::ok;
  for (const CaptureEvent& e : c.events) {
    const bool bad_frame = e.kind == CaptureEvent::Kind::frame && e.frame.issue;
    if (e.kind != CaptureEvent::Kind::problem && !bad_frame) continue;
    a.err << a.args.front() << ": connection #" << e.connection << " " << to_string(e.direction) << ", byte "
          << (bad_frame ? e.frame.issue->offset : e.offset) << ": " << (bad_frame ? e.frame.issue->reason : e.text)
          << "\n";
    status = exit_status::agent_error;
  }
  if (c.connections.empty()) {
    a.err << a.args.front() << ": no TCP connection on port " << port << " in " << path << "\n";
    return exit_status::failed;
  }
  return status;
}

}  // namespace

int run_decode(const CommandArgs& a) {
  TCLAP::CmdLine cmd(
      "Decode SPOP frames and print them as a tree (or JSON): hex given as arguments, a file "
      "(raw bytes or hex text), stdin, or every frame of a pcap/pcapng capture. Problems are "
      "reported with their byte offset; exit status 2 when there is one.",
      ' ', std::string(cli_version()));
  TCLAP::UnlabeledMultiArg<std::string> hex("hex", "frame bytes in hex (spaces allowed)", false, "HEX", cmd);
  TCLAP::ValueArg<std::string> file("f", "file", "read this file (- for stdin) instead", false, "", "FILE", cmd);
  TCLAP::ValueArg<std::string> format("", "format",
                                      "how to read a file or stdin: auto (hex when it is all text), hex, raw", false,
                                      "auto", "auto|hex|raw", cmd);
  TCLAP::ValueArg<std::string> pcap("", "pcap", "read the SPOP conversations of a pcap or pcapng capture", false, "",
                                    "FILE", cmd);
  TCLAP::ValueArg<int> port("p", "port", "with --pcap: the agent's TCP port", false, 0, "PORT", cmd);
  TCLAP::ValueArg<std::string> recording("", "recording",
                                         "read the records of a recording (spoa --record, spop-sim replay's input)",
                                         false, "", "FILE", cmd);
  TCLAP::ValueArg<std::string> var_prefix("", "var-prefix",
                                          "show ACK variables as HAProxy names them "
                                          "(SCOPE.PREFIX.NAME)",
                                          false, "", "PREFIX", cmd);
  TCLAP::ValueArg<std::string> max_frame_size("", "max-frame-size",
                                              "report frames longer than this (default: no "
                                              "limit)",
                                              false, "0", "BYTES", cmd);
  TCLAP::SwitchArg offsets("", "offsets", "show the byte offset of every item", cmd, false);
  TCLAP::SwitchArg json("", "json", "print JSON", cmd, false);
  if (auto status = parse_command_line(cmd, a, decode_examples)) return *status;

  const auto usage_error = [&](const std::string& why) {
    a.err << a.args.front() << ": " << why << "\n";
    return exit_status::failed;
  };
  std::uint64_t limit = 0;
  if (std::string err = parse_unsigned(max_frame_size.getValue(), UINT32_MAX, limit); !err.empty()) {
    return usage_error("--max-frame-size: " + err);
  }
  if (format.getValue() != "auto" && format.getValue() != "hex" && format.getValue() != "raw") {
    return usage_error("--format: '" + format.getValue() + "' is not auto, hex or raw");
  }
  PrintOptions popt;
  JsonOptions jopt;
  if (var_prefix.isSet()) popt.var_prefix = jopt.var_prefix = var_prefix.getValue();
  popt.offsets = offsets.getValue();

  if (recording.isSet()) {
    if (!hex.getValue().empty() || file.isSet() || pcap.isSet()) {
      return usage_error("--recording reads the recording only: no hex, --file or --pcap");
    }
    return decode_recording(a, recording.getValue(), json.getValue(), popt, jopt);
  }
  if (pcap.isSet()) {
    if (!hex.getValue().empty() || file.isSet()) return usage_error("--pcap reads the capture only: no hex or --file");
    if (!port.isSet() || port.getValue() < 1 || port.getValue() > 65535) {
      return usage_error("--pcap needs --port, the agent's TCP port (1-65535)");
    }
    return decode_capture(a, pcap.getValue(), static_cast<std::uint16_t>(port.getValue()),
                          static_cast<std::uint32_t>(limit), json.getValue(), popt, jopt);
  }
  if (!hex.getValue().empty() && file.isSet()) return usage_error("give hex arguments or --file, not both");
  Input in;
  if (std::string err = read_input(a, hex.getValue(), file.getValue(), format.getValue(), in); !err.empty()) {
    return usage_error(err);
  }
  // A file that starts like a recording is one, unless --format says otherwise.
  if (file.isSet() && file.getValue() != "-" && format.getValue() == "auto" && in.bytes.size() >= 8 &&
      spop::recording::has_recording_magic(in.bytes)) {
    return decode_recording(a, file.getValue(), json.getValue(), popt, jopt);
  }
  return decode_bytes(a, in, DecodeOptions{static_cast<std::uint32_t>(limit), 0}, json.getValue(), popt, jopt);
}

}  // namespace spop_cli
