// The replay driver's mutation mode: runs a fixed number of inputs mutated from the corpus through a
// fuzz target, and keeps the input that kills the process (a crash, an abort from a violated invariant,
// a sanitizer report) as a file to replay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "fuzz/driver/mutator.hpp"

namespace spop::fuzz {

struct MutationRun {
  std::uint64_t seed = 1;
  std::size_t count = 0;
  std::size_t max_size = 4096;
  std::vector<std::string> dictionary;
  std::filesystem::path crash_dir = ".";
};

using TargetFunction = int (*)(const std::uint8_t* data, std::size_t size);

/// The file run_mutations() writes when input number `index` (0-based) of a run with `seed` kills the process.
std::filesystem::path crash_file(const std::filesystem::path& dir, std::uint64_t seed, std::size_t index);

/// Runs `run.count` inputs, each mutated from one of `inputs` (spliced with another), through `target`.
/// The same inputs, seed and count always give the same sequence. Needs at least one input.
void run_mutations(std::span<const Input> inputs, const MutationRun& run, TargetFunction target);

}  // namespace spop::fuzz
