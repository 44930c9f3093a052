// Exit statuses of spoa (the supervisor's and a worker's), documented in docs/agent.md ("Exit status").
#pragma once

namespace spoa::exit_status {

inline constexpr int ok = 0;             ///< -h, or a clean shutdown after SIGTERM/SIGINT
inline constexpr int usage = 1;          ///< bad command line, unknown script suffix
inline constexpr int load_failure = 2;   ///< a script failed to load, or a message name is registered twice
inline constexpr int listen_failure = 3; ///< an address could not be bound
inline constexpr int internal = 4;       ///< fork, pipe or another system call failed; a worker died at start-up

}  // namespace spoa::exit_status
