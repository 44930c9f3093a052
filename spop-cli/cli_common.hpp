// What every subcommand shares: running a TCLAP command line the spop-cli way (help with examples,
// errors as one line and exit status 1), reading repeatable options in command-line order, durations,
// and the connection options (--host/--port/--unix, --timeout, --max-frame-size, --trace, --profile,
// --tls...).
//
// TCLAP has no subcommands: main() dispatches on argv[1] and each subcommand builds its own CmdLine
// whose program name is "spop-cli <subcommand>".
#pragma once

#include <tclap/CmdLine.h>

#include <chrono>
#include <istream>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netclient/tls_args.hpp"
#include "spop-cli/client.hpp"

namespace spop_cli {

/// A subcommand's arguments: argv[0] is "spop-cli <subcommand>", the rest follows.
struct CommandArgs {
  std::vector<std::string> args;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

/// Parses `cmd`. Returns nullopt when the command should run, or the exit status to return at once:
/// 0 after --help/--version, exit_status::failed (1) after a usage error, which is printed to `err` as
/// "spop-cli send: --port: ..." plus a pointer to --help. `examples` is appended to --help.
std::optional<int> parse_command_line(TCLAP::CmdLine& cmd, const CommandArgs& a, std::string_view examples,
                                      int usage_status = 1);

/// The values of the options named in `wanted` (long names without "--"), in command-line order, as
/// (long name, value) pairs. TCLAP keeps each MultiArg's values apart, which loses the order between
/// --msg and --arg; this scan uses `cmd`'s own list of options so that the values of other options
/// are skipped and never taken for names.
std::vector<std::pair<std::string, std::string>> ordered_values(TCLAP::CmdLine& cmd,
                                                                const std::vector<std::string>& args,
                                                                const std::set<std::string>& wanted);

/// "250ms", "2s", "1.5s", "1m", or a bare number of milliseconds. Errors: "" means success.
std::string parse_duration(std::string_view text, std::chrono::milliseconds& out);

/// The options that say which agent to talk to and how HAProxy should behave.
class ConnectionArgs {
 public:
  /// Adds the options to `cmd`. `with_session` adds those that only matter once connected
  /// (--var-prefix, --no-pipelining, --no-async, --engine-id): `check` has none of them.
  ConnectionArgs(TCLAP::CmdLine& cmd, bool with_session);

  /// Reads the parsed values. Returns "" or a usage error.
  std::string resolve(Endpoint& endpoint, ClientOptions& options, std::ostream& trace_stream);
  std::string profile_text() const { return profile_.getValue(); }
  std::string var_prefix() const { return var_prefix_.getValue(); }

 private:
  TCLAP::ValueArg<std::string> host_;
  TCLAP::ValueArg<int> port_;
  TCLAP::ValueArg<std::string> unix_;
  TCLAP::ValueArg<std::string> timeout_;
  TCLAP::ValueArg<std::string> max_frame_size_;
  TCLAP::ValueArg<std::string> profile_;
  TCLAP::SwitchArg trace_;
  TCLAP::ValueArg<std::string> var_prefix_;
  TCLAP::SwitchArg no_pipelining_;
  TCLAP::SwitchArg no_async_;
  TCLAP::ValueArg<std::string> engine_id_;
  spop::netclient::TlsArgs tls_;
  bool with_session_;
};

/// The version printed by --version.
std::string_view cli_version() noexcept;

}  // namespace spop_cli
