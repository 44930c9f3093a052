// How the engines name a handler call in their records.
#pragma once

#include <string>

#include "agent/engines/engine.hpp"

namespace spoa {

/// "message 'check-client-ip' (stream 1, frame 2)": the prefix of call errors and of spoa.log() records of
/// the Python and PHP engines.
std::string describe(const CallInfo& call);

}  // namespace spoa
