#include "spop-cli/recording_output.hpp"

#include <cstdio>

#include "recording/reader.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/frame_decoder.hpp"
#include "spop-cli/time_text.hpp"

namespace spop_cli {

namespace {

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string milliseconds(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

// The one frame of `bytes` (LEN included), decoded with its offsets in the file.
FrameModel frame_at(std::span<const std::byte> bytes, std::uint64_t file_offset) {
  StreamDecode d = decode_stream(bytes, DecodeOptions{0, static_cast<std::size_t>(file_offset)});
  return d.frames.empty() ? FrameModel{} : std::move(d.frames.front());
}

std::string header_text(const std::string& path, const spop::recording::FileHeader& h) {
  std::string s = path + ": spop recording, format version " + std::to_string(h.version) + ", created " +
                  iso_time(h.created_ns);
  if (h.redacted()) s += ", argument values redacted (key id " + hex64(h.key_id) + ")";
  return s;
}

}  // namespace

int decode_recording(const CommandArgs& a, const std::string& path, bool json, const PrintOptions& popt,
                     const JsonOptions& jopt) {
  spop::recording::RecordingReader reader(path);
  if (!reader.opened()) {
    a.err << a.args.front() << ": " << reader.error()->to_string() << "\n";
    return exit_status::failed;
  }
  const spop::recording::FileHeader& h = reader.header();
  nlohmann::json records = nlohmann::json::array();
  if (!json) a.out << header_text(path, h) << "\n";
  PrintOptions frame_popt = popt;
  frame_popt.indent = "  ";
  std::vector<DecodeIssue> frame_issues;
  while (const spop::recording::Record* r = reader.next()) {
    const bool answered = r->meta.kind == spop::recording::RecordKind::exchange;
    const FrameModel notify = frame_at(r->notify, r->offset + spop::recording::record_header_size);
    const FrameModel ack =
        answered ? frame_at(r->ack, r->offset + spop::recording::record_header_size + r->notify.size()) : FrameModel{};
    for (const FrameModel* f : {&notify, &ack})
      if (f->issue) frame_issues.push_back(*f->issue);
    if (json) {
      nlohmann::json j{{"record", reader.records()},
                       {"offset", r->offset},
                       {"time", iso_time(r->meta.notify_ns)},
                       {"source", r->meta.source},
                       {"connection", r->meta.connection},
                       {"kind", answered ? "exchange" : "notify_only"},
                       {"notify", frame_to_json(notify, jopt)}};
      if (answered) {
        j["ack_time"] = iso_time(r->meta.ack_ns);
        j["latency_ms"] = static_cast<double>(r->meta.ack_ns - r->meta.notify_ns) / 1e6;
        j["ack"] = frame_to_json(ack, jopt);
      }
      records.push_back(std::move(j));
      continue;
    }
    a.out << "record " << reader.records() << " @" << r->offset << " " << iso_time(r->meta.notify_ns) << " source "
          << r->meta.source << " connection " << r->meta.connection << ", "
          << (answered ? "ACK after " + milliseconds(r->meta.ack_ns - r->meta.notify_ns) + " ms" : std::string("no ACK"))
          << "\n";
    print_frame(a.out, notify, frame_popt);
    if (answered) print_frame(a.out, ack, frame_popt);
  }
  const auto& error = reader.error();
  if (json) {
    nlohmann::json out{{"recording", path},
                       {"version", h.version},
                       {"created", iso_time(h.created_ns)},
                       {"redacted", h.redacted()},
                       {"records", std::move(records)}};
    if (h.redacted()) out["key_id"] = hex64(h.key_id);
    if (error) out["error"] = {{"offset", error->offset}, {"reason", error->reason}};
    a.out << dump_json(out) << "\n";
  } else {
    if (error) a.out << "error at byte " << error->offset << ": " << error->reason << "\n";
    a.out << path << ": " << reader.records() << (reader.records() == 1 ? " record" : " records")
          << (error ? " before the error" : "") << "\n";
  }
  for (const DecodeIssue& i : frame_issues) a.err << a.args.front() << ": " << path << ": byte " << i.offset << ": " << i.reason << "\n";
  if (error) a.err << a.args.front() << ": " << error->to_string() << "\n";
  return error || !frame_issues.empty() ? exit_status::agent_error : exit_status::ok;
}

}  // namespace spop_cli
