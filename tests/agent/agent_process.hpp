// Test helper: starts the real spoa binary as a child process and always kills it (RAII).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace spoa::test {

/// Output and status of a spoa run that ended by itself (e.g. `spoa -h`).
struct RunResult {
  int exit_status = -1;  ///< WEXITSTATUS, or -1 when killed (timeout or signal)
  std::string out;
  std::string err;
};

/// Runs spoa with `args` to completion (killed after `timeout`).
RunResult run_spoa(const std::vector<std::string>& args,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// A running agent. The constructor starts `spoa <args> -p 0 --address 127.0.0.1 --ready-file ...`
/// in its own process group and waits (bounded, no fixed sleep) until the ready file appears.
/// The destructor SIGKILLs that whole process group, so no worker survives a failed test.
class AgentProcess {
 public:
  explicit AgentProcess(std::vector<std::string> args, bool add_listen_args = true);
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;
  ~AgentProcess();

  /// True once the ready file is there (false: the agent exited or did not get ready in time).
  bool ready() const noexcept { return ready_; }
  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  const std::vector<std::string>& ready_lines() const noexcept { return ready_lines_; }
  std::filesystem::path dir() const { return dir_; }

  /// Everything the agent wrote to stderr so far.
  std::string log() const;
  /// Waits until the log contains `text` (bounded).
  bool wait_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  /// The worker processes (children of the supervisor), from /proc.
  std::vector<pid_t> workers() const;
  /// The metrics endpoint process (the supervisor's child named spoa-metrics), or 0.
  pid_t metrics_process() const;
  void signal(int sig) const;
  /// Waits for the supervisor to exit; its WEXITSTATUS, or nullopt on timeout or death by signal.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  bool exited_ = false;
  bool ready_ = false;
  std::uint16_t port_ = 0;
  std::vector<std::string> ready_lines_;
};

/// A unique empty directory under the system temp dir.
std::filesystem::path make_temp_dir();

}  // namespace spoa::test
