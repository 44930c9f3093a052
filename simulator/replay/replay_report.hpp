// What `spop-sim replay` found: per message and per variable how many ACKs differ from the recorded ones
// and how (the transitions "int32:12 -> int32:40" with counts and first examples), the calls that now
// fail or time out, and the latency of both runs side by side. Rendered as text, JSON and HTML.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/replay/replay_input.hpp"
#include "simulator/run/histogram.hpp"

namespace spop::sim::replay {

/// How many distinct transitions and examples a variable keeps; the rest is only counted.
inline constexpr std::size_t max_transitions_kept = 100;
inline constexpr std::size_t max_examples_kept = 3;

/// The first few places something was seen, in input order whatever order the answers came back in
/// (calls run side by side, so ACKs do not return in the order their NOTIFYs were sent).
class FirstExamples {
 public:
  /// `order` is the exchange's position in the input; only the max_examples_kept lowest are kept.
  void offer(std::uint64_t order, std::string text);
  std::vector<std::string> list() const;
  bool empty() const noexcept { return kept_.empty(); }

 private:
  std::map<std::uint64_t, std::string> kept_;
};

struct VariableDiff {
  std::uint64_t differing = 0;  ///< ACKs where it differs
  std::uint64_t added = 0;      ///< of which it was not set before
  std::uint64_t missing = 0;    ///< of which it is not set now
  /// "int32:12 -> int32:40" -> ACKs (at most max_transitions_kept; `other` counts the rest).
  std::map<std::string, std::uint64_t> transitions;
  std::uint64_t other = 0;
  FirstExamples examples;  ///< "traffic.rec record 17: int32:12 -> int32:40"
};

struct MessageDiff {
  std::uint64_t compared = 0;   ///< ACKs compared (answered then and now)
  std::uint64_t differing = 0;  ///< of which at least one variable differs
  std::map<std::string, VariableDiff> variables;
};

struct FailureKind {
  std::uint64_t count = 0;
  FirstExamples examples;  ///< where: "traffic.rec record 5"
};

struct ReplayReport {
  std::string agent;
  std::string profile;  ///< "2.6"
  std::string mode;     ///< "4 connection(s) x 20 in flight, as fast as possible" / "..., recorded pace x 2"
  std::vector<InputFile> inputs;
  std::vector<std::string> warnings;
  std::vector<std::string> ignore;           ///< --ignore patterns
  std::vector<std::string> ignored_variables;  ///< variable names they matched
  double elapsed_s = 0;
  double cpu_s = 0;
  std::uint64_t exchanges = 0;     ///< in the input, times --repeat
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t compared = 0;      ///< answered now and then
  std::uint64_t differing = 0;     ///< compared ACKs with a difference
  std::uint64_t unanswered_then = 0;   ///< NOTIFYs the input shows without an ACK
  std::uint64_t answered_now = 0;      ///< of which were answered now
  std::uint64_t failed = 0;            ///< answered then, failed or timed out now
  std::map<std::string, FailureKind> failures;
  std::map<std::string, MessageDiff> messages;  ///< by message set ("check-client-ip", "a+b")
  LatencyHistogram recorded_latency, replayed_latency;
  std::uint64_t connections_opened = 0;

  bool differs() const noexcept { return differing > 0 || failed > 0; }
  bool input_errors() const noexcept;
  double rate() const noexcept { return elapsed_s > 0 ? static_cast<double>(sent) / elapsed_s : 0; }
};

/// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t n);

std::string to_text(const ReplayReport& r);
nlohmann::json to_json(const ReplayReport& r);
std::string to_html(const ReplayReport& r);

}  // namespace spop::sim::replay
