// `spop-sim replay FILE...`: replays recorded traffic against an agent and reports what differs.
#pragma once

namespace spop::sim {

/// Exit status: 0 no difference, 1 differences or failed calls, 2 usage, configuration or input error,
/// 3 the agent could not be reached.
int replay_command(int argc, char** argv);

}  // namespace spop::sim
