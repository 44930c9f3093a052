// The supervising parent: fork workers after binding, watch them through a signalfd and ready pipes,
// restart the dead ones with back-off, forward SIGTERM/SIGINT and wait for the drain.
#include "agent/supervisor.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/accept_balance.hpp"
#include "agent/child_exit.hpp"
#include "agent/exit_status.hpp"
#include "agent/fork_with_pipe.hpp"
#include "agent/listener.hpp"
#include "agent/logging.hpp"
#include "agent/metrics_segment.hpp"
#include "agent/metrics_process.hpp"
#include "agent/metrics_server.hpp"
#include "agent/options.hpp"
#include "agent/ready_file.hpp"
#include "agent/systemd.hpp"
#include "agent/worker.hpp"

namespace spoa {

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds healthy_run{10'000};  // a worker that lived this long restarts without delay growth
constexpr milliseconds kill_grace{2'000};    // after --drain-timeout, before SIGKILL
// What a worker writes to its status pipe (kept open for the worker's life).
constexpr char ready_byte = 'r';
constexpr char load_failed_byte = 'f';
constexpr char reload_ok_byte = 'o';
constexpr char reload_failed_byte = 'x';

constexpr milliseconds metrics_restart_delay{1'000};  // after the metrics process died

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* abbrev = ::sigabbrev_np(WTERMSIG(status));
    std::string name = abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(WTERMSIG(status));
    return "was killed by " + name + (WCOREDUMP(status) ? " (core dumped)" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

// Descriptors are a scarce resource for an agent with thousands of connections: use all we may.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

class Supervisor {
 public:
  Supervisor(const Options& options, Listeners& listeners, metrics::Segment* metrics,
             metrics::MetricsProcess* metrics_process)
      : options_(options),
        listeners_(listeners),
        slots_(options.workers),
        metrics_(metrics),
        metrics_process_(metrics_process) {
    sigemptyset(&handled_);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled_, s);
    ::sigprocmask(SIG_BLOCK, &handled_, &previous_mask_);
    signal_fd_ = ::signalfd(-1, &handled_, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
    pid_ = ::getpid();
  }

  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Passive: also runs in a child that unwinds after fork, which must not touch its siblings.
  ~Supervisor() {
    for (auto& s : slots_) close_ready(s);
    if (signal_fd_ >= 0) ::close(signal_fd_);
    ::sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
  }

  int run() {
    set_log_worker(-1);
    // Worker 0 alone first: if the scripts do not load, it says why once and nothing else is forked.
    spawn(0);
    if (auto failed = wait_until_ready()) return *failed;
    for (int i = 1; i < static_cast<int>(slots_.size()); ++i) spawn(i);
    if (auto failed = wait_until_ready()) return *failed;
    if (options_.ready_file && !write_ready_file(*options_.ready_file, listeners_)) {
      stop_workers();
      return exit_status::internal;
    }
    spdlog::info("{} worker(s) ready", slots_.size());
    notify_ready(fmt::format("{} worker(s) serving", slots_.size()));  // systemd: Type=notify
    return supervise();
  }

 private:
  struct Slot {
    pid_t pid = 0;
    int ready_fd = -1;
    bool ready = false;
    bool load_failed = false;
    SteadyClock::time_point started{};
    std::optional<SteadyClock::time_point> restart_at;
    milliseconds backoff{0};
    bool reload_pending = false;  // SIGHUP came before it was ready: send it once it is
    bool reload_awaited = false;  // SIGHUP sent: its outcome has not come back yet
  };

  void spawn(int index) {
    Slot& slot = slots_[static_cast<std::size_t>(index)];
    const ForkedChild child = fork_with_pipe();
    if (child.pid == 0) throw ChildExit{run_child(index, child.fd)};
    slot.pid = child.pid;
    slot.ready_fd = child.fd;
    slot.ready = false;
    slot.load_failed = false;
    slot.started = SteadyClock::now();
    slot.restart_at.reset();
    slot.reload_pending = slot.reload_awaited = false;  // it loads the files as they are now
    if (metrics_ != nullptr) metrics_->supervisor().workers_running.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("worker {} started (pid {})", index, child.pid);
  }

  int run_child(int index, int ready_fd) {
    // A worker must not outlive its supervisor (no orphans holding the port).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != pid_) return exit_status::internal;
    ::close(signal_fd_);
    signal_fd_ = -1;
    for (auto& s : slots_) close_ready(s);
    // Ignored until the worker's loop takes SIGHUP over: a reload asked for before that is sent again
    // by the supervisor once the worker is ready.
    ::signal(SIGHUP, SIG_IGN);
    ::sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
    set_log_worker(index);
    forget_notify_socket();  // systemd: only the supervisor speaks for the service
    WorkerParams params;
    params.index = index;
    params.handle_sighup = true;
    params.metrics = metrics_ != nullptr ? &metrics_->worker(static_cast<unsigned>(index)) : nullptr;
    params.balance = &balance_;
    params.on_ready = [ready_fd] {
      char c = ready_byte;
      [[maybe_unused]] auto n = ::write(ready_fd, &c, 1);
    };
    params.on_reload = [ready_fd](bool ok) {
      char c = ok ? reload_ok_byte : reload_failed_byte;
      [[maybe_unused]] auto n = ::write(ready_fd, &c, 1);
    };
    int status = exit_status::internal;
    try {
      status = run_worker(options_, listeners_, params);
    } catch (const std::exception& e) {
      spdlog::critical("worker {} failed: {}", index, e.what());
    }
    if (status == exit_status::load_failure) {
      // Said through the pipe too: the exit status alone can be changed on the way out (for example
      // by a leak checker reporting an embedded interpreter's leftovers).
      char c = load_failed_byte;
      [[maybe_unused]] auto n = ::write(ready_fd, &c, 1);
    }
    ::close(ready_fd);
    flush_logs();
    return status;
  }

  static void close_ready(Slot& s) {
    if (s.ready_fd >= 0) ::close(s.ready_fd);
    s.ready_fd = -1;
  }

  // Start-up: waits until every live slot reported ready. Any death before that ends start-up:
  // returns the exit status, after stopping the workers already running.
  std::optional<int> wait_until_ready() {
    for (;;) {
      if (std::all_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.pid == 0 || s.ready; })) {
        return std::nullopt;
      }
      std::vector<pollfd> fds = poll_set();
      if (::poll(fds.data(), fds.size(), watchdog_.clamp(-1)) < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "poll");
      }
      watchdog_.ping_if_due();  // systemd: slow script loading must not look like a hang
      read_ready_pipes(fds);
      for (int sig : read_signals()) {
        if (sig == SIGTERM || sig == SIGINT) {
          spdlog::info("{} during start-up: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
          notify_stopping("stopping during start-up");
          stop_workers();
          return exit_status::ok;
        }
        if (sig == SIGHUP) on_sighup();
        if (sig != SIGCHLD) continue;
        for (auto [index, status] : reap()) {
          const Slot& s = slots_[index];
          if (s.ready) {  // died right after reporting ready: restart like any other death
            schedule_restart(index, status);
            continue;
          }
          stop_workers();
          if (s.load_failed || (WIFEXITED(status) && WEXITSTATUS(status) == exit_status::load_failure)) {
            return exit_status::load_failure;  // the worker already logged the cause
          }
          spdlog::critical("worker {} {} during start-up", index, describe_status(status));
          return exit_status::internal;
        }
      }
    }
  }

  int supervise() {
    for (;;) {
      std::vector<pollfd> fds = poll_set();
      if (::poll(fds.data(), fds.size(), watchdog_.clamp(poll_timeout_ms())) < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "poll");
      }
      watchdog_.ping_if_due();
      read_ready_pipes(fds);
      for (int sig : read_signals()) {
        if (sig == SIGTERM || sig == SIGINT) {
          spdlog::info("{}: stopping {} worker(s)", sig == SIGTERM ? "SIGTERM" : "SIGINT", live_count());
          notify_stopping(fmt::format("stopping {} worker(s)", live_count()));
          stop_workers();
          return exit_status::ok;
        }
        if (sig == SIGHUP) on_sighup();
        if (sig == SIGCHLD) {
          for (auto [index, status] : reap()) schedule_restart(index, status);
        }
      }
      auto now = SteadyClock::now();
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].pid == 0 && slots_[i].restart_at && *slots_[i].restart_at <= now) spawn(static_cast<int>(i));
      }
      if (metrics_restart_at_ && *metrics_restart_at_ <= now) restart_metrics();
    }
  }

  void schedule_restart(std::size_t index, int status) {
    Slot& s = slots_[index];
    auto ran = SteadyClock::now() - s.started;
    s.backoff = (ran >= healthy_run || s.backoff.count() == 0) ? options_.restart_backoff
                                                                : std::min(s.backoff * 2, options_.restart_backoff_max);
    s.restart_at = SteadyClock::now() + s.backoff;
    if (metrics_ != nullptr) metrics_->supervisor().worker_restarts.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("worker {} {} after running {} ms; restarting it in {} ms", index, describe_status(status),
                 std::chrono::duration_cast<milliseconds>(ran).count(), s.backoff.count());
    notify_status(fmt::format("worker {} {}; restarting it", index, describe_status(status)));
  }

  // --- reload (SIGHUP) ---------------------------------------------------------------------------
  // Each ready worker gets SIGHUP and reloads in place; one still starting gets it once it is ready.
  // Each answers through its status pipe; when every answer is in (or its worker died: a restarted
  // worker loads the files as they are), the round is over.
  void on_sighup() {
    // systemd: RELOADING=1 now, READY=1 when the round is over (finish_reload_round_if_done).
    notify_reloading("reloading");
    spdlog::info("SIGHUP: reloading the scripts of {} worker(s)", live_count());
    for (auto& s : slots_) {
      if (s.pid <= 0) continue;
      if (s.ready) {
        ::kill(s.pid, SIGHUP);
        s.reload_awaited = true;
      } else {
        s.reload_pending = true;
      }
    }
    if (!reload_round_) reload_ok_ = reload_failed_ = 0;
    reload_round_ = true;
    finish_reload_round_if_done();
  }

  void on_reload_outcome(Slot& s, bool ok) {
    s.reload_awaited = false;
    ++(ok ? reload_ok_ : reload_failed_);
    finish_reload_round_if_done();
  }

  void finish_reload_round_if_done() {
    if (!reload_round_) return;
    for (const auto& s : slots_) {
      if (s.pid > 0 && (s.reload_pending || s.reload_awaited)) return;
    }
    reload_round_ = false;
    notify_ready(fmt::format("{} worker(s) serving", live_count()));
    // The point where the whole agent serves the new scripts (or kept the old ones).
    if (reload_failed_ == 0) {
      spdlog::info("reload done: {} worker(s) serve the new scripts", reload_ok_);
    } else {
      spdlog::error("reload done: {} worker(s) kept their old scripts (see their errors above), {} reloaded",
                    reload_failed_, reload_ok_);
    }
  }

  // Forwards SIGTERM and waits for every worker, with SIGKILL after --drain-timeout plus a grace.
  void stop_workers() {
    for (const auto& s : slots_) {
      if (s.pid > 0) ::kill(s.pid, SIGTERM);
    }
    auto deadline = SteadyClock::now() + options_.drain_timeout + kill_grace;
    bool killed = false;
    while (live_count() > 0) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count();
      if (left <= 0 && !killed) {
        spdlog::warn("{} worker(s) still running after the drain timeout: killing them", live_count());
        for (const auto& s : slots_) {
          if (s.pid > 0) ::kill(s.pid, SIGKILL);
        }
        killed = true;
      }
      pollfd pfd{signal_fd_, POLLIN, 0};
      ::poll(&pfd, 1, killed ? 1000 : static_cast<int>(std::max<long long>(left, 1)));
      read_signals();  // SIGTERM again while stopping changes nothing
      for (auto [index, status] : reap()) {
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
          spdlog::info("worker {} {}", index, describe_status(status));
        }
      }
    }
    for (auto& s : slots_) s.restart_at.reset();
  }

  std::vector<std::pair<std::size_t, int>> reap() {
    std::vector<std::pair<std::size_t, int>> out;
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (metrics_process_ != nullptr && metrics_process_->reaped(pid)) {
        spdlog::error("the metrics endpoint process (pid {}) {}; restarting it in {} ms", pid, describe_status(status),
                      metrics_restart_delay.count());
        metrics_restart_at_ = SteadyClock::now() + metrics_restart_delay;
        continue;
      }
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].pid != pid) continue;
        slots_[i].pid = 0;
        close_ready(slots_[i]);
        balance_.set_accepting(static_cast<unsigned>(i), false);  // its connections died with it
        balance_.set_connections(static_cast<unsigned>(i), 0);
        slots_[i].reload_pending = slots_[i].reload_awaited = false;
        if (metrics_ != nullptr) {
          // Its connections died with it; its counters stay for the next worker of this slot.
          metrics_->worker(static_cast<unsigned>(i)).connections.store(0, std::memory_order_relaxed);
          metrics_->worker(static_cast<unsigned>(i)).state.unavailable.store(0, std::memory_order_relaxed);
          metrics_->supervisor().workers_running.fetch_sub(1, std::memory_order_relaxed);
        }
        out.emplace_back(i, status);
      }
    }
    if (!out.empty()) finish_reload_round_if_done();
    return out;
  }

  std::vector<int> read_signals() {
    std::vector<int> out;
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      out.push_back(static_cast<int>(info.ssi_signo));
    }
    return out;
  }

  std::vector<pollfd> poll_set() const {
    std::vector<pollfd> fds{{signal_fd_, POLLIN, 0}};
    for (const auto& s : slots_) {
      if (s.ready_fd >= 0) fds.push_back({s.ready_fd, POLLIN, 0});
    }
    return fds;
  }

  void read_ready_pipes(const std::vector<pollfd>& fds) {
    for (const auto& p : fds) {
      if (p.fd == signal_fd_ || p.revents == 0) continue;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (s.ready_fd != p.fd) continue;
        char bytes[64];
        const ssize_t n = ::read(s.ready_fd, bytes, sizeof bytes);
        if (n <= 0) {
          close_ready(s);  // EOF: the worker is ending; SIGCHLD follows
          continue;
        }
        for (ssize_t k = 0; k < n; ++k) on_status_byte(i, bytes[k]);
      }
    }
  }

  void on_status_byte(std::size_t index, char c) {
    Slot& s = slots_[index];
    if (c == ready_byte) {
      s.ready = true;
      spdlog::debug("worker {} ready (pid {})", index, s.pid);
      if (s.reload_pending) {
        s.reload_pending = false;
        s.reload_awaited = true;
        ::kill(s.pid, SIGHUP);
      }
    } else if (c == load_failed_byte) {
      s.load_failed = true;
    } else if (c == reload_ok_byte || c == reload_failed_byte) {
      on_reload_outcome(s, c == reload_ok_byte);
    }
  }

  // A restarted endpoint binds the same address; if it cannot, the agent serves on without metrics.
  void restart_metrics() {
    metrics_restart_at_.reset();
    try {
      metrics_process_->start([this] { close_inherited(); });
      spdlog::info("metrics on {} again", metrics_process_->url());
    } catch (const metrics::ServerError& e) {
      spdlog::error("{}: the agent goes on without metrics", e.what());
    }
  }

  // In the metrics process: it serves HTTP only, so it drops the SPOP sockets and the supervisor's fds.
  void close_inherited() {
    ::close(signal_fd_);
    signal_fd_ = -1;
    for (auto& s : slots_) close_ready(s);
    listeners_.close_all();
  }

  int poll_timeout_ms() const {
    std::optional<SteadyClock::time_point> next = metrics_restart_at_;
    for (const auto& s : slots_) {
      if (s.pid == 0 && s.restart_at && (!next || *s.restart_at < *next)) next = s.restart_at;
    }
    if (!next) return -1;
    auto ms = std::chrono::duration_cast<milliseconds>(*next - SteadyClock::now()).count() + 1;
    return static_cast<int>(std::clamp<long long>(ms, 0, options_.restart_backoff_max.count()));
  }

  int live_count() const {
    return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.pid > 0; }));
  }

  // systemd: WATCHDOG=1 every half WatchdogSec, from the supervision loop (a stuck loop stops it).
  struct Watchdog {
    std::optional<milliseconds> interval = watchdog_interval();
    SteadyClock::time_point next = SteadyClock::now();

    int clamp(int timeout_ms) const {
      if (!interval) return timeout_ms;
      auto left = std::chrono::duration_cast<milliseconds>(next - SteadyClock::now()).count();
      auto w = static_cast<int>(std::clamp<long long>(left, 0, interval->count()));
      return timeout_ms < 0 ? w : std::min(timeout_ms, w);
    }
    void ping_if_due() {
      if (!interval || SteadyClock::now() < next) return;
      notify_watchdog();
      next = SteadyClock::now() + *interval;
    }
  };

  const Options& options_;
  Listeners& listeners_;
  Watchdog watchdog_;
  std::vector<Slot> slots_;
  sigset_t handled_{};
  sigset_t previous_mask_{};
  int signal_fd_ = -1;
  pid_t pid_ = 0;
  metrics::Segment* metrics_;
  metrics::MetricsProcess* metrics_process_;
  AcceptBalance balance_{static_cast<unsigned>(slots_.size())};  // mapped before the first fork
  std::optional<SteadyClock::time_point> metrics_restart_at_;
  bool reload_round_ = false;
  int reload_ok_ = 0;
  int reload_failed_ = 0;
};

int run_foreground(const Options& options, Listeners& listeners, metrics::Segment* metrics) {
  set_log_worker(0);
  WorkerParams params;
  params.index = 0;
  params.handle_sighup = true;
  if (metrics != nullptr) {
    params.metrics = &metrics->worker(0);
    metrics->supervisor().workers_running.store(1, std::memory_order_relaxed);
  }
  bool ready_ok = true;
  params.on_ready = [&] {
    if (options.ready_file) ready_ok = write_ready_file(*options.ready_file, listeners);
    spdlog::info("ready (foreground, one worker)");
    notify_ready("serving (foreground, one worker)");  // systemd: Type=notify
  };
  int status = run_worker(options, listeners, params);
  return ready_ok ? status : exit_status::internal;
}

}  // namespace

int run_agent(const Options& options) {
  // A peer that closes while we write must give us EPIPE, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  std::optional<Listeners> listeners;
  try {
    listeners.emplace(options);
  } catch (const ListenError& e) {
    spdlog::critical("{}", e.what());
    return exit_status::listen_failure;
  }
  for (const auto& s : listeners->sockets()) spdlog::info("listening on {}", s.display());

  // Metrics: the segment is mapped and the endpoint listens before any worker is forked, so that a bad
  // address stops start-up like a bad listening address does. Supervised, the endpoint runs in a process
  // of its own (see metrics_process.hpp); with -d there is no fork and it runs here.
  std::unique_ptr<metrics::Segment> metrics;
  std::unique_ptr<metrics::Server> metrics_server;
  std::unique_ptr<metrics::MetricsProcess> metrics_process;
  int status = exit_status::ok;
  bool child = false;
  try {
    if (options.metrics_address) {
      try {
        metrics = std::make_unique<metrics::Segment>(options.workers);
        if (options.debug) {
          metrics_server = std::make_unique<metrics::Server>(*options.metrics_address, *metrics);
        } else {
          metrics_process = std::make_unique<metrics::MetricsProcess>(*options.metrics_address, *metrics);
          metrics_process->start([&] { listeners->close_all(); });
        }
      } catch (const metrics::ServerError& e) {
        spdlog::critical("{}", e.what());
        listeners->remove_unix_socket();
        return exit_status::listen_failure;
      }
      spdlog::info("metrics on {}", metrics_server ? metrics_server->url() : metrics_process->url());
    }
    if (options.debug) {
      status = run_foreground(options, *listeners, metrics.get());
    } else {
      Supervisor supervisor(options, *listeners, metrics.get(), metrics_process.get());
      status = supervisor.run();
    }
  } catch (const ChildExit& e) {
    child = true;
    status = e.status;
  } catch (const std::system_error& e) {
    spdlog::critical("{}", e.what());
    status = exit_status::internal;
  }
  if (!child) listeners->remove_unix_socket();
  return status;
}

}  // namespace spoa
