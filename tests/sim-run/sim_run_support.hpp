// Helpers for spop-sim run's tests: input files in a temporary directory turned into a RunPlan by the
// same code as the command line, and the ids of a recorded frame.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "simulator/run/run_options.hpp"

namespace spop::sim::test {

/// Writes `spoe` and `scenario` to a fresh directory and returns options pointing at them.
RunOptions options_for(const std::string& spoe, const std::string& scenario, std::uint16_t port);

/// (stream-id, frame-id) of a recorded frame (LEN prefix included).
std::pair<std::uint64_t, std::uint64_t> ids_of(const std::vector<std::byte>& frame);

/// An ACK (LEN included) with the same ids as `notify` and no action.
std::vector<std::byte> empty_ack_for(const std::vector<std::byte>& notify, std::uint32_t flags = 1,
                                     std::int64_t sid_delta = 0);

/// A one-message SPOE file (agent `a`, message `m1` with args ip=src and n=int(7), var-prefix `p`).
std::string basic_spoe(const std::string& extra_agent_lines = "");

/// A scenario with `load` (YAML flow mapping) and `rest` appended.
std::string basic_scenario(const std::string& load, const std::string& rest = "");

}  // namespace spop::sim::test
