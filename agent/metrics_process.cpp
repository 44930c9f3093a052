// Forking, watching and stopping the metrics endpoint process (see metrics_process.hpp).
#include "agent/metrics_process.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <string_view>
#include <system_error>
#include <thread>

#include "agent/child_exit.hpp"
#include "agent/exit_status.hpp"
#include "agent/fork_with_pipe.hpp"
#include "agent/logging.hpp"
#include "agent/metrics_server.hpp"

namespace spoa::metrics {

namespace {

// How long the parent waits for the endpoint to listen (binding is immediate; this covers a stalled
// process) and for it to end after SIGTERM (civetweb joins its threads).
constexpr auto start_timeout = std::chrono::seconds(10);
constexpr auto stop_timeout = std::chrono::seconds(5);

// The child's report on its pipe: "R<port>" when it listens, "E<reason>" when it cannot.
constexpr char listening_tag = 'R';
constexpr char failed_tag = 'E';

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Everything the child writes before it closes the pipe (or the time runs out: then nullopt).
std::optional<std::string> read_report(int fd) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + start_timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

MetricsProcess::MetricsProcess(std::string address, const Segment& segment)
    : address_(std::move(address)), segment_(segment) {}

MetricsProcess::~MetricsProcess() { stop(); }

std::string MetricsProcess::url() const {
  return "http://" + address_.substr(0, address_.rfind(':')) + ":" + std::to_string(port_) + "/metrics";
}

void MetricsProcess::start(const std::function<void()>& in_child) {
  const pid_t parent = ::getpid();
  const ForkedChild child = fork_with_pipe();
  if (child.pid == 0) {
    pid_ = 0;  // this copy has no child to stop when it unwinds
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the supervisor
    if (::getppid() != parent) throw ChildExit{exit_status::internal};
    ::prctl(PR_SET_NAME, "spoa-metrics");  // tells it apart from the workers in ps and /proc
    set_log_worker(-1);
    in_child();
    throw ChildExit{serve(child.fd)};
  }
  pid_ = child.pid;
  owner_ = parent;
  const std::optional<std::string> report = read_report(child.fd);
  ::close(child.fd);
  if (report && !report->empty() && report->front() == listening_tag) {
    port_ = static_cast<std::uint16_t>(std::stoul(report->substr(1)));
    if (address_.ends_with(":0")) address_.replace(address_.size() - 1, 1, std::to_string(port_));
    return;
  }
  stop();
  if (report && !report->empty() && report->front() == failed_tag) throw ServerError(report->substr(1));
  throw ServerError("cannot serve metrics on " + address_ + ": the endpoint process " +
                    (report ? "ended before it listened" : "did not listen within 10 s"));
}

int MetricsProcess::serve(int report_fd) {
  // SIGTERM (from the supervisor, or from the kernel when the supervisor dies) ends the process;
  // SIGHUP is the workers' business.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, s);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  sigdelset(&stop_signals, SIGHUP);
  int status = exit_status::ok;
  try {
    Server server(address_, segment_);
    write_all(report_fd, std::string(1, listening_tag) + std::to_string(server.port()));
    ::close(report_fd);
    int sig = 0;
    while (::sigwait(&stop_signals, &sig) != 0) {
    }
  } catch (const std::exception& e) {
    write_all(report_fd, std::string(1, failed_tag) + e.what());
    ::close(report_fd);
    status = exit_status::listen_failure;
  }
  flush_logs();
  return status;
}

bool MetricsProcess::reaped(pid_t pid) noexcept {
  if (pid_ == 0 || pid != pid_) return false;
  pid_ = 0;
  return true;
}

void MetricsProcess::stop() noexcept {
  if (pid_ == 0 || ::getpid() != owner_) return;
  ::kill(pid_, SIGTERM);
  if (!wait_for_exit(pid_, stop_timeout)) {
    ::kill(pid_, SIGKILL);
    wait_for_exit(pid_, stop_timeout);
  }
  pid_ = 0;
}

}  // namespace spoa::metrics
