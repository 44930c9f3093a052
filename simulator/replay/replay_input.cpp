#include "simulator/replay/replay_input.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "capture/pcap_file.hpp"
#include "recording/reader.hpp"
#include "spop/frame.hpp"
#include "spop/notify.hpp"

namespace spop::sim::replay {

bool ReplayInput::has_errors() const noexcept {
  return std::any_of(files.begin(), files.end(), [](const InputFile& f) { return !f.errors.empty(); });
}

std::string ReplayInput::where(const Exchange& e) const {
  const InputFile& f = files[e.file];
  if (f.kind == "recording") return f.path + " record " + std::to_string(e.number);
  return f.path + " connection #" + std::to_string(e.connection) + " @" + std::to_string(e.offset);
}

namespace detail {

namespace {

// The message names of a NOTIFY payload joined by '+', interned in `in.message_sets`.
std::uint32_t message_set(ReplayInput& in, const spop::NotifyView& view) {
  std::string key;
  for (const spop::MessageView& m : view) {
    if (!key.empty()) key += '+';
    key += m.name();
  }
  const auto it = std::find(in.message_sets.begin(), in.message_sets.end(), key);
  if (it != in.message_sets.end()) return static_cast<std::uint32_t>(it - in.message_sets.begin());
  in.message_sets.push_back(std::move(key));
  return static_cast<std::uint32_t>(in.message_sets.size() - 1);
}

}  // namespace

bool add_exchange(ReplayInput& in, Exchange e, std::span<const std::byte> notify_frame,
                  std::span<const std::byte> ack_frame, std::string& reason) {
  spop::Frame notify;
  std::size_t used = 0;
  if (spop::split_frame(notify_frame, UINT32_MAX, notify, used) != spop::Errc::ok || used != notify_frame.size()) {
    reason = "the NOTIFY frame's header is malformed";
    return false;
  }
  if (!notify.header.fin()) {
    reason = "a fragmented NOTIFY (no FIN) is not replayed";
    return false;
  }
  spop::NotifyView view;
  if (const spop::Errc err = spop::NotifyView::parse(notify.payload, view); err != spop::Errc::ok) {
    reason = "the NOTIFY's messages are malformed: " + spop::make_error_code(err).message();
    return false;
  }
  e.messages = message_set(in, view);
  e.notify_at = in.arena.size();
  e.notify_size = notify.payload.size();
  in.arena.insert(in.arena.end(), notify.payload.begin(), notify.payload.end());
  e.has_ack = false;
  if (!ack_frame.empty()) {
    spop::Frame ack;
    if (spop::split_frame(ack_frame, UINT32_MAX, ack, used) == spop::Errc::ok) {
      e.has_ack = true;
      e.ack_at = in.arena.size();
      e.ack_size = ack.payload.size();
      in.arena.insert(in.arena.end(), ack.payload.begin(), ack.payload.end());
    }
  }
  if (!e.has_ack) {
    e.latency_ns = -1;
    ++in.files[e.file].without_ack;
  }
  ++in.files[e.file].exchanges;
  in.exchanges.push_back(e);
  return true;
}

void load_recording(ReplayInput& in, std::uint32_t file) {
  spop::recording::RecordingReader reader(in.files[file].path);
  while (const spop::recording::Record* r = reader.next()) {
    Exchange e;
    e.notify_ns = r->meta.notify_ns;
    e.latency_ns = r->meta.kind == spop::recording::RecordKind::exchange ? r->meta.ack_ns - r->meta.notify_ns : -1;
    e.file = file;
    e.connection = r->meta.connection;
    e.offset = r->offset;
    e.number = reader.records();
    std::string reason;
    if (!add_exchange(in, e, r->notify, r->ack, reason)) {
      in.files[file].notes.push_back(in.files[file].path + ": byte " + std::to_string(r->offset) + ": record " +
                                     std::to_string(e.number) + " skipped: " + reason);
    }
  }
  if (reader.error()) in.files[file].errors.push_back(reader.error()->to_string());
}

}  // namespace detail

ReplayInput load_inputs(const std::vector<std::string>& paths, const InputOptions& options) {
  ReplayInput in;
  for (const std::string& path : paths) {
    const auto index = static_cast<std::uint32_t>(in.files.size());
    in.files.push_back(InputFile{path, "", 0, 0, {}, {}});
    std::ifstream f(path, std::ios::binary);
    std::byte head[8]{};
    if (!f) {
      in.files.back().errors.push_back(path + ": cannot open: " + std::strerror(errno));
      continue;
    }
    f.read(reinterpret_cast<char*>(head), sizeof head);
    const auto got = std::span<const std::byte>(head, static_cast<std::size_t>(f.gcount()));
    if (got.size() >= 4 && spop::recording::has_recording_magic(got)) {
      in.files.back().kind = "recording";
      detail::load_recording(in, index);
    } else if (spop::capture::has_pcap_magic(got)) {
      in.files.back().kind = "capture";
      detail::load_capture(in, index, options);
    } else {
      in.files.back().errors.push_back(path + ": byte 0: neither a spop recording nor a pcap/pcapng capture");
    }
  }
  std::stable_sort(in.exchanges.begin(), in.exchanges.end(),
                   [](const Exchange& a, const Exchange& b) { return a.notify_ns < b.notify_ns; });
  return in;
}

}  // namespace spop::sim::replay
