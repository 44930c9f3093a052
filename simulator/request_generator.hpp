// Turns a scenario into a deterministic stream of simulated requests: the same scenario and seed give
// the same requests, in the same order, on every platform (see prng.hpp). Pacing (closed loop, rate)
// is the driver's business; this only decides what each request looks like.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simulator/prng.hpp"
#include "simulator/request.hpp"
#include "simulator/scenario.hpp"

namespace spop::sim {

class RequestGenerator {
 public:
  /// Uses the scenario's seed. `scenario` must outlive the generator.
  explicit RequestGenerator(const Scenario& scenario);
  RequestGenerator(const Scenario& scenario, std::uint64_t seed);

  /// The next request: a template chosen by weight, a client address from the template's (or the
  /// scenario's) ranges, a client port in client_ports, then the url and headers expanded in order.
  Request next();
  /// The same into an existing Request, reusing its strings' capacity (no allocation in steady state).
  void next(Request& out);

  /// How many requests next() has produced; also the {seq} of the next one.
  std::uint64_t produced() const noexcept { return seq_; }
  /// Index in scenario.requests of the template the last next() used.
  std::size_t last_template() const noexcept { return last_; }

 private:
  std::size_t pick_template();

  const Scenario& scenario_;
  Prng prng_;
  std::uint64_t total_weight_ = 0;
  std::uint64_t seq_ = 0;
  std::size_t last_ = 0;
};

}  // namespace spop::sim
