// SPOP status codes (the `status-code` of DISCONNECT frames) and HAProxy's exact message for each.
#pragma once

#include <cstdint>
#include <string_view>

namespace spop {

/// Wire status codes, spop-protocol.md §4. Values are the numbers sent in `status-code`.
enum class Status : std::uint32_t {
  normal = 0,
  io_error = 1,
  timeout = 2,
  frame_too_big = 3,
  invalid_frame = 4,
  no_version = 5,
  no_max_frame_size = 6,
  no_capabilities = 7,
  unsupported_version = 8,
  bad_max_frame_size = 9,
  fragmentation_not_supported = 10,
  invalid_interlaced_frames = 11,
  frame_id_not_found = 12,
  resource_allocation = 13,
  unknown = 99,
};

/// HAProxy's text for a status ("normal", "frame is too big", ...). Codes HAProxy does not define
/// (14-98 and >= 100) give "an unknown error occurred", as HAProxy maps them.
std::string_view status_message(Status status);

/// True for the codes HAProxy itself defines (0-13 and 99).
bool is_known_status(std::uint32_t code);

}  // namespace spop
