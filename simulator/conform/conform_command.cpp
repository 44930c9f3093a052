// `spop-sim conform`: the command line, then the suite, then the report. Exit 0 when no MUST check
// failed, 1 when one did, 2 for a usage error or an agent that cannot be reached.
#include "simulator/conform/conform_command.hpp"

#include <tclap/CmdLine.h>

#include <fstream>
#include <iostream>

#include "simulator/conform/report.hpp"
#include "simulator/conform/runner.hpp"
#include "cmdline/tclap_support.hpp"
#include "netclient/tls_args.hpp"

namespace spop::sim {

namespace {

constexpr int exit_usage = 2;

std::optional<std::vector<HaproxyProfile>> parse_profiles(std::string_view text) {
  if (text == "all") return std::vector<HaproxyProfile>{HaproxyProfile::v2_6, HaproxyProfile::v3_1};
  if (const auto p = spop::parse_haproxy_profile(text)) return std::vector<HaproxyProfile>{*p};
  return std::nullopt;
}

}  // namespace

int conform_command(int argc, char** argv) {
  using namespace conform;
  TCLAP::CmdLine cmd(
      "Run the SPOP conformance suite against an agent: handshake, health check, NOTIFY/ACK, types, limits, "
      "lifecycle, fragmentation and robustness checks, each citing the rule it tests. Exit status: 0 no MUST "
      "check failed, 1 a MUST check failed, 2 usage error or agent unreachable.",
      ' ', SPOP_SIM_VERSION);
  cmd.setExceptionHandling(false);
  spop::cmdline::OneLineVersionOutput output("spop-sim");
  cmd.setOutput(&output);
  TCLAP::ValueArg<std::string> host("", "host", "agent address (default 127.0.0.1)", false, "127.0.0.1", "HOST", cmd);
  TCLAP::ValueArg<int> port("p", "port", "agent port (default 12345)", false, 12345, "PORT", cmd);
  TCLAP::ValueArg<std::string> unix_path("", "unix", "agent unix socket (instead of host and port)", false, "",
                                         "PATH", cmd);
  TCLAP::ValueArg<std::string> profile("", "profile", "HAProxy to behave like: 2.6, 3.2 (alias 3.1) or all (default all)",
                                       false, "all", "2.6|3.2|all", cmd);
  TCLAP::MultiArg<std::string> only("", "only", "run only this check (HS-01) or group (HS); repeatable, or comma-separated", false,
                                    "ID", cmd);
  TCLAP::ValueArg<std::string> junit("", "junit", "also write a JUnit XML report to FILE", false, "", "FILE", cmd);
  TCLAP::SwitchArg json("", "json", "print the report as JSON instead of a table", cmd, false);
  TCLAP::ValueArg<int> timeout("", "timeout", "longest wait for any answer of the agent, in ms (default 2000)",
                               false, 2000, "MS", cmd);
  TCLAP::SwitchArg list("", "list", "list the checks instead of running them", cmd, false);
  TCLAP::SwitchArg markdown("", "markdown", "with --list: print the check table as Markdown (docs/conformance.md)", cmd, false);
  spop::netclient::TlsArgs tls_args(cmd);

  // Usage errors read as spop-sim run's do.
  const auto usage_error = [](const std::string& what) {
    std::cerr << "spop-sim conform: " << what << " (see spop-sim conform --help)\n";
    return exit_usage;
  };
  try {
    std::vector<std::string> args{"spop-sim conform"};
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    if (const std::string unknown = spop::cmdline::first_unknown_option(cmd, args); !unknown.empty()) {
      return usage_error("unknown option '" + unknown + "'");
    }
    cmd.parse(args);
  } catch (const TCLAP::ArgException& e) {
    return usage_error(spop::cmdline::describe(e));
  } catch (const TCLAP::ExitException& e) {
    return e.getExitStatus();
  }

  // --only takes a check or group per use, or several separated by commas.
  std::vector<std::string> selectors;
  for (const std::string& value : only.getValue()) {
    std::size_t start = 0;
    for (std::size_t comma; (comma = value.find(',', start)) != std::string::npos; start = comma + 1) {
      selectors.push_back(value.substr(start, comma - start));
    }
    selectors.push_back(value.substr(start));
  }
  for (const std::string& sel : selectors) {
    if (sel.empty()) {
      std::cerr << "spop-sim conform: --only: empty check id (see --list)\n";
      return exit_usage;
    }
  }
  std::vector<const Check*> checks;
  if (std::string bad = select_checks(selectors, checks); !bad.empty()) {
    std::cerr << "spop-sim conform: --only " << bad << ": no check has this id or group (see --list)\n";
    return exit_usage;
  }
  if (markdown.getValue() && !list.getValue()) {
    std::cerr << "spop-sim conform: --markdown goes with --list\n";
    return exit_usage;
  }
  if (list.getValue()) {
    if (markdown.getValue()) {
      print_markdown(std::cout, checks);
    } else {
      print_list(std::cout, checks);
    }
    return 0;
  }
  const auto profiles = parse_profiles(profile.getValue());
  if (!profiles) {
    std::cerr << "spop-sim conform: --profile " << profile.getValue() << ": expected 2.6, 3.2 (or 3.1) or all\n";
    return exit_usage;
  }
  if (port.getValue() < 1 || port.getValue() > 65535) {
    std::cerr << "spop-sim conform: --port " << port.getValue() << ": expected 1..65535\n";
    return exit_usage;
  }
  if (timeout.getValue() < 10 || timeout.getValue() > 600'000) {
    std::cerr << "spop-sim conform: --timeout " << timeout.getValue() << ": expected 10..600000 ms\n";
    return exit_usage;
  }

  RunOptions options;
  options.endpoint.host = host.getValue();
  options.endpoint.port = static_cast<std::uint16_t>(port.getValue());
  options.endpoint.unix_path = unix_path.getValue();
  spop::netclient::TlsClientOptions tls;
  if (std::string err = tls_args.resolve(tls); !err.empty()) return usage_error(err);
  if (tls.enabled) {
    if (!options.endpoint.unix_path.empty()) {
      return usage_error("--tls cannot be used with --unix: spoa serves its unix socket in plaintext");
    }
    try {
      options.tls = std::make_shared<const spop::netclient::ClientContext>(tls);
    } catch (const std::exception& e) {  // spop::tls::Error: a CA, certificate or key that cannot be used
      std::cerr << "spop-sim conform: " << e.what() << "\n";
      return exit_usage;
    }
  }
  options.profiles = *profiles;
  options.checks = checks;
  options.timeout = Millis(timeout.getValue());

  std::string error;
  const auto report = run_suite(options, error);
  if (!report) {
    std::cerr << "spop-sim conform: " << error << "\n";
    return exit_usage;
  }
  if (json.getValue()) {
    print_json(std::cout, *report);
  } else {
    print_table(std::cout, *report);
  }
  if (!junit.getValue().empty()) {
    std::ofstream file(junit.getValue());
    print_junit(file, *report);
    if (!file.flush()) {
      std::cerr << "spop-sim conform: cannot write " << junit.getValue() << "\n";
      return exit_usage;
    }
  }
  return report->exit_status();
}

}  // namespace spop::sim
