#include "simulator/replay/replay_options.hpp"

#include <tclap/CmdLine.h>

#include <charconv>

#include "cmdline/tclap_support.hpp"
#include "simulator/cfg_time.hpp"
#include "simulator/diagnostic.hpp"
#include "simulator/run/run_plan.hpp"
#include "simulator/spoe_config.hpp"

namespace spop::sim::replay {

namespace {

bool whole_number(const std::string& text, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

std::optional<ReplayOptions> parse_replay_options(int argc, char** argv, std::string& error,
                                                  std::optional<int>& exit_now) {
  ReplayOptions o;
  try {
    TCLAP::CmdLine cmd(
        "Replays recorded traffic (recordings of spoa --record, pcap/pcapng captures) against an agent as HAProxy "
        "would, compares every ACK with the recorded one and reports which variables differ. Exit status: 0 no "
        "difference, 1 differences or calls that fail now, 2 usage, configuration or input error (what came "
        "before a bad part of a file is still replayed), 3 the agent could not be reached.",
        ' ', SPOP_SIM_VERSION, true);
    cmd.setExceptionHandling(false);
    spop::cmdline::OneLineVersionOutput output("spop-sim");
    cmd.setOutput(&output);
    TCLAP::UnlabeledMultiArg<std::string> files("file", "recordings and captures to replay, in time order", true,
                                                "FILE", cmd);
    TCLAP::ValueArg<std::string> host("", "host", "the agent's host (default 127.0.0.1)", false, "", "HOST", cmd);
    TCLAP::ValueArg<std::string> port("p", "port", "the agent's port (default 12345)", false, "", "PORT", cmd);
    TCLAP::ValueArg<std::string> unix_path("", "unix", "the agent's Unix socket instead of host and port", false, "",
                                           "PATH", cmd);
    TCLAP::ValueArg<std::string> profile("", "profile", "HAProxy to play: 2.6 (default) or 3.2 (alias 3.1); ids are "
                                         "renumbered by its rules", false, "2.6", "2.6|3.2", cmd);
    TCLAP::ValueArg<std::string> config("c", "config",
                                        "the SPOE file of the recorded traffic: var-prefix, max-frame-size, "
                                        "pipelining, max-waiting-frames, timeout processing",
                                        false, "", "FILE", cmd);
    TCLAP::ValueArg<std::string> engine("", "engine", "with --config: the `filter spoe engine NAME` scope", false, "",
                                        "NAME", cmd);
    TCLAP::ValueArg<std::string> var_prefix("", "var-prefix",
                                            "name variables txn.PREFIX.NAME (default: the SPOE file's, else spoe)",
                                            false, "", "PREFIX", cmd);
    TCLAP::ValueArg<std::string> connections("", "connections", "SPOP connections (default 4)", false, "4", "N", cmd);
    TCLAP::ValueArg<std::string> in_flight("", "in-flight",
                                           "NOTIFYs outstanding per connection (default 20, at most the profile's "
                                           "limit)",
                                           false, "20", "N", cmd);
    TCLAP::ValueArg<std::string> speed("", "speed",
                                       "max (default): as fast as the in-flight limit allows; N: the recorded pace "
                                       "N times faster (1: as recorded, 0.5: half as fast)",
                                       false, "max", "N|max", cmd);
    TCLAP::ValueArg<std::string> repeat("", "repeat", "replay the input N times (default 1)", false, "1", "N", cmd);
    TCLAP::MultiArg<std::string> ignore("", "ignore",
                                        "leave this variable out of the comparison; '*' matches anything "
                                        "(txn.iprep.ts, '*.debug_*'); repeatable",
                                        false, "VAR", cmd);
    TCLAP::ValueArg<std::string> processing("", "processing-timeout",
                                            "how long a NOTIFY waits for its ACK (default: the SPOE `timeout "
                                            "processing`, else 1s)",
                                            false, "", "TIME", cmd);
    TCLAP::ValueArg<std::string> capture_port("", "capture-port",
                                              "the agent's port in the captures (default: --port, else 12345)", false,
                                              "", "PORT", cmd);
    TCLAP::SwitchArg json("", "json", "print the report as JSON", cmd, false);
    TCLAP::ValueArg<std::string> html("", "html", "also write a self-contained HTML report", false, "", "FILE", cmd);
    std::vector<std::string> args(argv, argv + argc);
    if (const std::string unknown = spop::cmdline::first_unknown_option(cmd, args); !unknown.empty()) {
      error = "unknown option '" + unknown + "'";
      return std::nullopt;
    }
    cmd.parse(args);

    o.files = files.getValue();
    ReplayPlan& plan = o.plan;
    std::uint64_t v = 0;
    if (port.isSet()) {
      if (!whole_number(port.getValue(), 1, 65535, v)) {
        error = "--port: expected 1..65535, not '" + port.getValue() + "'";
        return std::nullopt;
      }
      plan.agent.port = static_cast<std::uint16_t>(v);
    }
    if (host.isSet()) plan.agent.host = host.getValue();
    if (unix_path.isSet()) {
      if (host.isSet() || port.isSet()) {
        error = "--unix excludes --host and --port";
        return std::nullopt;
      }
      plan.agent.unix_path = unix_path.getValue();
    }
    o.input.capture_port = port.isSet() ? plan.agent.port : 12345;
    if (capture_port.isSet()) {
      if (!whole_number(capture_port.getValue(), 1, 65535, v)) {
        error = "--capture-port: expected 1..65535, not '" + capture_port.getValue() + "'";
        return std::nullopt;
      }
      o.input.capture_port = static_cast<std::uint16_t>(v);
    }
    const auto parsed_profile = spop::parse_haproxy_profile(profile.getValue());
    if (!parsed_profile) {
      error = "--profile: expected 2.6 or 3.2 (or 3.1), not '" + profile.getValue() + "'";
      return std::nullopt;
    }
    const Profile p = *parsed_profile == spop::HaproxyProfile::v2_6 ? Profile::haproxy_2_6 : Profile::haproxy_3_1;
    const std::string engine_id = spop::make_engine_id(0x5eed'2e91'a7ULL);
    if (config.isSet()) {
      SpoeLoadOptions lo;
      if (engine.isSet()) lo.engine = engine.getValue();
      try {
        const SpoeConfig spoe = load_spoe_config(config.getValue(), lo);
        for (const Diagnostic& d : spoe.warnings) o.warnings.push_back(to_string(d));
        plan.haproxy = haproxy_options_for(spoe.agent, p, engine_id);
        if (spoe.agent.timeout_processing) plan.processing_timeout = *spoe.agent.timeout_processing;
      } catch (const ConfigError& e) {
        error = "configuration error:\n" + std::string(e.what());
        return std::nullopt;
      }
    } else {
      plan.haproxy.profile = p == Profile::haproxy_2_6 ? spop::HaproxyProfile::v2_6 : spop::HaproxyProfile::v3_1;
      plan.haproxy.engine_id = engine_id;
    }
    if (var_prefix.isSet()) plan.haproxy.var_prefix = var_prefix.getValue();
    for (auto* a : {&connections, &in_flight}) {
      if (!whole_number(a->getValue(), 1, 10000, v)) {
        error = "--" + a->getName() + ": expected a whole number from 1 to 10000, not '" + a->getValue() + "'";
        return std::nullopt;
      }
      (a == &connections ? plan.connections : plan.in_flight) = static_cast<std::uint32_t>(v);
    }
    if (plan.in_flight > plan.haproxy.max_in_flight)
      o.warnings.push_back("--in-flight " + std::to_string(plan.in_flight) + " is above HAProxy's limit of " +
                           std::to_string(plan.haproxy.max_in_flight) + " per connection: capped");
    if (speed.getValue() != "max") {
      char* end = nullptr;
      const double s = std::strtod(speed.getValue().c_str(), &end);
      if (end == speed.getValue().c_str() || *end != '\0' || !(s > 0) || s > 1e9) {
        error = "--speed: expected max or a factor above 0 such as 1 or 10, not '" + speed.getValue() + "'";
        return std::nullopt;
      }
      plan.speed = s;
    }
    if (!whole_number(repeat.getValue(), 1, 1'000'000, v)) {
      error = "--repeat: expected a whole number from 1 to 1000000, not '" + repeat.getValue() + "'";
      return std::nullopt;
    }
    plan.repeat = v;
    plan.ignore = ignore.getValue();
    if (processing.isSet()) {
      const ParsedTime t = parse_time(processing.getValue(), 1000);
      if (t.error != ParsedTime::Error::none || t.trailing || t.value.count() == 0) {
        error = "--processing-timeout: expected a time such as 500ms or 2s, not '" + processing.getValue() + "'";
        return std::nullopt;
      }
      plan.processing_timeout = to_timeout_ms(t.value);
    }
    o.json = json.getValue();
    o.html = html.getValue();
  } catch (const TCLAP::ArgException& e) {
    error = spop::cmdline::describe(e);
    return std::nullopt;
  } catch (const TCLAP::ExitException& e) {
    exit_now = e.getExitStatus();
    return std::nullopt;
  }
  return o;
}

}  // namespace spop::sim::replay
