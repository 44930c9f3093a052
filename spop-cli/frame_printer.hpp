// Text rendering of frames for people: one header line per frame, then its items as an indented tree,
// then any problem with its byte offset. The JSON rendering is in frame_json.hpp.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "spop-cli/frame_model.hpp"

namespace spop_cli {

struct PrintOptions {
  /// When set, actions are shown with HAProxy's variable name ("txn.<prefix>.<name>").
  std::optional<std::string> var_prefix;
  bool frame_offset = true;  ///< start the frame's line with "@N " (the byte offset of its LEN)
  bool offsets = false;      ///< show "@N" (the absolute byte offset) before every item
  std::string indent;        ///< put before every line (used by --trace and pcap output)
};

/// "@0 NOTIFY stream-id=1 frame-id=1 len=32 flags=FIN" and, on the following lines, the payload.
void print_frame(std::ostream& os, const FrameModel& frame, const PrintOptions& options = {});

/// The one-line header alone ("NOTIFY stream-id=1 frame-id=1 len=32 flags=FIN").
std::string frame_summary(const FrameModel& frame);

/// A name as it is when it is plain printable text, otherwise quoted with \xNN escapes; "" stays "".
std::string display_name(std::string_view name);

/// Flag bits as text: "FIN", "FIN|ABORT", "none", with reserved bits in hex ("FIN|0x00000100").
std::string flags_text(std::uint32_t flags);

}  // namespace spop_cli
