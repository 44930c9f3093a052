// spop-cli send: handshake, one NOTIFY (or --repeat N of them, --pipeline D at a time), the ACK with
// HAProxy's variable names, --expect assertions, and a latency summary.
#include "spop-cli/commands.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/expectations.hpp"
#include "spop-cli/frame_json.hpp"
#include "spop-cli/latency.hpp"
#include "spop-cli/session_report.hpp"

namespace spop_cli {

namespace {

constexpr std::string_view send_examples =
    "  spop-cli send --msg check-client-ip --arg ip=ipv4:10.0.0.1 --var-prefix iprep\n"
    "  spop-cli send -m check-client-ip -a =ipv4:10.0.0.1 -a =str:example.com \\\n"
    "                -m log-request -a method=str:GET -a size=int64:512\n"
    "  spop-cli send -m check-client-ip -a ip=ip:::1 --expect 'txn.iprep.ip_score=int:1..100' --var-prefix iprep\n"
    "  spop-cli send -m check -a key=bin:hex:00ff --expect '!txn.spoe.blocked' --json\n"
    "  spop-cli send -m check-client-ip -a ip=ipv4:10.0.0.1 --repeat 10000 --pipeline 16";

/// The messages of the NOTIFY, built from --msg/--arg in command-line order.
struct Messages {
  std::vector<std::string> names;
  std::vector<std::vector<NamedValue>> args;
};

std::string collect_messages(TCLAP::CmdLine& cmd, const std::vector<std::string>& argv, Messages& out) {
  for (const auto& [option, value] : ordered_values(cmd, argv, {"msg", "arg"})) {
    if (option == "msg") {
      if (value.empty()) return "--msg: the message name is empty";
      out.names.push_back(value);
      out.args.emplace_back();
      continue;
    }
    if (out.names.empty())
      return "--arg " + value + ": comes before any --msg (each --arg belongs to the --msg before it)";
    NamedValue nv;
    if (std::string err = parse_named_value(value, nv); !err.empty()) return "--arg " + err;
    if (out.args.back().size() == 255) return "--arg: a message has at most 255 arguments";
    out.args.back().push_back(std::move(nv));
  }
  return {};
}

struct ExpectationReport {
  std::size_t acks_checked = 0;
  std::size_t acks_failed = 0;
  std::vector<ExpectationOutcome> first;         // outcomes on the first ACK
  std::optional<std::size_t> first_failing_ack;  // index of the first ACK that failed
  std::vector<ExpectationOutcome> failing;       // outcomes on that ACK
};

void check_expectations(const std::vector<Expectation>& expectations, const AckResult& ack, ExpectationReport& r) {
  if (expectations.empty()) return;
  VariableMap vars;
  for (const OwnedAction& act : ack.actions) apply_action(vars, act.type, act.variable, act.value.view());
  std::vector<ExpectationOutcome> outcomes;
  bool ok = true;
  for (const Expectation& e : expectations) {
    outcomes.push_back(evaluate(e, vars));
    ok = ok && outcomes.back().ok;
  }
  if (r.acks_checked == 0) r.first = outcomes;
  if (!ok && !r.first_failing_ack) {
    r.first_failing_ack = r.acks_checked;
    r.failing = outcomes;
  }
  ++r.acks_checked;
  if (!ok) ++r.acks_failed;
}

struct RunResult {
  std::optional<AckResult> first_ack;
  std::vector<std::chrono::nanoseconds> round_trips;
  std::size_t sent = 0;
  std::chrono::nanoseconds elapsed{0};
  std::optional<Failure> failure;
};

// Sends `repeat` NOTIFYs with at most `pipeline` waiting, and collects their ACKs.
RunResult exchange(Client& client, std::span<const spop::NotifyMessage> messages, std::size_t repeat,
                   const std::vector<Expectation>& expectations, ExpectationReport& report) {
  RunResult r;
  const auto start = spop::Clock::now();
  std::size_t received = 0;
  while (received < repeat) {
    while (r.sent < repeat && client.can_send()) {
      spop::NotifyIds ids;
      if (auto f = client.send(messages, ids)) {
        r.failure = f;
        return r;
      }
      ++r.sent;
    }
    AckResult ack;
    if (auto f = client.wait_ack(ack)) {
      r.failure = f;
      break;
    }
    ++received;
    r.round_trips.push_back(ack.round_trip);
    check_expectations(expectations, ack, report);
    if (!r.first_ack) r.first_ack = std::move(ack);
  }
  r.elapsed = spop::Clock::now() - start;
  return r;
}

void print_expectations(std::ostream& os, const std::vector<Expectation>& expectations,
                        const ExpectationReport& report) {
  if (expectations.empty() || report.acks_checked == 0) return;
  const bool failed = report.first_failing_ack.has_value();
  const auto& shown = failed ? report.failing : report.first;
  if (failed && report.acks_checked > 1) {
    os << "expectations failed on " << report.acks_failed << " of " << report.acks_checked
       << " ACKs; the first failure, ACK #" << (*report.first_failing_ack + 1) << ":\n";
  }
  for (std::size_t i = 0; i < expectations.size(); ++i) {
    os << (shown[i].ok ? "ok:     " : "FAILED: ") << expectations[i].text << " (got " << shown[i].actual << ")\n";
  }
}

nlohmann::json expectations_json(const std::vector<Expectation>& expectations, const ExpectationReport& report) {
  nlohmann::json list = nlohmann::json::array();
  const auto& shown = report.first_failing_ack ? report.failing : report.first;
  for (std::size_t i = 0; i < expectations.size() && i < shown.size(); ++i) {
    list.push_back({{"expect", expectations[i].text}, {"ok", shown[i].ok}, {"actual", shown[i].actual}});
  }
  return {{"checked_acks", report.acks_checked}, {"failed_acks", report.acks_failed}, {"results", std::move(list)}};
}

}  // namespace

int run_send(const CommandArgs& a) {
  TCLAP::CmdLine cmd(
      "Connect, run the handshake, send one NOTIFY holding the --msg messages (each with the "
      "--arg options that follow it), and print the agent's ACK with each variable named as "
      "HAProxy names it (SCOPE.PREFIX.NAME, see --var-prefix). Argument types: " +
          std::string(typed_value_syntax) + ".",
      ' ', std::string(cli_version()));
  ConnectionArgs conn(cmd, true);
  TCLAP::MultiArg<std::string> msg("m", "msg", "a message of the NOTIFY (repeatable, in order)", true, "NAME", cmd);
  TCLAP::MultiArg<std::string> arg("a", "arg",
                                   "an argument of the --msg before it: NAME=TYPE:VALUE, or =TYPE:VALUE "
                                   "without a name (ip=ipv4:10.0.0.1, n=int64:-5, k=bin:hex:00ff, =str:x)",
                                   false, "NAME=TYPE:VALUE", cmd);
  TCLAP::MultiArg<std::string> expect("e", "expect",
                                      "assert on the variables after the ACK (repeatable): VAR=TYPE:VALUE, "
                                      "VAR=int:LO..HI, VAR (set), !VAR (not set); exit 1 when one fails",
                                      false, "ASSERTION", cmd);
  TCLAP::ValueArg<std::string> repeat_arg("n", "repeat", "send the NOTIFY N times and print a latency summary", false,
                                          "1", "N", cmd);
  TCLAP::ValueArg<std::string> pipeline_arg("", "pipeline",
                                            "keep up to D NOTIFYs waiting for their ACK (needs "
                                            "pipelining from the agent; default 1)",
                                            false, "1", "D", cmd);
  TCLAP::SwitchArg json("", "json", "print JSON", cmd, false);
  if (auto status = parse_command_line(cmd, a, send_examples)) return *status;

  const auto usage_error = [&](const std::string& why) {
    a.err << a.args.front() << ": " << why << "\n";
    return exit_status::failed;
  };
  Endpoint endpoint;
  ClientOptions options;
  if (std::string err = conn.resolve(endpoint, options, a.err); !err.empty()) return usage_error(err);
  Messages messages;
  if (std::string err = collect_messages(cmd, a.args, messages); !err.empty()) return usage_error(err);
  std::vector<Expectation> expectations;
  for (const std::string& text : expect.getValue()) {
    Expectation e;
    if (std::string err = parse_expectation(text, e); !err.empty()) return usage_error(err);
    expectations.push_back(std::move(e));
  }
  std::uint64_t repeat = 0;
  std::uint64_t pipeline = 0;
  if (std::string err = parse_unsigned(repeat_arg.getValue(), UINT32_MAX, repeat); !err.empty() || repeat == 0) {
    return usage_error("--repeat: " + (err.empty() ? "must be at least 1" : err));
  }
  if (std::string err = parse_unsigned(pipeline_arg.getValue(), 65535, pipeline); !err.empty() || pipeline == 0) {
    return usage_error("--pipeline: " + (err.empty() ? "must be at least 1" : err));
  }
  options.haproxy.max_in_flight = pipeline;

  // Views for the codec: they point into `messages`, which no longer changes.
  std::vector<std::vector<spop::Argument>> arg_views(messages.names.size());
  std::vector<spop::NotifyMessage> notify;
  for (std::size_t i = 0; i < messages.names.size(); ++i) {
    for (const NamedValue& nv : messages.args[i]) arg_views[i].push_back(spop::Argument{nv.name, nv.value.view()});
    notify.push_back(spop::NotifyMessage{messages.names[i], arg_views[i]});
  }

  Client client(endpoint, options);
  nlohmann::json out{{"agent", endpoint.to_string()}};
  if (auto f = client.connect()) {
    out["error"] = failure_json(*f);
    if (json.getValue()) a.out << dump_json(out) << "\n";
    a.err << a.args.front() << ": " << f->message << "\n";
    return exit_code(*f);
  }
  const Handshake& h = client.handshake();
  ExpectationReport report;
  RunResult run = exchange(client, notify, repeat, expectations, report);
  if (!run.failure) client.close();

  const bool many = repeat > 1;
  const LatencySummary latency = summarize(run.round_trips);
  const double seconds = std::chrono::duration<double>(run.elapsed).count();
  if (json.getValue()) {
    out["handshake"] = handshake_json(h, options.haproxy.max_frame_size);
    if (run.first_ack) out["ack"] = ack_json(*run.first_ack);
    if (!expectations.empty()) out["expectations"] = expectations_json(expectations, report);
    if (many) {
      out["summary"] = {{"sent", run.sent},
                        {"acks", run.round_trips.size()},
                        {"pipeline", pipeline},
                        {"pipelining", h.pipelining || h.async},
                        {"elapsed_s", seconds},
                        {"per_second", seconds > 0 ? static_cast<double>(run.round_trips.size()) / seconds : 0.0},
                        {"latency", to_json(latency)}};
    }
    if (run.failure) out["error"] = failure_json(*run.failure);
    a.out << dump_json(out) << "\n";
  } else {
    if (run.first_ack) {
      print_ack(a.out, *run.first_ack);
      if (many) a.out << "(the first of " << run.round_trips.size() << " ACKs)\n";
    }
    print_expectations(a.out, expectations, report);
    if (many) {
      if (pipeline > 1 && !h.pipelining && !h.async) {
        a.out << "note: the agent did not agree to pipelining: one NOTIFY at a time\n";
      }
      char rate[64];
      std::snprintf(rate, sizeof rate, "%.3f s (%.0f/s)", seconds,
                    seconds > 0 ? static_cast<double>(run.round_trips.size()) / seconds : 0.0);
      a.out << run.sent << " NOTIFYs, " << run.round_trips.size() << " ACKs in " << rate << ", pipeline " << pipeline
            << "\nlatency: " << to_text(latency) << "\n";
    }
  }
  if (run.failure) {
    a.err << a.args.front() << ": " << run.failure->message << "\n";
    return exit_code(*run.failure);
  }
  if (report.first_failing_ack) {
    a.err << a.args.front() << ": expectation failed\n";
    return exit_status::failed;
  }
  return exit_status::ok;
}

}  // namespace spop_cli
