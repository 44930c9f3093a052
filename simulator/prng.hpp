// The simulator's pseudo-random numbers: xoshiro256** seeded through splitmix64. Written out here
// rather than taken from <random> because the standard distributions differ between library
// implementations, and a scenario must give the same requests everywhere for the same seed.
#pragma once

#include <array>
#include <cstdint>

namespace spop::sim {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) noexcept {
    for (std::uint64_t& word : state_) word = splitmix(seed);
  }

  /// 64 uniformly distributed bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, bound); 0 when bound is 0. Rejection keeps it unbiased.
  std::uint64_t below(std::uint64_t bound) noexcept {
    if (bound == 0) return 0;
    const std::uint64_t limit = -bound % bound;  // 2^64 mod bound: draws below it would bias
    while (true) {
      const std::uint64_t r = next();
      if (r >= limit) return r % bound;
    }
  }

  /// Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  static std::uint64_t splitmix(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::array<std::uint64_t, 4> state_{};
};

}  // namespace spop::sim
