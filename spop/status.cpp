#include "spop/status.hpp"

#include <array>

namespace spop {

namespace {

// Indexed by code 0..13; HAProxy's own wording (spop_err_reasons / spoe_frm_err_reasons).
constexpr std::array<std::string_view, 14> known_messages = {
    "normal",
    "I/O error",
    "a timeout occurred",
    "frame is too big",
    "invalid frame received",
    "version value not found",
    "max-frame-size value not found",
    "capabilities value not found",
    "unsupported version",
    "max-frame-size too big or too small",
    "fragmentation not supported",
    "invalid interlaced frames",
    "frame-id not found",
    "resource allocation error",
};
static_assert(known_messages.size() == static_cast<std::size_t>(Status::resource_allocation) + 1,
              "one message per status code 0..13");

constexpr std::string_view unknown_message = "an unknown error occurred";

}  // namespace

std::string_view status_message(Status status) {
  auto code = static_cast<std::uint32_t>(status);
  if (code < known_messages.size()) return known_messages[code];
  return unknown_message;
}

bool is_known_status(std::uint32_t code) {
  return code < known_messages.size() || code == static_cast<std::uint32_t>(Status::unknown);
}

}  // namespace spop
