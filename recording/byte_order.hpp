// Big-endian loads and stores for the recording format's fixed-size fields.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace spop::recording::detail {

// One unaligned load or store and a byte swap (the recorder writes a record header per NOTIFY).
template <typename T>
inline std::make_unsigned_t<T> to_big_endian(std::make_unsigned_t<T> v) noexcept {
  if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1) {
    return v;
  } else if constexpr (sizeof(T) == 2) {
    return __builtin_bswap16(v);
  } else if constexpr (sizeof(T) == 4) {
    return __builtin_bswap32(v);
  } else {
    static_assert(sizeof(T) == 8);
    return __builtin_bswap64(v);
  }
}

template <typename T>
inline void store_be(std::byte* p, T v) noexcept {
  const auto u = to_big_endian<T>(static_cast<std::make_unsigned_t<T>>(v));
  std::memcpy(p, &u, sizeof u);
}

template <typename T>
inline T load_be(const std::byte* p) noexcept {
  std::make_unsigned_t<T> u;
  std::memcpy(&u, p, sizeof u);
  return static_cast<T>(to_big_endian<T>(u));
}

}  // namespace spop::recording::detail
