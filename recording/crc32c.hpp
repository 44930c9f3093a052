// CRC-32C (Castagnoli, the iSCSI/ext4 checksum) of byte ranges: the per-record checksum of recordings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace spop::recording {

/// CRC-32C of `data`, continuing from `crc` (0 to start): crc32c(b, crc32c(a)) == crc32c(a + b).
/// Check value: crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

}  // namespace spop::recording
