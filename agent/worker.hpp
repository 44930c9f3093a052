// One worker process: loads the scripts, accepts on the shared sockets and serves connections on a
// single thread until SIGTERM/SIGINT, then drains.
#pragma once

#include <functional>

namespace spoa {

struct Options;
class Listeners;
class AcceptBalance;
namespace metrics {
struct WorkerCounters;
}

/// What run_worker() needs besides the options.
struct WorkerParams {
  int index = 0;                  ///< 0..n-1, for log lines
  bool handle_sighup = false;     ///< SIGHUP reloads the scripts (else it is left to the caller's disposition)
  std::function<void()> on_ready; ///< called once scripts are loaded and accepting has started
  std::function<void(bool ok)> on_reload;      ///< called after each reload, with its outcome
  metrics::WorkerCounters* metrics = nullptr;  ///< this worker's metrics slot; nullptr: metrics off
  AcceptBalance* balance = nullptr;            ///< shared with the other workers; nullptr: alone
};

/// Runs the worker and returns its exit status (exit_status::ok after a drain, load_failure when the
/// scripts cannot be loaded: that message is logged here, once).
int run_worker(const Options& options, const Listeners& listeners, const WorkerParams& params);

}  // namespace spoa
