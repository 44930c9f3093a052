// The registry behind scratch_dir() (see temp_dir.hpp).
#include "tests/support/temp_dir.hpp"

#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace spop::test {

namespace {

// Removes the directories at exit. A forked child that exits normally runs static destructors too:
// only the creating process removes anything.
class ScratchRegistry {
 public:
  ~ScratchRegistry() {
    if (::getpid() != owner_) return;
    std::error_code ignored;
    for (const auto& dir : dirs_) std::filesystem::remove_all(dir, ignored);
  }
  void add(std::filesystem::path dir) {
    std::lock_guard lock(mutex_);
    dirs_.push_back(std::move(dir));
  }

 private:
  std::mutex mutex_;
  std::vector<std::filesystem::path> dirs_;
  pid_t owner_ = ::getpid();
};

ScratchRegistry& registry() {
  static ScratchRegistry r;
  return r;
}

}  // namespace

std::filesystem::path scratch_dir(std::string_view prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a directory " + tmpl);
  registry().add(tmpl);
  return tmpl;
}

}  // namespace spop::test
