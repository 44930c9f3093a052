#include "simulator/run/run_options.hpp"

#include <tclap/CmdLine.h>

#include <charconv>
#include <random>

#include "cmdline/tclap_support.hpp"
#include "netclient/tls_args.hpp"
#include "simulator/cfg_time.hpp"
#include "simulator/haproxy_config.hpp"
#include "simulator/sim_target.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop::sim {

namespace {

template <typename T>
bool parse_unsigned(const std::string& text, T& out, T min, T max) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

bool parse_duration(const std::string& text, std::chrono::microseconds& out) {
  // A bare number is seconds here ("--duration 10"), as people type it; units as in scenarios.
  const ParsedTime t = parse_time(text, 1'000'000);
  if (t.error != ParsedTime::Error::none || t.trailing || t.value.count() == 0) return false;
  out = t.value;
  return true;
}

}  // namespace

std::optional<RunOptions> parse_run_options(int argc, char** argv, std::string& error, std::optional<int>& exit_now) {
  RunOptions o;
  try {
    TCLAP::CmdLine cmd(
        "Emulates HAProxy toward a SPOP agent: sends the scenario's traffic, injects faults, checks "
        "expectations and reports throughput and latency. Exit status: 0 ok, 1 an expectation failed, "
        "2 usage or configuration error, 3 the agent could not be reached.",
        ' ', SPOP_SIM_VERSION, true);
    cmd.setExceptionHandling(false);
    spop::cmdline::OneLineVersionOutput output("spop-sim");
    cmd.setOutput(&output);
    TCLAP::ValueArg<std::string> config("c", "config", "the SPOE configuration file (spoe-agent, spoe-message)", false,
                                        "", "FILE", cmd);
    TCLAP::ValueArg<std::string> haproxy("", "haproxy-config",
                                         "haproxy.cfg: its `filter spoe` line, SPOE file and agent backend "
                                         "(address, option spop-check)",
                                         false, "", "FILE", cmd);
    TCLAP::ValueArg<std::string> engine("", "engine", "the `filter spoe engine NAME` to play", false, "", "NAME", cmd);
    TCLAP::ValueArg<std::string> scenario("s", "scenario", "the scenario file (YAML, see simulator/scenario.md)", true,
                                          "", "FILE", cmd);
    TCLAP::ValueArg<std::string> host("", "host", "the agent's host (default 127.0.0.1 or haproxy.cfg's server)",
                                      false, "", "HOST", cmd);
    TCLAP::ValueArg<std::string> port("p", "port", "the agent's port (default 12345 or haproxy.cfg's server)", false, "",
                                      "PORT", cmd);
    TCLAP::ValueArg<std::string> unix_path("", "unix", "the agent's Unix socket instead of host and port", false, "",
                                           "PATH", cmd);
    TCLAP::ValueArg<std::string> profile("", "profile", "HAProxy to play: 2.6 or 3.2 (alias 3.1)", false, "", "2.6|3.2", cmd);
    TCLAP::ValueArg<std::string> connections("", "connections", "SPOP connections in the pool", false, "", "N", cmd);
    TCLAP::ValueArg<std::string> in_flight("", "in-flight", "closed loop: requests outstanding per connection", false,
                                           "", "N", cmd);
    TCLAP::ValueArg<std::string> rate("", "rate", "open loop: new requests per second", false, "", "R", cmd);
    TCLAP::ValueArg<std::string> duration("d", "duration", "run this long (10s, 500ms; a bare number is seconds)",
                                          false, "", "TIME", cmd);
    TCLAP::ValueArg<std::string> requests("n", "requests", "stop after this many requests", false, "", "N", cmd);
    TCLAP::MultiArg<std::string> fault("f", "fault", "add a fault: NAME or NAME:key=value,... (repeatable)", false,
                                       "SPEC", cmd);
    TCLAP::SwitchArg no_faults("", "no-faults", "ignore the scenario's faults", cmd, false);
    TCLAP::ValueArg<std::string> event("", "event", "the SPOE event each request triggers", false, "", "EVENT", cmd);
    TCLAP::ValueArg<std::string> group("g", "group", "send this spoe-group for every request (send-spoe-group)",
                                       false, "", "GROUP", cmd);
    TCLAP::ValueArg<std::string> seed("", "seed", "PRNG seed (requests, faults, engine-id)", false, "", "N", cmd);
    TCLAP::ValueArg<std::string> processing("", "processing-timeout",
                                            "per-request budget (default: the SPOE `timeout processing`, else 1s)",
                                            false, "", "TIME", cmd);
    TCLAP::ValueArg<std::string> reaction("", "reaction-timeout",
                                          "how long a fault waits for the agent's reaction (default 1s)", false, "",
                                          "TIME", cmd);
    TCLAP::SwitchArg json("", "json", "print the report as JSON", cmd, false);
    TCLAP::ValueArg<std::string> html("", "html", "also write a self-contained HTML report", false, "", "FILE", cmd);
    TCLAP::SwitchArg quiet("q", "quiet", "no live progress line", cmd, false);
    spop::netclient::TlsArgs tls_args(cmd);
    std::vector<std::string> args(argv, argv + argc);
    if (const std::string unknown = spop::cmdline::first_unknown_option(cmd, args); !unknown.empty()) {
      error = "unknown option '" + unknown + "'";
      return std::nullopt;
    }
    cmd.parse(args);

    o.spoe_config = config.getValue();
    o.haproxy_config = haproxy.getValue();
    if (o.spoe_config.empty() && o.haproxy_config.empty()) {
      error = "give the SPOE file with --config, or haproxy.cfg with --haproxy-config";
      return std::nullopt;
    }
    if (engine.isSet()) o.engine = engine.getValue();
    o.scenario = scenario.getValue();
    if (host.isSet()) o.host = host.getValue();
    if (port.isSet()) {
      std::uint16_t p = 0;
      if (!parse_unsigned<std::uint16_t>(port.getValue(), p, 1, 65535)) {
        error = "--port: expected 1..65535, not '" + port.getValue() + "'";
        return std::nullopt;
      }
      o.port = p;
    }
    if (unix_path.isSet()) {
      if (host.isSet() || port.isSet()) {
        error = "--unix excludes --host and --port";
        return std::nullopt;
      }
      o.unix_path = unix_path.getValue();
    }
    spop::netclient::TlsClientOptions tls;
    if (std::string err = tls_args.resolve(tls); !err.empty()) {
      error = err;
      return std::nullopt;
    }
    if (tls.enabled) {
      if (o.unix_path) {
        error = "--tls cannot be used with --unix: spoa serves its unix socket in plaintext";
        return std::nullopt;
      }
      o.tls = std::move(tls);
    }
    if (profile.isSet()) {
      if (const auto p = spop::parse_haproxy_profile(profile.getValue()))
        o.profile = *p == spop::HaproxyProfile::v2_6 ? Profile::haproxy_2_6 : Profile::haproxy_3_1;
      else {
        error = "--profile: expected 2.6 or 3.2 (or 3.1), not '" + profile.getValue() + "'";
        return std::nullopt;
      }
    }
    auto count_arg = [&](TCLAP::ValueArg<std::string>& a, auto& out, std::uint64_t max) {
      if (!a.isSet()) return true;
      std::uint64_t v = 0;
      if (!parse_unsigned<std::uint64_t>(a.getValue(), v, 1, max)) {
        error = "--" + a.getName() + ": expected a whole number from 1 to " + std::to_string(max) + ", not '" +
                a.getValue() + "'";
        return false;
      }
      out = static_cast<std::remove_reference_t<decltype(*out)>>(v);
      return true;
    };
    if (!count_arg(connections, o.connections, 10000) || !count_arg(in_flight, o.in_flight, 10000) ||
        !count_arg(requests, o.requests, UINT64_MAX))
      return std::nullopt;
    if (rate.isSet()) {
      char* end = nullptr;
      const double r = std::strtod(rate.getValue().c_str(), &end);
      if (end == rate.getValue().c_str() || *end != '\0' || !(r > 0) || r > 1e9) {
        error = "--rate: expected requests per second above 0, not '" + rate.getValue() + "'";
        return std::nullopt;
      }
      o.rate = r;
    }
    if (duration.isSet()) {
      std::chrono::microseconds d{0};
      if (!parse_duration(duration.getValue(), d)) {
        error = "--duration: expected a time such as 10s or 500ms, not '" + duration.getValue() + "'";
        return std::nullopt;
      }
      o.duration = d;
    }
    for (const std::string& f : fault.getValue()) {
      std::string err;
      std::optional<FaultSpec> spec = parse_fault_option(f, err);
      if (!spec) {
        error = err;
        return std::nullopt;
      }
      for (const FaultSpec& other : o.faults)
        if (other.kind == spec->kind) {
          error = "--fault " + f + ": this fault is given twice";
          return std::nullopt;
        }
      o.faults.push_back(std::move(*spec));
    }
    o.no_faults = no_faults.getValue();
    if (event.isSet()) {
      if (!parse_event(event.getValue())) {
        error = "--event: unknown event '" + event.getValue() + "'";
        return std::nullopt;
      }
      o.event = event.getValue();
    }
    if (group.isSet()) o.group = group.getValue();
    if (seed.isSet()) {
      std::uint64_t s = 0;
      if (!parse_unsigned<std::uint64_t>(seed.getValue(), s, 0, UINT64_MAX)) {
        error = "--seed: expected a whole number, not '" + seed.getValue() + "'";
        return std::nullopt;
      }
      o.seed = s;
    }
    for (auto* a : {&processing, &reaction}) {
      if (!a->isSet()) continue;
      const ParsedTime t = parse_time(a->getValue(), 1000);
      if (t.error != ParsedTime::Error::none || t.trailing || t.value.count() == 0) {
        error = "--" + a->getName() + ": expected a time such as 500ms or 2s, not '" + a->getValue() + "'";
        return std::nullopt;
      }
      (a == &processing ? o.processing_timeout : o.reaction_timeout) = to_timeout_ms(t.value);
    }
    o.json = json.getValue();
    o.html = html.getValue();
    o.quiet = quiet.getValue();
  } catch (const TCLAP::ArgException& e) {
    error = spop::cmdline::describe(e);
    return std::nullopt;
  } catch (const TCLAP::ExitException& e) {
    exit_now = e.getExitStatus();
    return std::nullopt;
  }
  return o;
}

namespace {

// HAProxy's TLS toward the agent, from `ssl verify ... ca-file ... crt ... sni ... verifyhost ...`:
// no SNI unless `sni`, the name checked is `verifyhost` or the SNI (none without them), and
// `verify required` (the default) needs a ca-file, as HAProxy refuses the configuration otherwise.
spop::netclient::TlsClientOptions tls_from_server(const HaproxyServer& server, const std::string& cfg, DiagnosticLog& log,
                                                  std::vector<std::string>& warnings) {
  spop::netclient::TlsClientOptions t;
  t.enabled = true;
  t.insecure = !server.tls.verify;
  t.ca = server.tls.ca_file;
  t.cert = server.tls.crt;
  t.sni = server.tls.sni.value_or("");
  t.verify_name = server.tls.verifyhost ? *server.tls.verifyhost : server.tls.sni.value_or("");
  if (!server.tls.sni_expression.empty()) {
    warnings.push_back("server " + server.name + ": sni " + server.tls.sni_expression +
                       " is not evaluated (only str(<name>) is): no SNI is sent");
  }
  if (server.tls.verify && server.tls.ca_file.empty()) {
    log.error(server.where.file.empty() ? SourceLocation{cfg, 0, 0} : server.where,
              "server " + server.name + ": 'ssl' verifies the agent's certificate by default and needs 'ca-file' "
              "(or 'verify none'), as HAProxy requires");
  }
  return t;
}

}  // namespace

RunPlan make_plan(const RunOptions& o) {
  RunPlan plan;
  DiagnosticLog log;
  plan.scenario = load_scenario(o.scenario);
  Scenario& s = plan.scenario;
  // Command-line values override the scenario's.
  if (o.profile) s.profile = *o.profile;
  if (o.seed) s.seed = *o.seed;
  if (o.connections) s.load.connections = *o.connections;
  if (o.in_flight) {
    s.load.in_flight = *o.in_flight;
    s.load.rate.reset();
  }
  if (o.rate) s.load.rate = *o.rate;
  if (o.duration || o.requests) {
    s.load.duration = o.duration;
    s.load.count = o.requests;
  }
  if (o.no_faults) s.faults.clear();
  for (const FaultSpec& f : o.faults) {
    std::erase_if(s.faults, [&](const FaultSpec& x) { return x.kind == f.kind; });
    s.faults.push_back(f);
  }
  if (o.event) s.event = *o.event;
  if (o.group)
    for (RequestTemplate& t : s.requests) t.group = *o.group;

  std::optional<HaproxyBackend> backend;
  if (!o.haproxy_config.empty()) {
    if (o.spoe_config.empty()) {
      SimTarget target = load_sim_target(o.haproxy_config, o.engine);
      plan.spoe = std::move(target.spoe);
      backend = std::move(target.backend);
      for (const Diagnostic& d : target.warnings) plan.warnings.push_back(to_string(d));
    } else {
      const HaproxyConfig cfg = load_haproxy_config(o.haproxy_config);
      SpoeLoadOptions lo;
      lo.engine = o.engine;
      plan.spoe = load_spoe_config(o.spoe_config, lo);
      if (const HaproxyBackend* b = cfg.find_backend(plan.spoe.agent.backend)) backend = *b;
      else
        log.error({o.haproxy_config, 0, 0}, "no backend '" + plan.spoe.agent.backend + "' (the use-backend of " +
                                                 plan.spoe.agent.name + ")");
    }
  } else {
    SpoeLoadOptions lo;
    lo.engine = o.engine;
    plan.spoe = load_spoe_config(o.spoe_config, lo);
  }
  for (const Diagnostic& d : plan.spoe.warnings) plan.warnings.push_back(to_string(d));

  if (backend && !backend->servers.empty()) {
    const HaproxyServer& server = backend->servers.front();
    if (server.unix_socket) plan.agent.unix_path = server.host;
    else {
      plan.agent.host = server.host;
      plan.agent.port = server.port;
    }
    plan.initial_healthcheck = backend->spop_check && server.check;
    if (server.tls.ssl && !server.unix_socket) plan.tls = tls_from_server(server, o.haproxy_config, log, plan.warnings);
  }
  if (o.tls) plan.tls = *o.tls;  // the command line's TLS settings replace the server line's
  if (o.unix_path) {
    plan.agent.unix_path = *o.unix_path;
    plan.tls.enabled = false;  // unix sockets are plaintext
  } else if (o.host || o.port) {
    plan.agent.unix_path.clear();
    if (o.host) plan.agent.host = *o.host;
    if (o.port) plan.agent.port = *o.port;
  }

  const std::optional<Event> event = parse_event(s.event);
  plan.event = event.value_or(Event::on_frontend_http_request);
  // One engine-id per run: 2.6 has one per thread and spop-sim is one thread; 3.1 one per agent.
  plan.haproxy = haproxy_options_for(plan.spoe.agent, s.profile, spop::make_engine_id(s.seed * 0x9e3779b97f4a7c15ULL + 1));
  if (o.processing_timeout) plan.processing_timeout = *o.processing_timeout;
  else if (plan.spoe.agent.timeout_processing) plan.processing_timeout = *plan.spoe.agent.timeout_processing;
  plan.reaction_timeout = o.reaction_timeout;
  plan.force_set_var = plan.spoe.agent.force_set_var;
  if (s.load.in_flight > plan.haproxy.max_in_flight && !s.load.open_loop()) {
    plan.warnings.push_back("in_flight " + std::to_string(s.load.in_flight) + " is above HAProxy's limit of " +
                            std::to_string(plan.haproxy.max_in_flight) + " per connection: capped");
  }
  if (!s.load.duration && !s.load.count)
    log.error({o.scenario, 0, 0}, "nothing says when to stop: give a duration or a count");
  log.throw_if_errors();
  plan.templates = resolve_templates(s, plan.spoe, plan.event, plan.warnings);
  return plan;
}

}  // namespace spop::sim
