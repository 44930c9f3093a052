// spoa's settings: the command line (original flags plus long options) parsed into one struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/logging.hpp"
#include "agent/record_options.hpp"
#include "agent/state_options.hpp"
#include "agent/tls/tls_options.hpp"
#include "spop/agent_connection.hpp"

namespace spoa {

/// Everything the command line sets, with the documented defaults.
struct Options {
  bool debug = false;                        ///< -d: debug logs, foreground, one worker
  std::uint16_t port = 12345;                ///< -p
  bool port_given = false;                   ///< -p was on the command line
  unsigned workers = 5;                      ///< -n
  std::vector<std::filesystem::path> files;  ///< -f, in command-line order
  std::vector<std::string> addresses;        ///< --address; empty = 0.0.0.0 and ::
  std::optional<std::filesystem::path> unix_path;  ///< --unix
  std::optional<std::filesystem::path> ready_file; ///< --ready-file
  std::size_t max_connections = 10000;       ///< per worker
  unsigned threads = 8;                      ///< --threads: executor threads per worker and language
  std::size_t max_calls = 1024;              ///< --max-calls: calls in progress per worker
  std::chrono::milliseconds drain_timeout{5000};
  std::chrono::milliseconds write_timeout{30000};  ///< --write-timeout; 0 = never
  std::optional<std::string> metrics_address;           ///< --metrics-address IPv4:PORT; nullopt = off
  std::chrono::milliseconds restart_backoff{100};       ///< --restart-backoff: first delay before a restart
  std::chrono::milliseconds restart_backoff_max{10000}; ///< --restart-backoff-max: the doubling stops here
  LogLevel log_level = LogLevel::info;
  bool log_level_given = false;
  LogOutput log_output;                      ///< --log-target, --log-format, --syslog-*
  std::optional<std::filesystem::path> config_file;  ///< --config
  bool check = false;                        ///< --check: validate, print, exit

  spop::AgentOptions agent;    ///< protocol limits, timeouts and capabilities of every connection
  EngineOptions engine;        ///< call budget and memory limit (the log sink is set per worker)
  StateOptions state;          ///< --state, --state-size, --state-timeout (main() creates engine.state from it)
  RecordOptions record;        ///< --record and --record-* (agent/record_options.hpp)
  tls::Options tls;            ///< --tls-*: TLS (and mutual TLS) on the TCP listeners

  /// True when TCP listeners are wanted: always unless only --unix was asked for.
  bool listen_tcp() const { return !unix_path || port_given || !addresses.empty(); }
};

/// Either options to run with, or an exit status (usage printed, or a message already on stderr).
struct ParseResult {
  std::optional<Options> options;
  int exit_status = 0;
};

/// Parses argv, after inserting the options of the --config file (see config_file.hpp). -h prints
/// usage on stdout (exit 0); a bad or unknown option prints a message and the short usage on stderr
/// (exit 1). Never throws.
ParseResult parse_options(int argc, const char* const* argv);

/// "250ms", "10s", "2m", or a bare number in `bare_unit`; nullopt when unparsable or negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::chrono::milliseconds bare_unit);
/// "0", "512", "64K", "256M", "1G" (powers of 1024); nullopt when unparsable.
std::optional<std::size_t> parse_size(std::string_view text);
/// "trace", "debug", "info", "warning" (or "warn"), "error", "critical"; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view text);

}  // namespace spoa
