#include "agent/engines/support/call_text.hpp"

namespace spoa {

std::string describe(const CallInfo& call) {
  return "message '" + std::string(call.message) + "' (stream " + std::to_string(call.stream_id) + ", frame " +
         std::to_string(call.frame_id) + ")";
}

}  // namespace spoa
