// Errors of the codec and state machines (library errors, not wire status codes), as std::error_code.
#pragma once

#include <system_error>

#include "spop/status.hpp"

namespace spop {

/// Why a decode or encode step failed. Every value maps to the wire Status a peer would be sent.
enum class Errc {
  ok = 0,
  need_more,            ///< input ends before the item does (not an error for a stream; an error inside a frame)
  varint_too_long,      ///< more than 10 bytes
  truncated,            ///< an item runs past the end of its frame
  reserved_type,        ///< TYPED-DATA type id 10-15
  frame_too_big,        ///< LEN above the limit, or an encoder would exceed it
  frame_too_small,      ///< LEN below 7
  bad_frame_ids,        ///< stream-id/frame-id not allowed for this frame type
  unknown_frame_type,
  invalid_payload,      ///< payload structure is wrong (bad nb-args, bad scope, trailing bytes...)
  bad_kv,               ///< KV list item malformed (e.g. key that is not a raw string)
  missing_fin,
  value_out_of_range,   ///< value does not fit the requested type
  invalid_argument,
};

const std::error_category& spop_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

/// The SPOP status a peer should receive for a decode error (frame_too_big -> 3, most others -> 4).
Status to_status(Errc e) noexcept;

}  // namespace spop

template <>
struct std::is_error_code_enum<spop::Errc> : std::true_type {};
