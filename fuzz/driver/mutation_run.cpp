// run_mutations() and its last-input rescue (see mutation_run.hpp).
#include "fuzz/driver/mutation_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#define SPOP_FUZZ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPOP_FUZZ_SANITIZED 1
#endif
#endif
#ifdef SPOP_FUZZ_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

namespace spop::fuzz {

namespace {

// What the process is running, for the handlers below: they may only use async-signal-safe calls.
volatile std::sig_atomic_t running = 0;
const std::uint8_t* current_data = nullptr;
std::size_t current_size = 0;
char current_path[4096];

void save_current_input() {
  if (running == 0) return;
  const int fd = ::open(current_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    std::size_t done = 0;
    while (done < current_size) {
      const ssize_t n = ::write(fd, current_data + done, current_size - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  static const char note[] = "\nmutation run: the input that failed is in ";
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, note, sizeof note - 1);
  ignored = ::write(STDERR_FILENO, current_path, std::strlen(current_path));
  ignored = ::write(STDERR_FILENO, "\n", 1);
  running = 0;
}

extern "C" void save_and_die(int sig) {
  save_current_input();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_rescue() {
  // abort() (a violated invariant) is not a sanitizer report; the sanitizers report faults themselves
  // and call the death callback, so their own SIGSEGV handling stays in place.
  std::signal(SIGABRT, save_and_die);
#ifdef SPOP_FUZZ_SANITIZED
  __sanitizer_set_death_callback(save_current_input);
#else
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, save_and_die);
#endif
}

}  // namespace

std::filesystem::path crash_file(const std::filesystem::path& dir, std::uint64_t seed, std::size_t index) {
  return dir / ("mutation-" + std::to_string(seed) + "-" + std::to_string(index));
}

void run_mutations(std::span<const Input> inputs, const MutationRun& run, TargetFunction target) {
  if (inputs.empty()) return;
  Mutator mutator(run.seed, run.max_size, run.dictionary);
  install_rescue();
  for (std::size_t i = 0; i < run.count; ++i) {
    const Input& base = inputs[mutator.below(inputs.size())];
    const Input& other = inputs[mutator.below(inputs.size())];
    const Input data = mutator.mutate(base, other);
    const std::string path = crash_file(run.crash_dir, run.seed, i).string();
    std::snprintf(current_path, sizeof current_path, "%s", path.c_str());
    current_size = data.size();
    current_data = data.data();
    running = 1;
    target(data.data(), data.size());
    running = 0;
  }
}

}  // namespace spop::fuzz
