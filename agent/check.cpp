// The --check report. Scripts are loaded in this process (no fork): --check never serves.
#include "agent/check.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <ostream>
#include <string>

#include "agent/dispatcher.hpp"
#include "agent/logging.hpp"
#include "agent/options.hpp"
#include "agent/tls/tls_check.hpp"

namespace spoa {

namespace {

std::string duration(std::chrono::milliseconds d, bool zero_is_never) {
  if (d.count() == 0 && zero_is_never) return "0 (never)";
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

std::string listen_summary(const Options& o) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (o.listen_tcp()) {
    if (o.addresses.empty()) {
      add(fmt::format("0.0.0.0:{}", o.port));
      add(fmt::format("[::]:{}", o.port));
    }
    for (const auto& a : o.addresses) add(fmt::format("{}:{}", a.find(':') != std::string::npos ? "[" + a + "]" : a, o.port));
  }
  if (o.unix_path) add("unix:" + o.unix_path->string());
  return out;
}

// "lua 8 threads (a Lua state each), php 1 thread (PHP's embed SAPI is not thread-safe), per worker".
std::string executors_summary(const Dispatcher& dispatcher, const Options& o) {
  std::string out;
  for (const Engine* engine : dispatcher.engines()) {
    if (!out.empty()) out += ", ";
    switch (engine->thread_model()) {
      case ThreadModel::per_thread:
        out += fmt::format("{} {} thread(s) (a state each: globals are per thread)", engine->language(), o.threads);
        break;
      case ThreadModel::shared:
        out += fmt::format("{} {} thread(s) (one interpreter)", engine->language(), o.threads);
        if (const std::string loop = engine->event_loop_description(); !loop.empty())
          out += fmt::format(", async def handlers on {}", loop);
        break;
      case ThreadModel::single:
        out += fmt::format("{} 1 thread (its runtime is not thread-safe; --threads does not apply)",
                           engine->language());
        break;
    }
  }
  if (out.empty()) return fmt::format("none (no scripts: NOTIFYs are answered on the event loop; --threads {})", o.threads);
  return out + ", per worker";
}

}  // namespace

int run_check(const Options& options, std::ostream& out, std::ostream& err) {
  EngineOptions engine_options = options.engine;
  engine_options.log = engine_log_sink();
  Dispatcher dispatcher;
  try {
    dispatcher = Dispatcher::load(options.files, engine_options);
  } catch (const StartupError& e) {
    err << "spoa: check failed: " << e.what() << "\n";
    return 1;
  }
  const StoreCheck state = options.engine.state != nullptr ? options.engine.state->check() : StoreCheck{};
  if (state.verdict == StoreCheck::Verdict::refused) {
    err << "spoa: check failed: shared state store: " << state.text << "\n";
    return 1;
  }
  std::map<std::filesystem::path, std::string> messages;
  for (const auto& r : dispatcher.registrations()) {
    auto& list = messages[r.file];
    list += (list.empty() ? "" : ", ") + r.message + (r.on_loop ? " (async def)" : "");
  }

  // The TLS files are checked before anything is printed: a problem means no "configuration OK".
  tls::CheckReport tls_report;
  if (options.tls.enabled()) {
    tls_report = tls::check_tls(options.tls, options.unix_path.has_value());
    if (!tls_report.ok()) {
      for (const auto& p : tls_report.problems) err << "spoa: check failed: " << p << "\n";
      return 1;
    }
  }

  const char* activated = std::getenv("LISTEN_FDS");
  out << "configuration OK\n";
  if (options.config_file) out << "config file:     " << options.config_file->string() << "\n";
  out << "listen:          " << listen_summary(options)
      << (activated != nullptr ? " (ignored: sockets come from systemd, LISTEN_FDS is set)" : "") << "\n";
  out << "workers:         " << (options.debug ? "1 (foreground, -d)" : std::to_string(options.workers)) << "\n";
  if (options.files.empty()) out << "scripts:         none (every NOTIFY gets an empty ACK)\n";
  for (const auto& f : options.files) {
    auto it = messages.find(f);
    out << "script:          " << f.string() << ": "
        << (it == messages.end() ? std::string("no message registered") : it->second) << "\n";
  }
  out << "executors:       " << executors_summary(dispatcher, options) << "\n";
  out << "timeouts:        hello " << duration(options.agent.hello_timeout, true) << ", idle "
      << duration(options.agent.idle_timeout, true) << ", call budget "
      << duration(options.engine.call_budget, true) << ", drain " << duration(options.drain_timeout, false) << "\n";
  out << "limits:          max-frame-size " << options.agent.max_frame_size << ", max-in-flight "
      << options.agent.max_in_flight << ", max-calls " << options.max_calls << ", max-connections "
      << options.max_connections << ", memory-limit "
      << options.engine.memory_limit << "\n";
  out << "capabilities:    " << (options.agent.pipelining ? "pipelining" : "no pipelining")
      << (options.agent.async ? ", async" : "") << (options.agent.fragmentation ? ", fragmentation" : "") << "\n";
  out << "state:           " << describe_state(options.state, state);
  if (state.verdict == StoreCheck::Verdict::unreachable) out << "; NOT reachable now (the agent would start and retry)";
  out << "\n";
  const auto& log = options.log_output;
  out << "log:             level " << log_level_name(options.log_level) << ", target " << log_target_name(log.target);
  if (log.target == LogTarget::syslog) out << " (" << log.syslog_socket.string() << ")";
  if (log.target != LogTarget::journal) out << ", format " << (log.format == LogFormat::json ? "json" : "text");
  out << "\n";
  if (!options.tls.enabled()) out << "tls:             off (plaintext; --tls-cert and --tls-key turn it on)\n";
  for (const auto& line : tls_report.lines) out << line << "\n";
  out << "record:          " << describe(options.record) << "\n";
  return 0;
}

}  // namespace spoa
