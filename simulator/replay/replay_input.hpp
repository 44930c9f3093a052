// What `spop-sim replay` replays: the NOTIFY/ACK exchanges read from recordings (spoa --record) and
// pcap/pcapng captures, in one arena of payload bytes, sorted by when HAProxy sent them. A file that is
// truncated or corrupted keeps everything read before the problem, and the problem names the file and
// the offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace spop::sim::replay {

/// One recorded exchange. Payloads (LIST-OF-MESSAGES, LIST-OF-ACTIONS) live in ReplayInput::arena.
struct Exchange {
  std::int64_t notify_ns = 0;    ///< when the NOTIFY was received (recording) or captured
  std::int64_t latency_ns = -1;  ///< recorded time from NOTIFY to ACK; -1 without an ACK
  std::size_t notify_at = 0, notify_size = 0;
  std::size_t ack_at = 0, ack_size = 0;
  bool has_ack = false;
  std::uint32_t messages = 0;    ///< index in ReplayInput::message_sets
  std::uint32_t file = 0;        ///< index in ReplayInput::files
  std::uint64_t connection = 0;  ///< the recorded connection
  std::uint64_t offset = 0;      ///< of the record in its file, or of the NOTIFY in its captured stream
  std::uint64_t number = 0;      ///< 1-based: the record's number, or the NOTIFY's in its capture
};

struct InputFile {
  std::string path;
  std::string kind;              ///< "recording" or "capture"
  std::uint64_t exchanges = 0;   ///< read from it
  std::uint64_t without_ack = 0; ///< of which the NOTIFY got no ACK
  std::vector<std::string> errors;  ///< "FILE: byte N: reason": what stopped reading (a part of) it
  std::vector<std::string> notes;   ///< what was skipped and why (fragmented NOTIFYs...)
};

struct ReplayInput {
  std::vector<std::byte> arena;
  std::vector<Exchange> exchanges;          ///< sorted by notify_ns (file order among equals)
  std::vector<std::string> message_sets;    ///< the message names of a NOTIFY, joined by '+'
  std::vector<InputFile> files;

  std::span<const std::byte> notify(const Exchange& e) const noexcept {
    return std::span<const std::byte>(arena).subspan(e.notify_at, e.notify_size);
  }
  std::span<const std::byte> ack(const Exchange& e) const noexcept {
    return std::span<const std::byte>(arena).subspan(e.ack_at, e.ack_size);
  }
  bool has_errors() const noexcept;
  /// "traffic.rec record 17" / "tcpdump.pcap connection #3 @133", for examples in reports.
  std::string where(const Exchange& e) const;
};

struct InputOptions {
  std::uint16_t capture_port = 12345;  ///< the agent's port in captures
};

/// Reads every file, telling recordings and captures apart by their first bytes. Never throws for bad
/// input: a file that cannot be opened, is neither, or has a bad part gets `errors`.
ReplayInput load_inputs(const std::vector<std::string>& paths, const InputOptions& options);

namespace detail {
// Adds one exchange from whole frames (LEN included); false with `reason` when the NOTIFY is not one.
bool add_exchange(ReplayInput& in, Exchange e, std::span<const std::byte> notify_frame,
                  std::span<const std::byte> ack_frame, std::string& reason);
void load_recording(ReplayInput& in, std::uint32_t file);
void load_capture(ReplayInput& in, std::uint32_t file, const InputOptions& options);
}  // namespace detail

}  // namespace spop::sim::replay
