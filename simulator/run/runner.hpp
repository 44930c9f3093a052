// The event loop of `spop-sim run`: plays HAProxy toward the agent with a pool of SPOP connections
// (each driven by spop::HaproxyConnection), paces requests (closed loop or open arrival rate), applies
// the processing timeout, injects the scenario's faults, applies ACK actions as HAProxy would and
// checks the expectations. Single-threaded, non-blocking sockets and poll().
#pragma once

#include <chrono>
#include <functional>

#include "simulator/run/run_plan.hpp"
#include "simulator/run/run_report.hpp"

namespace spop::sim {

struct RunHooks {
  /// Called about every `progress_interval` with the report so far (for the live progress line).
  std::function<void(const RunReport&)> progress;
  std::chrono::milliseconds progress_interval{500};
};

/// Runs the plan to completion (count reached, or duration over, then in-flight requests settled).
/// Never throws for what the agent does; a failure to reach it at all is in errors_by_kind
/// ("connect: ...") with completed == 0.
RunReport run_simulation(const RunPlan& plan, const RunHooks& hooks = {});

}  // namespace spop::sim
