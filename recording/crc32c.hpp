// CRC-32C (Castagnoli, the iSCSI/ext4 checksum) of byte ranges: the per-record checksum of recordings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace spop::recording {

/// CRC-32C of `data`, continuing from `crc` (0 to start): crc32c(b, crc32c(a)) == crc32c(a + b).
/// Check value: crc32c("123456789") == 0xE3069283. Uses the CPU's CRC32 instruction where there is one
/// (x86-64 with SSE4.2), else crc32c_portable().
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

/// The same from tables, on any CPU (what crc32c() falls back to; the tests compare both).
std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

/// The CRC a record carries: CRC-32C of its bytes except the 4-byte CRC field itself (format.hpp).
/// `record` is the whole record (at least its 8-byte start).
std::uint32_t record_crc(std::span<const std::byte> record) noexcept;

}  // namespace spop::recording
