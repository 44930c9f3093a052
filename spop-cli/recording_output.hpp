// spop-cli decode of a recording (recording/format.hpp, written by spoa --record): each record's time,
// connection and latency, its NOTIFY and ACK as trees (or JSON), and where reading stopped if the file
// is truncated or corrupted.
#pragma once

#include <string>

#include "spop-cli/cli_common.hpp"
#include "spop-cli/frame_json.hpp"
#include "spop-cli/frame_printer.hpp"

namespace spop_cli {

/// Prints every record of the recording at `path`. Exit status: 0; 1 when it cannot be opened, is no
/// recording or has an unknown format version; 2 (after printing every record before it) at a truncated
/// or corrupted record, or when a recorded frame is malformed. Problems also go to stderr, one per line,
/// as "spop-cli decode: FILE: byte N: reason".
int decode_recording(const CommandArgs& a, const std::string& path, bool json, const PrintOptions& popt,
                     const JsonOptions& jopt);

}  // namespace spop_cli
