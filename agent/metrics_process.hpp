// The --metrics-address endpoint in a process of its own, forked by the supervisor.
//
// The endpoint (prometheus-cpp on civetweb) runs threads. A process that forks must not have any: the
// child inherits every lock another thread held at the fork (the allocator's, a library's) and can
// deadlock on it. So the supervisor, which forks every worker and every restart, stays single-threaded
// and leaves the HTTP threads to this process, which reads the same shared counters.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace spoa::metrics {

class Segment;

class MetricsProcess {
 public:
  /// `segment` must be mapped shared and outlive this object. Nothing runs before start().
  MetricsProcess(std::string address, const Segment& segment);
  MetricsProcess(const MetricsProcess&) = delete;
  MetricsProcess& operator=(const MetricsProcess&) = delete;
  /// Stops the process (stop()).
  ~MetricsProcess();

  /// Forks the endpoint process and returns once it listens. In the parent: throws ServerError (see
  /// metrics_server.hpp) saying why it could not. In the child: runs `in_child` first (to close what the
  /// endpoint must not hold), serves until SIGTERM/SIGINT or the parent's death, then throws ChildExit.
  /// A restart binds the port chosen by the first start (so "PORT 0" keeps one port).
  void start(const std::function<void()>& in_child);

  /// The running process, or 0.
  pid_t pid() const noexcept { return pid_; }
  /// "http://127.0.0.1:9100/metrics", for the log.
  std::string url() const;
  /// For a child reaped by the supervisor: true (and forgets it) when it was this process.
  bool reaped(pid_t pid) noexcept;
  /// SIGTERM, then SIGKILL if it has not ended within a few seconds; waits for it. Only in the process
  /// that started it.
  void stop() noexcept;

 private:
  int serve(int report_fd);

  std::string address_;
  const Segment& segment_;
  std::uint16_t port_ = 0;
  pid_t pid_ = 0;
  pid_t owner_ = 0;  // the process that started it: a forked worker's copy of this object stops nothing
};

}  // namespace spoa::metrics
