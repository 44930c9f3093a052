// How `hello`, `check` and `send` show what happened on a connection: the handshake, an ACK with
// HAProxy's variable names, and failures, as text for people and as JSON for machines.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "spop-cli/client.hpp"

namespace spop_cli {

/// "fmt 1.234 ms"-style milliseconds with 3 decimals.
std::string ms_text(std::chrono::nanoseconds d);
double to_ms(std::chrono::nanoseconds d);

/// The lines under "agent ... accepted the HELLO": version, max-frame-size, capabilities.
void print_handshake(std::ostream& os, const Handshake& h, std::uint32_t offered_frame_size);
nlohmann::json handshake_json(const Handshake& h, std::uint32_t offered_frame_size);

/// "ACK stream-id=0 frame-id=1 in 0.312 ms: 2 actions" and one line per action:
/// "  set-var txn.iprep.ip_score = int32:42".
void print_ack(std::ostream& os, const AckResult& ack);
nlohmann::json ack_json(const AckResult& ack);

/// {"kind": "refused", "message": "...", "status": 8, "agent_message": "...", "offset": 12}.
nlohmann::json failure_json(const Failure& f);
/// "refused", "timeout", "disconnected"...
std::string_view to_string(FailureKind k) noexcept;

}  // namespace spop_cli
