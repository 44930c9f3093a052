// One conformance check: its identity (id, group, level, the rule of spop-protocol.md it tests, what it
// sends and expects) and the function that runs it against an agent. The registry lists them in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/conform/probe.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop::sim::conform {

/// MUST failures fail the suite; SHOULD failures are reported as warnings.
enum class Level { must, should };
std::string_view to_string(Level level);

enum class Verdict { pass, fail, skip };
std::string_view to_string(Verdict verdict);

/// What a check found: on failure, what the agent did instead; on skip, why it did not run.
struct Outcome {
  Verdict verdict = Verdict::pass;
  std::string detail;
};
inline Outcome pass(std::string note = {}) { return {Verdict::pass, std::move(note)}; }
inline Outcome fail(std::string what) { return {Verdict::fail, std::move(what)}; }
inline Outcome skip(std::string why) { return {Verdict::skip, std::move(why)}; }

/// What the runner learnt about the agent before the checks (one normal handshake per profile).
struct AgentFacts {
  bool handshake_ok = false;          ///< the profile's standard HELLO got a valid AGENT-HELLO
  std::string capabilities;           ///< the agent's answer
  bool pipelining = false;            ///< announced by the agent (and offered by us)
  bool fragmentation = false;         ///< announced by the agent
  std::uint32_t max_frame_size = 0;   ///< what it answered to our 16380
  bool echo = false;                  ///< implements the spop-conformance-echo message
  std::string echo_detail;            ///< why echo is considered absent
};

/// Everything a check may use. Each check opens its own fresh connections.
struct Context {
  Endpoint endpoint;
  std::shared_ptr<const spop::netclient::ClientContext> tls;  ///< null: plaintext
  HaproxyProfile profile = HaproxyProfile::v2_6;
  Millis timeout{2000};  ///< bound of every single wait for the agent
  AgentFacts facts;
  std::uint32_t next_uniq_id = 1;  ///< 2.6 stream ids: one process-wide counter, as in HAProxy

  Clock::time_point deadline() const { return Clock::now() + timeout; }
  /// How long to watch for something that should not happen (a frame after the end, a late ACK).
  Millis quiet() const;
};

using CheckFn = Outcome (*)(Context&);

struct Check {
  std::string_view id;        ///< "HS-01"
  std::string_view group;     ///< "handshake", "health check", ...
  Level level = Level::must;
  std::string_view rule;      ///< section of spop-protocol.md, e.g. "§5.3"
  std::string_view title;     ///< one line
  std::string_view sent;      ///< what the check sends
  std::string_view expected;  ///< what it expects back
  CheckFn run = nullptr;
  bool needs_echo = false;    ///< skipped when the agent does not implement spop-conformance-echo
};

/// Every check, in the order they run (grouped). Ids are unique.
std::span<const Check> all_checks();

// Each group's file appends its checks.
void add_handshake_checks(std::vector<Check>& out);
void add_healthcheck_checks(std::vector<Check>& out);
void add_notify_checks(std::vector<Check>& out);
void add_type_checks(std::vector<Check>& out);
void add_limit_checks(std::vector<Check>& out);
void add_lifecycle_checks(std::vector<Check>& out);
void add_fragmentation_checks(std::vector<Check>& out);
void add_robustness_checks(std::vector<Check>& out);

}  // namespace spop::sim::conform
