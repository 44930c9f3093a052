// Fuzz target: spop-sim's input readers on arbitrary text. The first byte picks the reader ('S' or
// anything else not below: the SPOE file; 'H' haproxy.cfg; 'Y' a YAML scenario), the second the
// options (SPOE engine name and proxy kind), the rest is the text.
// Invariants: a reader either returns or throws ConfigError (no other exception, no crash or hang);
// a ConfigError carries at least one error, each with a message and located in the given file at a
// line of the text; reading is deterministic (a second read gives the same errors or the same
// result); a returned SPOE config respects HAProxy's ranges and its messages_for(), find_message()
// and evaluate_event() agree, every message's arguments evaluate, and a NOTIFY of them can be built;
// a returned haproxy.cfg has absolute SPOE paths and finds its own backends; a returned scenario has
// sane port and probability ranges.
#include <algorithm>
#include <exception>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "simulator/diagnostic.hpp"
#include "simulator/haproxy_config.hpp"
#include "simulator/scenario.hpp"
#include "simulator/spoe_config.hpp"
#include "spop/notify_builder.hpp"

namespace {

using fuzz::require;
namespace sim = spop::sim;

const std::string kFile = "fuzz.conf";

// "$VAR" values come from here, never from the process environment (deterministic runs).
std::optional<std::string> fake_env(std::string_view name) {
  if (name == "HOME") return std::string("/home/fuzz");
  if (name == "PORT") return std::string("12345");
  if (name == "EMPTY") return std::string();
  return std::nullopt;
}

int line_count(std::string_view text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1; }

void check_error(const sim::ConfigError& e, std::string_view text) {
  require(!e.errors().empty(), "ConfigError without errors");
  require(std::string_view(e.what()).size() > 0, "ConfigError without text");
  for (const auto& d : e.errors()) {
    require(!d.message.empty(), "error without a message");
    require(d.where.file.empty() || d.where.file == kFile || d.where.file.find(kFile) != std::string::npos,
            "error located in another file");
    require(d.where.line >= 0 && d.where.line <= line_count(text) + 1, "error line outside the text");
  }
}

/// Runs `read` twice; returns the error text or "" on success (the result goes to `check`).
template <typename Read, typename Check>
void read_twice(std::string_view text, Read read, Check check) {
  std::string first;
  for (int round = 0; round < 2; ++round) {
    std::string got;
    try {
      auto result = read();
      if (round == 0) check(result);
    } catch (const sim::ConfigError& e) {
      check_error(e, text);
      got = e.what();
      if (got.empty()) got = "?";
    } catch (const std::exception& e) {
      std::fprintf(stderr, "unexpected exception: %s\n", e.what());
      require(false, "a reader threw something other than ConfigError");
    }
    if (round == 0) first = got;
    else require(got == first, "reading is not deterministic");
  }
}

void check_spoe(const sim::SpoeConfig& c) {
  require(c.agent.max_frame_size >= spop::min_max_frame_size && c.agent.max_frame_size <= spop::default_max_frame_size,
          "max-frame-size out of range");
  require(c.agent.max_waiting_frames >= 1, "max-waiting-frames below 1");
  require(!c.agent.backend.empty(), "agent without use-backend accepted");
  for (const auto& m : c.messages) {
    require(m.event.has_value(), "message without event kept");
    require(c.find_message(m.name) != nullptr, "find_message misses a message");
  }
  for (const auto& g : c.groups) require(c.find_group(g.name) != nullptr, "find_group misses a group");
  sim::Request request;
  request.headers.push_back({"Host", "example.com"});
  request.headers.push_back({"X-Forwarded-For", "192.0.2.1, 2001:db8::1"});
  request.url = "/path?q=1";
  std::vector<std::byte> frame;
  for (const sim::Event e : sim::all_events) {
    const auto wanted = c.messages_for(e);
    for (const auto* m : wanted) require(m->event == e, "messages_for returns another event's message");
    const auto evaluated = sim::evaluate_event(c, e, request);
    require(evaluated.size() == wanted.size(), "evaluate_event vs messages_for");
    frame.clear();
    spop::NotifyBuilder b(frame, 1, 1, 1u << 24);
    for (std::size_t i = 0; i < evaluated.size(); ++i) {
      require(evaluated[i].name() == wanted[i]->name, "evaluated message order");
      require(evaluated[i].arguments().size() == wanted[i]->args.size(), "evaluated argument count");
      const auto e2 = b.add_message(evaluated[i].name(), evaluated[i].arguments());
      require(e2 == spop::Errc::ok || (e2 == spop::Errc::invalid_argument && wanted[i]->args.size() > 255),
              "evaluated message does not encode");
    }
    b.finish();
  }
}

void check_haproxy(const sim::HaproxyConfig& c) {
  for (const auto& f : c.filters) {
    require(f.config.is_absolute(), "SPOE path not made absolute");
    require(!f.proxy.empty(), "filter outside a proxy");
  }
  for (const auto& b : c.backends) {
    require(c.find_backend(b.name) != nullptr, "find_backend misses a backend");
    for (const auto& s : b.servers) require(!s.name.empty() && !s.address.empty(), "server without name or address");
  }
}

void check_scenario(const sim::Scenario& s) {
  require(s.client_port_low <= s.client_port_high, "client port range reversed");
  for (const auto& f : s.faults) require(f.probability >= 0 && f.probability <= 1, "fault probability out of [0,1]");
  if (s.expect.max_error_rate) {
    require(*s.expect.max_error_rate >= 0 && *s.expect.max_error_rate <= 1, "max_error_rate out of [0,1]");
  }
  for (const auto& l : s.expect.latency) require(l.quantile >= 0 && l.quantile <= 1, "latency quantile out of [0,1]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size > 64 * 1024) return 0;
  const char kind = static_cast<char>(data[0]);
  const std::uint8_t opts = data[1];
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (kind == 'H') {
    read_twice(text, [&] { return sim::parse_haproxy_config(text, kFile, "/fuzz", fake_env); }, check_haproxy);
  } else if (kind == 'Y') {
    read_twice(text, [&] { return sim::parse_scenario(text, kFile); }, check_scenario);
  } else {
    static const std::optional<std::string> engines[] = {std::nullopt, "spoe-test", "iprep", "x"};
    const sim::SpoeLoadOptions o{engines[opts & 3], static_cast<sim::ProxyKind>((opts >> 2) % 3), fake_env};
    read_twice(text, [&] { return sim::parse_spoe_config(text, kFile, o); }, check_spoe);
  }
  return 0;
}
