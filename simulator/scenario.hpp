// A spop-sim scenario (YAML, see simulator/scenario.md): the traffic to generate (request templates with
// weights, client addresses, closed-loop concurrency or an open arrival rate, duration or count), the
// HAProxy profile, the faults to inject and the expectations to check. Loading validates everything and
// reports problems as "file:line:column: message".
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/address_pool.hpp"
#include "simulator/diagnostic.hpp"
#include "simulator/request.hpp"
#include "simulator/text_template.hpp"
#include "simulator/var_expectation.hpp"

namespace spop::sim {

/// Which HAProxy the simulator plays (spop-protocol.md §8).
enum class Profile : std::uint8_t { haproxy_2_6, haproxy_3_1 };
std::string_view to_string(Profile profile);  ///< "2.6", "3.2"

struct HeaderTemplate {
  std::string name;
  TextTemplate value;
};

/// One kind of request, chosen by weight.
struct RequestTemplate {
  std::string name;             ///< `name`, or "request-<index>"
  std::uint64_t weight = 1;
  std::string method = "GET";
  TextTemplate url = TextTemplate::literal("/");  ///< `path`: the request target, placeholders allowed
  std::vector<HeaderTemplate> headers;            ///< in order; duplicates allowed
  bool ssl = false;
  AddressPool clients;          ///< empty: the scenario's clients
  /// `group`: send this spoe-group's messages (as `http-request send-spoe-group`) instead of the
  /// messages bound to the scenario's event. Empty: the event's messages.
  std::string group;
  SourceLocation where;
};

/// How much traffic, and how it is paced.
struct LoadSpec {
  std::uint32_t connections = 1;          ///< SPOP connections to the agent
  std::uint32_t in_flight = 1;            ///< closed loop: requests outstanding per connection
  std::optional<double> rate;             ///< open loop: new requests per second, over all connections
  std::optional<std::chrono::microseconds> duration;  ///< stop after this long...
  std::optional<std::uint64_t> count;                 ///< ...or after this many requests (first reached)

  bool open_loop() const noexcept { return rate.has_value(); }
};

enum class FaultKind : std::uint8_t {
  split_frames,       ///< write each frame in chunks of `chunk` bytes
  delay_bytes,        ///< pause `delay` between chunks of `chunk` bytes
  slow_reader,        ///< read the agent's bytes at `rate` bytes per second
  rst_mid_frame,      ///< reset the connection in the middle of a NOTIFY
  reconnect_storm,    ///< drop and reopen every connection each `interval`
  soft_stop,          ///< HAPROXY-DISCONNECT "normal" (a reload) at time `at`
  healthcheck_flood,  ///< health-check HELLOs at `rate` per second on extra connections
  oversize_frame,     ///< a NOTIFY of `size` bytes, above the negotiated max-frame-size
  truncated_frame,    ///< a NOTIFY cut short, then the connection closed
  invalid_frame,      ///< a malformed frame
  unknown_message,    ///< a NOTIFY with message `message`, which the agent does not know
  batch_frames,       ///< hold NOTIFYs and write `count` of them in one write
};
std::string_view to_string(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view name);

/// One fault and its parameters. Per-request faults fire with `probability`, or on every `every`-th
/// request when that is set.
struct FaultSpec {
  FaultKind kind = FaultKind::split_frames;
  SourceLocation where;
  double probability = 1.0;
  std::optional<std::uint64_t> every;
  std::uint32_t chunk = 1;                            ///< split_frames, delay_bytes
  std::optional<std::chrono::microseconds> delay;     ///< delay_bytes
  std::optional<std::chrono::microseconds> interval;  ///< reconnect_storm
  std::optional<std::chrono::microseconds> at;        ///< soft_stop
  double rate = 0;                                    ///< slow_reader (bytes/s), healthcheck_flood (checks/s)
  std::optional<std::uint32_t> size;                  ///< oversize_frame; nullopt: max-frame-size + 1
  std::string message = "spop-sim-unknown";           ///< unknown_message
  std::uint32_t count = 16;                           ///< batch_frames: NOTIFYs per write
};

/// Parses a fault given on the command line: "NAME" or "NAME:key=value,key=value" with the same
/// parameters and checks as the scenario's `faults` entries. nullopt with `error` set when invalid.
std::optional<FaultSpec> parse_fault_option(std::string_view text, std::string& error);

/// Accepted values of one variable: it passes when any alternative matches.
struct VarExpectation {
  std::string variable;  ///< full HAProxy name: "txn.iprep.ip_score"
  std::vector<VarMatcher> any_of;
  SourceLocation where;
};

/// Variables expected after every request whose NOTIFY carried `message`.
struct MessageExpectation {
  std::string message;
  std::vector<VarExpectation> variables;
  SourceLocation where;
};

/// An upper bound on a latency quantile (1.0 is the maximum).
struct LatencyBound {
  std::string label;  ///< as written: "p99", "p99.9", "max"
  double quantile = 1.0;
  std::chrono::microseconds limit{0};
  SourceLocation where;
};

struct Expectations {
  std::vector<MessageExpectation> messages;
  std::optional<double> max_error_rate;  ///< fraction of failed requests, 0..1
  SourceLocation max_error_rate_where;
  std::vector<LatencyBound> latency;
};

struct Scenario {
  std::string file;
  Profile profile = Profile::haproxy_2_6;
  bool profile_set = false;                    ///< `profile` was written (else a driver may pick)
  std::uint64_t seed = 1;
  /// `event`: the SPOE event each request triggers (default on-frontend-http-request).
  std::string event = "on-frontend-http-request";
  SourceLocation event_where;
  LoadSpec load;
  IpAddress frontend_address = loopback_v4();  ///< dst of every request
  std::uint16_t frontend_port = 80;            ///< dst_port
  AddressPool clients;                         ///< default: 127.0.0.1
  std::uint16_t client_port_low = 1024;        ///< src_port range
  std::uint16_t client_port_high = 65535;
  std::vector<RequestTemplate> requests;
  std::vector<FaultSpec> faults;
  Expectations expect;
};

/// Reads and validates a scenario. Throws ConfigError listing every problem found as
/// "file:line:column: message".
Scenario load_scenario(const std::filesystem::path& file);
/// The same for YAML text in memory; `file_name` is used in diagnostics.
Scenario parse_scenario(std::string_view yaml, const std::string& file_name);

}  // namespace spop::sim
