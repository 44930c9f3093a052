// Big-endian loads and stores for the recording format's fixed-size fields.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spop::recording::detail {

template <typename T>
inline void store_be(std::byte* p, T v) noexcept {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    p[i] = static_cast<std::byte>(static_cast<std::uint64_t>(v) >> (8 * (sizeof(T) - 1 - i)));
}

template <typename T>
inline T load_be(const std::byte* p) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = v << 8 | std::to_integer<std::uint64_t>(p[i]);
  return static_cast<T>(v);
}

}  // namespace spop::recording::detail
