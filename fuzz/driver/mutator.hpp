// A small input mutator for the fuzz targets built without libFuzzer (gcc, the CI's release and ASan
// builds): after replaying the corpus, the replay driver runs a fixed number of inputs derived from it
// with a fixed seed, so every CI run also fuzzes a little, reproducibly. It makes libFuzzer's simpler
// edits (bit flips, byte changes, inserts, erases, copies, dictionary words, splices), not its
// coverage feedback: the real fuzzing is `make fuzz`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spop::fuzz {

using Input = std::vector<std::uint8_t>;

/// The words of a libFuzzer dictionary: one `name="value"` or `"value"` per line, `#` comments, escapes
/// \\ \" and \xNN. Sets `error` to "line N: ..." and returns what it read so far on a bad line.
std::vector<std::string> parse_dictionary(std::string_view text, std::string& error);

class Mutator {
 public:
  Mutator(std::uint64_t seed, std::size_t max_size, std::vector<std::string> dictionary);

  /// A new input made from `base` by one to four random edits; one time in eight it starts as a splice
  /// of `base` and `other` instead. Never longer than max_size.
  Input mutate(std::span<const std::uint8_t> base, std::span<const std::uint8_t> other);

  /// A number in [0, bound) from the mutator's generator (bound > 0).
  std::size_t below(std::size_t bound);

 private:
  void edit(Input& data);
  void insert_bytes(Input& data, std::size_t at, std::span<const std::uint8_t> bytes);

  std::mt19937_64 rng_;
  std::size_t max_size_;
  std::vector<std::string> dictionary_;
};

}  // namespace spop::fuzz
