// SPOP's variable-length integer (the "peers" encoding): 1 to 10 bytes for a uint64 (spop-protocol.md §2.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "spop/errc.hpp"
#include "spop/types.hpp"

namespace spop {

/// Bytes needed to encode `v` (1..10).
std::size_t varint_size(std::uint64_t v) noexcept;

/// Writes `v` to `out` (at least varint_size(v) bytes, 10 always suffices); returns the bytes written.
std::size_t encode_varint(std::uint64_t v, std::byte* out) noexcept;

/// Reads a varint from the front of `in` into `value` and the byte count into `used`.
/// Errors: Errc::need_more (input ends inside the varint), Errc::varint_too_long (an 11th byte would be needed).
Errc decode_varint(std::span<const std::byte> in, std::uint64_t& value, std::size_t& used) noexcept;

}  // namespace spop
