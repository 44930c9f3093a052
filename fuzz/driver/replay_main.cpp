// Stand-alone driver for fuzz targets built without libFuzzer (gcc: the release and sanitizer builds).
//   fuzz_<target> PATH...                  replays every file of the directories or files given
//   fuzz_<target> --mutations N [--seed S] [--dict FILE] [--max-len BYTES] [--crash-dir DIR] PATH...
//                                          runs N inputs mutated from those files instead
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/driver/mutation_run.hpp"
#include "fuzz/driver/mutator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using spop::fuzz::Input;

bool read_file(const std::filesystem::path& path, Input& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Every regular file of `paths` (directories are walked), or false after naming one it cannot read.
bool collect(const std::vector<std::filesystem::path>& paths, std::vector<std::filesystem::path>& files) {
  for (const auto& path : paths) {
    if (!std::filesystem::is_directory(path)) {
      files.push_back(path);
      continue;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", path.c_str(), ec.message().c_str());
      return false;
    }
  }
  return true;
}

bool parse_number(const char* option, const char* text, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || text[0] == '-') {
    std::fprintf(stderr, "replay: %s wants a number, not '%s'\n", option, text);
    return false;
  }
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: fuzz_<target> PATH...\n"
               "       fuzz_<target> --mutations N [--seed S] [--dict FILE] [--max-len BYTES] [--crash-dir DIR] PATH...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  spop::fuzz::MutationRun run;
  bool mutate = false;
  std::uint64_t max_len = 0;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    std::uint64_t number = 0;
    if (arg == "--mutations" && has_value) {
      if (!parse_number("--mutations", argv[++i], number)) return 2;
      run.count = number;
      mutate = true;
    } else if (arg == "--seed" && has_value) {
      if (!parse_number("--seed", argv[++i], run.seed)) return 2;
    } else if (arg == "--max-len" && has_value) {
      if (!parse_number("--max-len", argv[++i], max_len)) return 2;
    } else if (arg == "--crash-dir" && has_value) {
      run.crash_dir = argv[++i];
    } else if (arg == "--dict" && has_value) {
      Input text;
      if (!read_file(argv[++i], text)) return 2;
      std::string error;
      run.dictionary = spop::fuzz::parse_dictionary(std::string(text.begin(), text.end()), error);
      if (!error.empty()) {
        std::fprintf(stderr, "replay: %s: %s\n", argv[i], error.c_str());
        return 2;
      }
    } else if (arg.starts_with("--")) {
      return usage();
    } else {
      paths.emplace_back(arg);
    }
  }
  std::vector<std::filesystem::path> files;
  if (!collect(paths, files)) return 1;
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input given\n");
    return usage();
  }

  bool ok = true;
  std::vector<Input> inputs;
  std::size_t largest = 0;
  for (const auto& file : files) {
    Input data;
    if (!read_file(file, data)) {
      ok = false;
      continue;
    }
    if (mutate) {
      largest = std::max(largest, data.size());
      inputs.push_back(std::move(data));
    } else {
      LLVMFuzzerTestOneInput(data.data(), data.size());
    }
  }
  if (!mutate) {
    std::printf("replayed %zu inputs\n", files.size());
    return ok ? 0 : 1;
  }
  // Like libFuzzer: inputs may grow up to the largest seed unless told otherwise.
  run.max_size = max_len != 0 ? max_len : std::max<std::size_t>(largest, 64);
  spop::fuzz::run_mutations(inputs, run, LLVMFuzzerTestOneInput);
  std::printf("ran %zu inputs mutated from %zu (seed %llu, up to %zu bytes, %zu dictionary words)\n", run.count,
              inputs.size(), static_cast<unsigned long long>(run.seed), run.max_size, run.dictionary.size());
  return ok ? 0 : 1;
}
