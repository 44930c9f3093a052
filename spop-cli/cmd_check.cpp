// spop-cli check: HAProxy's SPOP health check (`option spop-check`), reported the way monitoring plugins
// do: one line "SPOP OK - ..." with performance data, and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
#include <cstdio>

#include "spop-cli/commands.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/session_report.hpp"

namespace spop_cli {

namespace {

constexpr std::string_view check_examples =
    "  spop-cli check                       # SPOP OK - ... | time=0.000512s\n"
    "  spop-cli check -H agent1 -p 12345 --timeout 2s --warning 200ms\n"
    "  spop-cli check --unix /run/spoa.sock";

// Monitoring plugins report times in seconds in the performance data.
std::string perfdata(std::chrono::nanoseconds d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "time=%.6fs", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

int run_check(const CommandArgs& a) {
  TCLAP::CmdLine cmd(
      "Send the health check HAProxy sends with `option spop-check` (a HELLO with "
      "healthcheck=true) and report in one line whether the agent is up. Exit status: 0 OK, "
      "1 WARNING (slower than --warning), 2 CRITICAL (refused, unreachable, timed out or a "
      "bad answer), 3 UNKNOWN (bad command line).",
      ' ', std::string(cli_version()));
  ConnectionArgs conn(cmd, false);
  TCLAP::ValueArg<std::string> warning("w", "warning", "WARNING when the check takes longer than this (500ms, 1s)",
                                       false, "", "DURATION", cmd);
  if (auto status = parse_command_line(cmd, a, check_examples, check_status::unknown)) return *status;

  Endpoint endpoint;
  ClientOptions options;
  std::chrono::milliseconds warn_after{0};
  std::string err = conn.resolve(endpoint, options, a.err);
  if (err.empty() && warning.isSet()) {
    err = parse_duration(warning.getValue(), warn_after);
    if (!err.empty()) err = "--warning: " + err;
  }
  if (!err.empty()) {
    a.out << "SPOP UNKNOWN - " << err << "\n";
    return check_status::unknown;
  }
  options.haproxy.healthcheck = true;

  const auto start = spop::Clock::now();
  Client client(endpoint, options);
  if (auto f = client.connect()) {
    const std::string what = f->kind == FailureKind::disconnected
                                 ? endpoint.to_string() + " refused the health check: status " +
                                       std::to_string(static_cast<std::uint32_t>(f->status)) + " \"" +
                                       f->agent_message + "\""
                                 : f->message;
    a.out << "SPOP CRITICAL - " << what << "\n";
    return check_status::critical;
  }
  const auto took = spop::Clock::now() - start;
  const Handshake& h = client.handshake();
  const bool slow = warn_after.count() > 0 && took > warn_after;
  a.out << (slow ? "SPOP WARNING - " : "SPOP OK - ") << endpoint.to_string() << " answered the health check in "
        << ms_text(took) << (slow ? " (above --warning " + warning.getValue() + ")" : std::string()) << ": version "
        << h.version << ", max-frame-size " << h.max_frame_size << " | " << perfdata(took) << "\n";
  return slow ? check_status::warning : check_status::ok;
}

}  // namespace spop_cli
