// run_mutations() and its last-input rescue (see mutation_run.hpp).
#include "fuzz/driver/mutation_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <string>

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

// What the process is running, for the handlers below: they may only use async-signal-safe calls. The
// file name is completed only when needed, so the loop does no formatting per input.
volatile std::sig_atomic_t running = 0;
const std::uint8_t* current_data = nullptr;
std::size_t current_size = 0;
std::size_t current_index = 0;
char current_path[4096];  // crash_prefix(), then room for the index
std::size_t prefix_length = 0;

// Appends current_index in decimal after the prefix (no snprintf: it is not async-signal-safe).
void complete_path() {
  char digits[24];
  std::size_t n = 0;
  std::size_t value = current_index;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  std::size_t at = prefix_length;
  while (n > 0 && at + 1 < sizeof current_path) current_path[at++] = digits[--n];
  current_path[at] = '\0';
}

void save_current_input() {
  if (running == 0) return;
  complete_path();
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

std::string crash_prefix(const std::filesystem::path& dir, std::uint64_t seed) {
  return (dir / ("mutation-" + std::to_string(seed) + "-")).string();
}

}  // namespace

std::filesystem::path crash_file(const std::filesystem::path& dir, std::uint64_t seed, std::size_t index) {
  return crash_prefix(dir, seed) + std::to_string(index);
}

void run_mutations(std::span<const Input> inputs, const MutationRun& run, TargetFunction target) {
  if (inputs.empty()) return;
  Mutator mutator(run.seed, run.max_size, run.dictionary);
  const std::string prefix = crash_prefix(run.crash_dir, run.seed);
  prefix_length = std::min(prefix.size(), sizeof current_path - 24);
  prefix.copy(current_path, prefix_length);
  install_rescue();
  for (std::size_t i = 0; i < run.count; ++i) {
    const Input& base = inputs[mutator.below(inputs.size())];
    const Input& other = inputs[mutator.below(inputs.size())];
    const Input data = mutator.mutate(base, other);
    current_index = i;
    current_size = data.size();
    current_data = data.data();
    running = 1;
    target(data.data(), data.size());
    running = 0;
  }
}

}  // namespace spop::fuzz
