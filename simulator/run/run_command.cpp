// `spop-sim run`: parses the command line, builds the plan, runs it and prints the report.
#include "simulator/run/run_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "simulator/run/run_options.hpp"
#include "simulator/run/runner.hpp"

namespace spop::sim {

namespace {

void print_progress(const RunReport& r) {
  char line[160];
  const double rate = r.elapsed_s > 0 ? static_cast<double>(r.completed) / r.elapsed_s : 0;
  std::snprintf(line, sizeof line, "\r%6.1fs  %10.0f req/s  %8llu errors  p99 %.3f ms   ", r.elapsed_s, rate,
                static_cast<unsigned long long>(r.errors), static_cast<double>(r.latency.value_at(0.99)) / 1e6);
  std::fputs(line, stderr);
  std::fflush(stderr);
}

bool unreachable(const RunReport& r) {
  if (r.completed > 0 || r.sent > 0) return false;
  for (const auto& [kind, n] : r.errors_by_kind)
    if (kind.starts_with("connect") || kind.starts_with("no connection")) return true;
  return false;
}

}  // namespace

int run_command(int argc, char** argv) {
  std::string error;
  std::optional<int> exit_now;
  const std::optional<RunOptions> options = parse_run_options(argc, argv, error, exit_now);
  if (exit_now) return *exit_now;
  if (!options) {
    std::fprintf(stderr, "spop-sim run: %s (see spop-sim run --help)\n", error.c_str());
    return 2;
  }
  RunPlan plan;
  try {
    plan = make_plan(*options);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "spop-sim run: configuration error:\n%s\n", e.what());
    return 2;
  }
  RunHooks hooks;
  const bool live = !options->quiet && ::isatty(STDERR_FILENO) == 1;
  if (live) hooks.progress = print_progress;
  const RunReport report = run_simulation(plan, hooks);
  if (live) std::fputs("\r\033[K", stderr);
  if (options->json) std::cout << to_json(report).dump(2) << "\n";
  else std::cout << to_text(report);
  if (!options->html.empty()) {
    std::ofstream html(options->html, std::ios::binary);
    html << to_html(report);
    if (!html) {
      std::fprintf(stderr, "spop-sim run: cannot write %s\n", options->html.c_str());
      return 2;
    }
  }
  if (unreachable(report)) {
    std::fprintf(stderr, "spop-sim run: the agent at %s could not be reached\n", report.agent.c_str());
    return 3;
  }
  return report.expectations_failed() ? 1 : 0;
}

}  // namespace spop::sim
