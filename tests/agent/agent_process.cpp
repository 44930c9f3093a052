// Starting, watching and killing spoa processes for component tests.
#include "tests/agent/agent_process.hpp"

#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace spoa::test {

namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Forks and execs spoa with stdout/stderr redirected to files, in a new process group.
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err) {
  std::vector<std::string> argv_s{SPOA_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::dup2(null, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (pid > 0) ::setpgid(pid, pid);  // also here: no race with the kill in the destructor
  return pid;
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout, bool& exited, int& raw) {
  auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    pid_t r = ::waitpid(pid, &raw, WNOHANG);
    if (r == pid) {
      exited = true;
      if (WIFEXITED(raw)) return WEXITSTATUS(raw);
      return std::nullopt;
    }
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace

std::filesystem::path make_temp_dir() { return spop::test::scratch_dir("spoa-test"); }

RunResult run_spoa(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  auto dir = make_temp_dir();
  pid_t pid = spawn(args, dir / "out", dir / "err");
  RunResult r;
  bool exited = false;
  int raw = 0;
  auto status = wait_for(pid, timeout, exited, raw);
  if (!exited) {
    ::killpg(pid, SIGKILL);
    ::waitpid(pid, &raw, 0);
  } else {
    ::killpg(pid, SIGKILL);  // workers it may have left behind
  }
  r.exit_status = status.value_or(-1);
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  std::filesystem::remove_all(dir);
  return r;
}

AgentProcess::AgentProcess(std::vector<std::string> args, bool add_listen_args) : dir_(make_temp_dir()) {
  if (add_listen_args) {
    args.insert(args.end(), {"-p", "0", "--address", "127.0.0.1"});
  }
  args.insert(args.end(), {"--ready-file", (dir_ / "ready").string()});
  pid_ = spawn(args, dir_ / "out", dir_ / "err");
  auto deadline = SteadyClock::now() + 20s;
  while (SteadyClock::now() < deadline) {
    if (std::filesystem::exists(dir_ / "ready")) {
      std::istringstream in(slurp(dir_ / "ready"));
      for (std::string line; std::getline(in, line);) {
        ready_lines_.push_back(line);
        auto space = line.find(' ');
        if (port_ == 0 && line.rfind("unix ", 0) != 0 && space != std::string::npos) {
          port_ = static_cast<std::uint16_t>(std::stoi(line.substr(space + 1)));
        }
      }
      ready_ = true;
      return;
    }
    int raw = 0;
    if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
      exited_ = true;
      return;
    }
    std::this_thread::sleep_for(5ms);
  }
}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) {
    ::killpg(pid_, SIGKILL);
    if (!exited_) {
      int raw = 0;
      ::waitpid(pid_, &raw, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string AgentProcess::log() const { return slurp(dir_ / "err"); }

bool AgentProcess::wait_log(const std::string& text, std::chrono::milliseconds timeout) const {
  auto deadline = SteadyClock::now() + timeout;
  do {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  } while (SteadyClock::now() < deadline);
  return false;
}

namespace {

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t p; in >> p;) out.push_back(p);
  return out;
}

bool is_metrics_process(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name == "spoa-metrics";
}

}  // namespace

std::vector<pid_t> AgentProcess::workers() const {
  auto out = children_of(pid_);
  std::erase_if(out, is_metrics_process);
  return out;
}

pid_t AgentProcess::metrics_process() const {
  for (pid_t p : children_of(pid_)) {
    if (is_metrics_process(p)) return p;
  }
  return 0;
}

void AgentProcess::signal(int sig) const { ::kill(pid_, sig); }

std::optional<int> AgentProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exited_) return std::nullopt;
  int raw = 0;
  return wait_for(pid_, timeout, exited_, raw);
}

}  // namespace spoa::test
