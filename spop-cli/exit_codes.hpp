// spop-cli's exit statuses, in one place because scripts depend on them (docs/spop-cli.md: "Errors and exit statuses").
#pragma once

namespace spop_cli::exit_status {

inline constexpr int ok = 0;
/// An --expect did not hold, the command line or an input file is wrong, or the NOTIFY asked for does
/// not fit in the negotiated frame size.
inline constexpr int failed = 1;
/// The agent refused (AGENT-DISCONNECT), closed or reset the connection, or broke the protocol;
/// `decode`: the frames are malformed.
inline constexpr int agent_error = 2;
/// The agent could not be reached: connection refused, no such socket, unknown host, or no connection
/// or answer within --timeout.
inline constexpr int unreachable = 3;

}  // namespace spop_cli::exit_status

/// `check` follows the monitoring-plugin conventions (Nagios, Icinga, Zabbix...) instead.
namespace spop_cli::check_status {

inline constexpr int ok = 0;        ///< the agent answered the health check
inline constexpr int warning = 1;   ///< it answered, but slower than --warning
inline constexpr int critical = 2;  ///< refused, unreachable, timed out, or broke the protocol
inline constexpr int unknown = 3;   ///< bad command line

}  // namespace spop_cli::check_status
