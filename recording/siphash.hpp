// SipHash-2-4 (Aumasson and Bernstein): a fast keyed hash, the pseudo-random function behind the
// redaction of recorded argument values (redaction.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace spop::recording {

using SipKey = std::array<std::uint8_t, 16>;

/// SipHash-2-4 of `data` under `key` (the 64-bit output, as the reference implementation returns it).
std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> data) noexcept;

}  // namespace spop::recording
