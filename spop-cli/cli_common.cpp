#include "spop-cli/cli_common.hpp"

#include <charconv>
#include <cmath>

#include "cmdline/tclap_support.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/typed_value.hpp"

#ifndef SPOP_CLI_VERSION
#define SPOP_CLI_VERSION "dev"
#endif

namespace spop_cli {

std::string_view cli_version() noexcept { return SPOP_CLI_VERSION; }

namespace {

// TCLAP's StdOutput, with the examples after the option list.
class Output : public spop::cmdline::OneLineVersionOutput {
 public:
  Output(std::ostream& out, std::string_view examples) : OneLineVersionOutput({}, out), examples_(examples) {}

  void usage(TCLAP::CmdLineInterface& c) override {
    out() << "\n" << c.getMessage() << "\n\nUSAGE:\n\n";
    _shortUsage(c, out());
    out() << "\n\nWhere:\n\n";
    _longUsage(c, out());
    if (!examples_.empty()) out() << "\nExamples:\n\n" << examples_ << "\n";
    out() << "\nExit status: see 'spop-cli --help'.\n";
  }

 private:
  std::string examples_;
};

}  // namespace

std::optional<int> parse_command_line(TCLAP::CmdLine& cmd, const CommandArgs& a, std::string_view examples,
                                      int usage_status) {
  const auto usage_error = [&](const std::string& what) {
    a.err << a.args.front() << ": " << what << "\nRun '" << a.args.front() << " --help' for the options.\n";
    return usage_status;
  };
  std::vector<std::string> args = a.args;
  if (const std::string unknown = spop::cmdline::first_unknown_option(cmd, args); !unknown.empty()) {
    return usage_error("unknown option '" + unknown + "'");
  }
  Output output(a.out, examples);
  cmd.setOutput(&output);
  cmd.setExceptionHandling(false);
  std::optional<int> status;
  try {
    cmd.parse(args);
  } catch (const TCLAP::ArgException& e) {
    status = usage_error(spop::cmdline::describe(e));
  } catch (const TCLAP::ExitException& e) {
    status = e.getExitStatus();
  }
  cmd.setOutput(nullptr);
  return status;
}

std::vector<std::pair<std::string, std::string>> ordered_values(TCLAP::CmdLine& cmd,
                                                                const std::vector<std::string>& args,
                                                                const std::set<std::string>& wanted) {
  std::vector<std::pair<std::string, std::string>> values;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--") break;  // TCLAP ignores what follows
    TCLAP::Arg* arg = spop::cmdline::find_option(cmd, args[i]);
    if (arg == nullptr || !arg->isValueRequired()) continue;
    if (i + 1 >= args.size()) break;
    if (wanted.count(arg->getName())) values.emplace_back(arg->getName(), args[i + 1]);
    ++i;  // the value, whatever it looks like
  }
  return values;
}

std::string parse_duration(std::string_view text, std::chrono::milliseconds& out) {
  double number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc{} || ptr == text.data()) {
    return "'" + std::string(text) + "' is not a duration (examples: 500ms, 2s, 1.5s, 1m; a bare number is ms)";
  }
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  double ms = 0;
  if (unit.empty() || unit == "ms") {
    ms = number;
  } else if (unit == "s") {
    ms = number * 1000;
  } else if (unit == "m") {
    ms = number * 60'000;
  } else {
    return "'" + std::string(text) + "': unknown unit '" + std::string(unit) + "' (ms, s, m)";
  }
  if (!(ms > 0) || ms > 86'400'000) return "'" + std::string(text) + "' must be above 0 and at most a day";
  out = std::chrono::milliseconds(static_cast<long long>(std::ceil(ms)));
  return {};
}

ConnectionArgs::ConnectionArgs(TCLAP::CmdLine& cmd, bool with_session)
    : host_("H", "host", "agent host name or address (default 127.0.0.1)", false, "127.0.0.1", "HOST", cmd),
      port_("p", "port", "agent TCP port (default 12345)", false, 12345, "PORT", cmd),
      unix_("u", "unix", "agent Unix socket path, instead of --host/--port", false, "", "PATH", cmd),
      timeout_("t", "timeout", "for the connection, and for each answer: 500ms, 2s, 1m (default 5s)", false, "5s",
               "DURATION", cmd),
      max_frame_size_("", "max-frame-size",
                      "max-frame-size advertised in the HELLO: the agent's answer must be in [256, this] "
                      "(default 16380, HAProxy's tune.bufsize - 4)",
                      false, std::to_string(spop::default_max_frame_size), "BYTES", cmd),
      profile_("", "profile",
               "which HAProxy to behave like: 2.6 (SPOE applet: capabilities pipelining,async, stream "
               "ids from 0) or 3.2 (SPOP mux of 3.1+, as 3.2.0 behaves: pipelining, odd stream ids, strict ACK "
               "checks; 3.1 is an alias); default 2.6",
               false, "2.6", "2.6|3.2", cmd),
      trace_("", "trace", "hex dump of every frame in both directions, on stderr", cmd, false),
      var_prefix_("", "var-prefix",
                  "the SPOE agent's `option var-prefix`, to name variables as HAProxy does "
                  "(txn.PREFIX.NAME); default spoe",
                  false, "spoe", "PREFIX"),
      no_pipelining_("", "no-pipelining", "do not offer pipelining in the HELLO", false),
      no_async_("", "no-async", "do not offer async in the HELLO (2.6 profile)", false),
      engine_id_("", "engine-id", "engine-id sent in the HELLO (default: a random UUID, as HAProxy)", false, "", "ID"),
      tls_(cmd),
      with_session_(with_session) {
  if (with_session) {
    cmd.add(var_prefix_);
    cmd.add(no_pipelining_);
    cmd.add(no_async_);
    cmd.add(engine_id_);
  }
}

std::string ConnectionArgs::resolve(Endpoint& endpoint, ClientOptions& options, std::ostream& trace_stream) {
  endpoint.host = host_.getValue();
  if (port_.getValue() < 1 || port_.getValue() > 65535) {
    return "--port: " + std::to_string(port_.getValue()) + " is not a TCP port (1-65535)";
  }
  endpoint.port = static_cast<std::uint16_t>(port_.getValue());
  endpoint.unix_path = unix_.getValue();
  if (unix_.isSet() && endpoint.unix_path.empty()) return "--unix: the path is empty";
  if (unix_.isSet() && (host_.isSet() || port_.isSet())) return "--unix cannot be combined with --host/--port";
  if (std::string err = parse_duration(timeout_.getValue(), options.timeout); !err.empty()) return "--timeout: " + err;
  std::uint64_t mfs = 0;
  if (std::string err = parse_unsigned(max_frame_size_.getValue(), UINT32_MAX, mfs); !err.empty()) {
    return "--max-frame-size: " + err;
  }
  if (mfs < spop::min_max_frame_size) {
    return "--max-frame-size: " + std::to_string(mfs) + " is below the protocol's minimum of 256";
  }
  options.haproxy.max_frame_size = static_cast<std::uint32_t>(mfs);
  const auto profile = parse_profile(profile_.getValue());
  if (!profile) return "--profile: '" + profile_.getValue() + "' is not 2.6 or 3.2 (or 3.1)";
  options.haproxy.profile = *profile;
  if (with_session_) {
    options.haproxy.var_prefix = var_prefix_.getValue();
    if (no_pipelining_.getValue()) options.haproxy.pipelining = false;
    if (no_async_.getValue()) options.haproxy.async = false;
    options.haproxy.engine_id = engine_id_.getValue();
  }
  options.trace = trace_.getValue() ? &trace_stream : nullptr;
  if (std::string err = tls_.resolve(options.tls); !err.empty()) return err;
  if (options.tls.enabled && !endpoint.unix_path.empty()) {
    return "--tls cannot be used with --unix: spoa serves its unix socket in plaintext";
  }
  return {};
}

}  // namespace spop_cli
