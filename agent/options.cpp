// Command-line parsing with TCLAP: the original spoa flags (-h -d -p -n -f) plus long options.
#include "agent/options.hpp"

#include <tclap/CmdLine.h>

#include <charconv>
#include <iostream>
#include <limits>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/config_file.hpp"
#include "cmdline/tclap_support.hpp"
#include "agent/dispatcher.hpp"
#include "agent/metrics_server.hpp"

namespace spoa {

namespace {

// `spoa --version` prints "spoa 0.1.0", like the other tools, not TCLAP's framed text.
std::optional<std::uint64_t> parse_number(std::string_view text, std::string_view& rest) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  rest = text.substr(static_cast<std::size_t>(end - text.data()));
  return v;
}

// Reports a bad value the way TCLAP reports a bad option, so every command-line error looks alike.
int bad_value(std::string_view option, std::string_view value, std::string_view expected) {
  std::cerr << "spoa: bad value for " << option << ": '" << value << "' (" << expected << ")\n"
            << "Try 'spoa -h' for the list of options.\n";
  return 1;
}

std::optional<AsyncioLoop> parse_asyncio_loop(std::string_view text) {
  if (text == "auto") return AsyncioLoop::automatic;
  if (text == "asyncio") return AsyncioLoop::asyncio;
  if (text == "uvloop") return AsyncioLoop::uvloop;
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::chrono::milliseconds bare_unit) {
  std::string_view unit;
  auto n = parse_number(text, unit);
  if (!n) return std::nullopt;
  std::uint64_t scale = 0;
  if (unit.empty()) scale = static_cast<std::uint64_t>(bare_unit.count());
  else if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else return std::nullopt;
  // Anything above about 24 days is surely a typo, and capping keeps later arithmetic safe.
  constexpr std::uint64_t max_ms = std::uint64_t{1} << 31;
  if (*n > max_ms / scale) return std::nullopt;
  return std::chrono::milliseconds{static_cast<std::int64_t>(*n * scale)};
}

std::optional<std::size_t> parse_size(std::string_view text) {
  std::string_view unit;
  auto n = parse_number(text, unit);
  if (!n) return std::nullopt;
  unsigned shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "k") shift = 10;
  else if (unit == "M" || unit == "m") shift = 20;
  else if (unit == "G" || unit == "g") shift = 30;
  else return std::nullopt;
  if (*n > (std::numeric_limits<std::size_t>::max() >> shift)) return std::nullopt;
  return static_cast<std::size_t>(*n << shift);
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "trace") return LogLevel::trace;
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warning" || text == "warn") return LogLevel::warning;
  if (text == "error") return LogLevel::error;
  if (text == "critical") return LogLevel::critical;
  return std::nullopt;
}

ParseResult parse_options(int argc, const char* const* argv) {
  using TCLAP::MultiArg;
  using TCLAP::SwitchArg;
  using TCLAP::ValueArg;
  using std::chrono::milliseconds;

  TCLAP::CmdLine cmd(
      "spoa: a SPOP agent for HAProxy's SPOE filter. It runs Lua (-f x.lua), Python (-f x.py) and PHP "
      "(-f x.php) message handlers; without -f every NOTIFY gets an empty ACK. Every long option may also be set "
      "in a YAML file read with --config. SIGTERM drains and stops, SIGHUP reloads. Under systemd it "
      "notifies readiness (Type=notify) and accepts socket activation. See spoa(1).",
      ' ', SPOA_VERSION);
  cmd.setExceptionHandling(false);
  spop::cmdline::OneLineVersionOutput output("spoa");
  cmd.setOutput(&output);

  // TCLAP lists arguments in reverse order of creation; they are declared bottom-up so that the
  // usage text reads in a sensible order.
  RecordArgs record_args(cmd);  // --record, --record-* (agent/record_options.cpp)
  tls::Args tls_args(cmd);    // --tls-cert, --tls-key, --tls-ca, ... (agent/tls/tls_options.cpp)
  StateArgs state_args(cmd);  // --state, --state-size, --state-timeout (agent/state_options.cpp)
  SwitchArg fragmentation("", "fragmentation",
                          "Accept fragmented NOTIFYs from HAProxy 2.6 (not recommended; off by default)",
                          cmd);
  SwitchArg no_async("", "no-async", "Do not offer the 'async' capability (the default; kept for scripts)", cmd);
  SwitchArg async("", "async",
                  "Offer the 'async' capability to HAProxy 2.6 (off by default: with async agreed, 2.6 may "
                  "soft-stop a connection while NOTIFYs are still unanswered)",
                  cmd);
  SwitchArg no_pipelining("", "no-pipelining",
                          "Do not offer the 'pipelining' capability (one NOTIFY at a time per connection)",
                          cmd);
  ValueArg<std::string> syslog_socket("", "syslog-socket",
                                      "Unix datagram socket of the syslog daemon (default: /dev/log)", false,
                                      "/dev/log", "path", cmd);
  ValueArg<std::string> syslog_facility("", "syslog-facility",
                                        "Facility of syslog records: daemon, user, local0..local7 (default: "
                                        "daemon)",
                                        false, "daemon", "name", cmd);
  ValueArg<std::string> log_format("", "log-format",
                                   "text (one line per record) or json (one JSON object per line); applies "
                                   "to stderr and syslog (default: text)",
                                   false, "text", "format", cmd);
  ValueArg<std::string> log_target("", "log-target",
                                   "stderr, syslog or journal (the systemd journal, with SPOA_* fields) "
                                   "(default: stderr)",
                                   false, "stderr", "target", cmd);
  ValueArg<std::string> log_level("", "log-level",
                                  "trace, debug, info, warning, error or critical (default: info; -d: debug)",
                                  false, "info", "level", cmd);
  ValueArg<std::string> write_timeout("", "write-timeout",
                                      "Close a connection whose pending output has made no progress for "
                                      "this long: the peer stopped reading (default: 30s; a bare number "
                                      "is seconds; 0 = never)",
                                      false, "30s", "time", cmd);
  ValueArg<std::string> restart_backoff_max("", "restart-backoff-max",
                                            "Longest delay before restarting a worker that keeps dying "
                                            "(default: 10s; a bare number is milliseconds)",
                                            false, "10s", "time", cmd);
  ValueArg<std::string> restart_backoff("", "restart-backoff",
                                        "Delay before restarting a dead worker; doubles at each quick death "
                                        "(default: 100ms; a bare number is milliseconds)",
                                        false, "100ms", "time", cmd);
  ValueArg<std::string> metrics_address("", "metrics-address",
                                        "Serve Prometheus metrics at http://HOST:PORT/metrics (HOST: an "
                                        "IPv4 address; PORT 0 picks a free one; default: off)",
                                        false, "", "host:port", cmd);
  ValueArg<std::string> drain_timeout("", "drain-timeout",
                                      "Time a worker takes at most to finish its connections after SIGTERM "
                                      "(default: 5s; a bare number is seconds)",
                                      false, "5s", "time", cmd);
  ValueArg<std::string> memory_limit("", "memory-limit",
                                     "Memory cap of each script state, e.g. 64M (default: 0 = none)", false,
                                     "0", "size", cmd);
  ValueArg<std::string> call_budget("", "call-budget",
                                    "Time allowed per handler call (default: 1000ms; a bare number is "
                                    "milliseconds; 0 = unlimited)",
                                    false, "1000", "time", cmd);
  ValueArg<std::string> idle_timeout("", "idle-timeout",
                                     "Close a connection that received no frame for this long "
                                     "(default: 0 = never; a bare number is seconds)",
                                     false, "0", "time", cmd);
  ValueArg<std::string> hello_timeout("", "hello-timeout",
                                      "Close a connection whose HAPROXY-HELLO has not arrived after this "
                                      "long (default: 10s; a bare number is seconds; 0 = never)",
                                      false, "10s", "time", cmd);
  ValueArg<unsigned> max_connections("", "max-connections",
                                     "Connections per worker; at the limit the worker stops accepting "
                                     "until one closes (default: 10000)",
                                     false, 10000, "n", cmd);
  ValueArg<unsigned> max_in_flight("", "max-in-flight",
                                   "NOTIFYs a connection may have received and not yet answered before "
                                   "the agent stops reading it (default: 64)",
                                   false, 64, "n", cmd);
  ValueArg<unsigned> threads("", "threads",
                             "Executor threads per worker for each script language (PHP always has one); "
                             "handlers that wait (databases, HTTP) run side by side up to this (default: 8)",
                             false, 8, "n", cmd);
  ValueArg<std::string> asyncio_loop("", "asyncio-loop",
                                     "Event loop of Python async def handlers: auto (uvloop if it can be "
                                     "imported, else asyncio's own), asyncio or uvloop (default: auto)",
                                     false, "auto", "loop", cmd);
  ValueArg<unsigned> max_calls("", "max-calls",
                               "NOTIFYs per worker handed to handlers and not yet answered; at the limit the "
                               "worker stops reading its connections (default: 1024)",
                               false, 1024, "n", cmd);
  ValueArg<unsigned> max_frame_size("", "max-frame-size",
                                    "Largest frame accepted and sent, 256..16777215; the agent answers "
                                    "min(this, HAProxy's) (default: 16380)",
                                    false, spop::default_max_frame_size, "bytes", cmd);
  ValueArg<std::string> ready_file("", "ready-file",
                                   "Once every worker is ready, write the listening addresses to this "
                                   "file (one 'host port' or 'unix path' per line; written atomically)",
                                   false, "", "path", cmd);
  ValueArg<std::string> unix_path("", "unix",
                                  "Also listen on this unix socket (only on it unless -p or --address "
                                  "is given)",
                                  false, "", "path", cmd);
  MultiArg<std::string> addresses("", "address",
                                  "Address to listen on; repeatable (default: 0.0.0.0 and ::)", false,
                                  "ip", cmd);
  MultiArg<std::string> files("f", "file",
                              "Script to load (.lua, .luac: Lua; .py: Python; .php: PHP); repeatable, loaded "
                              "in order",
                              false, "file", cmd);
  ValueArg<unsigned> workers("n", "workers", "Number of worker processes (default: 5)", false, 5, "num", cmd);
  ValueArg<unsigned> port("p", "port", "TCP port to listen on; 0 picks a free one (default: 12345)", false,
                          12345, "port", cmd);
  SwitchArg debug("d", "debug", "Debug: verbose logs, stay in the foreground, a single worker", cmd);
  SwitchArg check("", "check",
                  "Load the scripts and check every option, print what would run, and exit (0: all good, 1: "
                  "not) without listening",
                  cmd);
  ValueArg<std::string> config("", "config",
                               "Read options from this YAML file: keys are long option names (workers: 4); "
                               "the command line wins over the file",
                               false, "", "file", cmd);

  // The file's options become arguments in front of the command line's, so TCLAP checks them all.
  std::vector<OptionSpec> known;
  for (TCLAP::Arg* a : cmd.getArgList()) {
    known.push_back({a->getName(), a->getFlag(), a->isValueRequired(), a->acceptsMultipleValues()});
  }
  auto expanded = expand_config_file(known, std::vector<std::string>(argv, argv + argc));
  if (auto* error = std::get_if<std::string>(&expanded)) {
    std::cerr << "spoa: " << *error << "\n";
    return {std::nullopt, 1};
  }
  auto& args = std::get<std::vector<std::string>>(expanded);

  try {
    cmd.parse(args);
  } catch (TCLAP::ArgException& e) {
    try {
      cmd.getOutput()->failure(cmd, e);
    } catch (TCLAP::ExitException& ex) {
      return {std::nullopt, ex.getExitStatus()};
    }
    return {std::nullopt, 1};
  } catch (TCLAP::ExitException& e) {
    return {std::nullopt, e.getExitStatus()};
  }

  Options o;
  o.debug = debug.getValue();
  if (port.getValue() > 65535) return {std::nullopt, bad_value("-p", std::to_string(port.getValue()), "0..65535")};
  o.port = static_cast<std::uint16_t>(port.getValue());
  o.port_given = port.isSet();
  if (workers.getValue() < 1 || workers.getValue() > 1024) {
    return {std::nullopt, bad_value("-n", std::to_string(workers.getValue()), "1..1024")};
  }
  o.workers = o.debug ? 1 : workers.getValue();
  for (const auto& f : files.getValue()) o.files.emplace_back(f);
  o.addresses = addresses.getValue();
  if (unix_path.isSet()) {
    if (unix_path.getValue().empty()) return {std::nullopt, bad_value("--unix", "", "a socket path")};
    o.unix_path = unix_path.getValue();
  }
  if (ready_file.isSet()) o.ready_file = ready_file.getValue();
  if (max_connections.getValue() < 1) return {std::nullopt, bad_value("--max-connections", "0", "at least 1")};
  o.max_connections = max_connections.getValue();

  if (max_frame_size.getValue() < spop::min_max_frame_size || max_frame_size.getValue() > 0xFFFFFF) {
    return {std::nullopt,
            bad_value("--max-frame-size", std::to_string(max_frame_size.getValue()), "256..16777215")};
  }
  o.agent.max_frame_size = max_frame_size.getValue();
  if (max_in_flight.getValue() < 1) return {std::nullopt, bad_value("--max-in-flight", "0", "at least 1")};
  o.agent.max_in_flight = max_in_flight.getValue();
  if (threads.getValue() < 1 || threads.getValue() > 1024) {
    return {std::nullopt, bad_value("--threads", std::to_string(threads.getValue()), "1..1024")};
  }
  o.threads = threads.getValue();
  auto loop = parse_asyncio_loop(asyncio_loop.getValue());
  if (!loop) return {std::nullopt, bad_value("--asyncio-loop", asyncio_loop.getValue(), "auto, asyncio or uvloop")};
  o.engine.asyncio_loop = *loop;
  if (max_calls.getValue() < 1) return {std::nullopt, bad_value("--max-calls", "0", "at least 1")};
  o.max_calls = max_calls.getValue();
  o.agent.pipelining = !no_pipelining.getValue();
  // Off by default: HAProxy 2.6 queues async NOTIFYs per thread and, on reload, disconnects a connection
  // without waiting for them (found by haproxy-it faults-reload). 3.x ignores async anyway.
  o.agent.async = async.getValue() && !no_async.getValue();
  o.agent.fragmentation = fragmentation.getValue();

  const milliseconds seconds{1000}, millis{1};
  auto hello = parse_duration(hello_timeout.getValue(), seconds);
  if (!hello) return {std::nullopt, bad_value("--hello-timeout", hello_timeout.getValue(), "e.g. 500ms, 10s, 1m")};
  o.agent.hello_timeout = *hello;
  auto idle = parse_duration(idle_timeout.getValue(), seconds);
  if (!idle) return {std::nullopt, bad_value("--idle-timeout", idle_timeout.getValue(), "e.g. 30s, 5m, 0")};
  o.agent.idle_timeout = *idle;
  auto drain = parse_duration(drain_timeout.getValue(), seconds);
  if (!drain) return {std::nullopt, bad_value("--drain-timeout", drain_timeout.getValue(), "e.g. 500ms, 5s")};
  o.drain_timeout = *drain;
  auto write = parse_duration(write_timeout.getValue(), seconds);
  if (!write) return {std::nullopt, bad_value("--write-timeout", write_timeout.getValue(), "e.g. 10s, 500ms, 0")};
  o.write_timeout = *write;
  if (metrics_address.isSet()) {
    if (auto problem = metrics::check_address(metrics_address.getValue())) {
      return {std::nullopt, bad_value("--metrics-address", metrics_address.getValue(), *problem)};
    }
    o.metrics_address = metrics_address.getValue();
  }
  auto backoff = parse_duration(restart_backoff.getValue(), millis);
  if (!backoff || backoff->count() < 1) {
    return {std::nullopt, bad_value("--restart-backoff", restart_backoff.getValue(), "at least 1ms, e.g. 100ms, 1s")};
  }
  o.restart_backoff = *backoff;
  auto backoff_max = parse_duration(restart_backoff_max.getValue(), millis);
  if (!backoff_max || *backoff_max < o.restart_backoff) {
    return {std::nullopt, bad_value("--restart-backoff-max", restart_backoff_max.getValue(),
                                    "a time no shorter than --restart-backoff, e.g. 10s")};
  }
  o.restart_backoff_max = *backoff_max;
  auto budget = parse_duration(call_budget.getValue(), millis);
  if (!budget) return {std::nullopt, bad_value("--call-budget", call_budget.getValue(), "e.g. 1000, 250ms, 2s")};
  o.engine.call_budget = *budget;
  auto memory = parse_size(memory_limit.getValue());
  if (!memory) return {std::nullopt, bad_value("--memory-limit", memory_limit.getValue(), "e.g. 0, 64M, 1G")};
  o.engine.memory_limit = *memory;

  if (auto bad = state_args.apply(o.state)) return {std::nullopt, bad_value(bad->option, bad->value, bad->expected)};
  if (auto bad = record_args.apply(o.record)) return {std::nullopt, bad_value(bad->option, bad->value, bad->expected)};
  if (auto bad = tls_args.apply(o.tls)) return {std::nullopt, bad_value(bad->option, bad->value, bad->expected)};

  if (o.debug) o.log_level = LogLevel::debug;
  if (log_level.isSet()) {
    auto level = parse_log_level(log_level.getValue());
    if (!level) {
      return {std::nullopt, bad_value("--log-level", log_level.getValue(),
                                      "trace, debug, info, warning, error or critical")};
    }
    o.log_level = *level;
    o.log_level_given = true;
  }
  auto target = parse_log_target(log_target.getValue());
  if (!target) return {std::nullopt, bad_value("--log-target", log_target.getValue(), "stderr, syslog or journal")};
  o.log_output.target = *target;
  auto format = parse_log_format(log_format.getValue());
  if (!format) return {std::nullopt, bad_value("--log-format", log_format.getValue(), "text or json")};
  o.log_output.format = *format;
  auto facility = parse_syslog_facility(syslog_facility.getValue());
  if (!facility) {
    return {std::nullopt, bad_value("--syslog-facility", syslog_facility.getValue(), "daemon, user, local0..local7")};
  }
  o.log_output.syslog_facility = *facility;
  if (syslog_socket.getValue().empty()) return {std::nullopt, bad_value("--syslog-socket", "", "a socket path")};
  o.log_output.syslog_socket = syslog_socket.getValue();
  if (config.isSet()) o.config_file = config.getValue();
  o.check = check.getValue();

  // An unknown suffix is a command-line mistake: refuse it here, before any process is forked.
  for (const auto& f : o.files) {
    if (auto problem = check_script_suffix(f)) {
      std::cerr << "spoa: " << *problem << "\n";
      return {std::nullopt, 1};
    }
  }
  return {std::move(o), 0};
}

}  // namespace spoa
