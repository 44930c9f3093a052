// The state of one `spop-sim run` (see runner.hpp), shared by the files that implement it: runner.cpp
// (set-up, the poll loop, timeouts, closing, the final report), runner_traffic.cpp (requests, socket
// reads and writes), runner_replies.cpp (what the agent answers) and runner_faults.cpp (fault injection).
// Internal to spop_sim_run.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/prng.hpp"
#include "simulator/request_generator.hpp"
#include "simulator/run/runner.hpp"
#include "netclient/tls_client.hpp"
#include "simulator/run/sim_socket.hpp"

namespace spop::sim::detail {

using spop::Clock;

inline constexpr std::uint32_t fault_template = UINT32_MAX;  // a request that carries a fault's message
inline constexpr std::size_t max_violations_kept = 20;
inline constexpr std::size_t max_healthchecks_open = 64;

struct Pending {
  spop::NotifyIds ids;
  Clock::time_point start;
  std::uint32_t tmpl = 0;
};

// A fault that left a connection unusable: we wait for the agent's reaction, then close it.
enum class Poison : std::uint8_t { none, rst_mid, truncated, oversize, invalid, soft_stop };

struct Conn {
  int fd = -1;
  bool healthcheck = false;
  bool connecting = true;  // until the TCP connect and, over TLS, the handshake are done
  std::unique_ptr<spop::netclient::TlsSession> tls;  // over TLS (handshake under way while connecting)
  spop::netclient::TlsStep tls_wait = spop::netclient::TlsStep::want_write;  // what the handshake waits for
  std::unique_ptr<spop::HaproxyConnection> hc;
  std::vector<std::byte> in;
  std::vector<Pending> pending;
  // Injected bytes written after everything the connection queued, then what to do.
  std::vector<std::byte> raw;
  std::size_t raw_sent = 0;
  Poison poison = Poison::none;
  std::size_t fault = 0;  // index in report.faults of the poisoning fault
  Clock::time_point reaction_deadline;
  bool reacted = false;
  // Write shaping (split_frames, delay_bytes, batch_frames).
  std::size_t shaped = 0;  // bytes at the front of the output still to write in small chunks
  Clock::time_point next_write_at;
  std::uint32_t held = 0;  // NOTIFYs held back by batch_frames
  Clock::time_point hold_until;
  // slow_reader's token bucket.
  double tokens = 0;
  Clock::time_point tokens_at;
  std::uint64_t stats_taken_in = 0, stats_taken_out = 0;
  std::optional<std::size_t> check_next_handshake;  // rst_mid_frame: report whether the next one works
  std::optional<Clock::time_point> close_deadline;  // after a protocol error: stop waiting for the agent
};

class Runner {
 public:
  Runner(const RunPlan& plan, const RunHooks& hooks);
  RunReport run();

 private:
  // runner.cpp: set-up, the loop, timeouts and closing, the end of the run.
  std::unique_ptr<Conn> open_conn(bool healthcheck, Clock::time_point now);
  void loop();
  bool all_connect_failures() const;
  bool reactions_pending() const;
  std::size_t in_flight() const;
  int poll_timeout(Clock::time_point now) const;
  void progress(Clock::time_point now);
  void expire(Clock::time_point now);
  void close_conn(Conn& c, bool reset, Clock::time_point now);
  void end_soft_stopped(Conn& c, Clock::time_point now);
  bool mux_profile() const;  // the 3.x profile (SPOP mux) rather than 2.6's applet
  // Drops closed connections; an emptied traffic slot is refilled by reopen_slots().
  void reap(Clock::time_point now);
  void reopen_slots(Clock::time_point now);
  void run_initial_healthcheck();
  static double cpu_seconds();
  TimeSlice& slice(Clock::time_point now);
  void finish();

  // runner_traffic.cpp: requests out, bytes in and out.
  void issue_requests(Clock::time_point now);
  Conn* pick_connection();
  // Builds the request's NOTIFY and sends it (or injects the fault it triggers). False when nothing
  // more can be sent on this connection now.
  bool send_request(Conn& c, Clock::time_point start, Clock::time_point now);
  // split_frames, delay_bytes and batch_frames act on the bytes just queued.
  void shape_new_output(Conn& c, Clock::time_point now);
  bool wants_write_now(const Conn& c, Clock::time_point now) const;
  void write_conn(Conn& c, Clock::time_point now);
  bool read_allowed(Conn& c, Clock::time_point now);
  void read_conn(Conn& c, Clock::time_point now);
  void on_connect_ready(Conn& c, Clock::time_point now);
  void continue_handshake(Conn& c, Clock::time_point now);
  void connect_failed(Conn& c, const std::string& why);
  // The poll events of a connection still connecting: the TCP connect's, or the TLS handshake's.
  static short connect_events(const Conn& c);
  void on_socket_gone(Conn& c, const std::string& why, Clock::time_point now);

  // runner_replies.cpp: the connection's events (handshakes, ACKs, disconnects, protocol errors).
  void drain(Conn& c, Clock::time_point now);
  void on_ack(Conn& c, const spop::AckEvent& ack, Clock::time_point now);
  void record_variables(const std::string& message, std::span<const spop::AckAction> actions);
  void check_expectations(const TemplateMessages& tm, std::span<const spop::AckAction> actions);
  void health_result(Conn& c, const std::string& what, bool ok);

  // runner_faults.cpp: injecting faults and recording the agent's reactions.
  static std::string expected_reaction(FaultKind k);
  void react(std::size_t fault, const std::string& what, bool accepted);
  bool fires(const FaultSpec& f, std::uint64_t seq);
  // Moves the slot's connection to `extra_` with the fault's bytes queued; the slot is refilled.
  void poison(Conn& c, FaultKind k, Clock::time_point now);
  void move_to_extra(Conn& c, Clock::time_point now);
  void run_timed_faults(Clock::time_point now);

  const FaultSpec* spec(FaultKind k) const { return fault_spec_[idx(k)]; }
  FaultOutcome& outcome(FaultKind k) { return report_.faults[fault_index_[idx(k)]]; }
  static std::size_t idx(FaultKind k) { return static_cast<std::size_t>(k); }

  const RunPlan& plan_;
  const RunHooks& hooks_;
  RunReport report_;
  RequestGenerator gen_;
  Prng fault_prng_;
  spop::Haproxy26Ids ids26_;
  ResolvedAddress address_;
  std::unique_ptr<spop::netclient::ClientContext> tls_;  // set when the agent is reached over TLS
  Direction direction_ = Direction::request;
  std::array<std::size_t, 16> fault_index_{};
  std::array<const FaultSpec*, 16> fault_spec_{};
  std::vector<std::unique_ptr<Conn>> slots_;   // the pool of traffic connections
  std::vector<std::unique_ptr<Conn>> extra_;   // health checks, and poisoned connections draining
  Clock::time_point t0_;
  double cpu0_ = 0;
  Clock::time_point next_progress_;
  std::optional<Clock::time_point> end_, rate_next_, reopen_at_, soft_stop_at_, storm_next_;
  Clock::time_point flood_next_;
  Clock::time_point stop_at_;
  bool stopping_ = false;
  bool ever_connected_ = false;
  bool initial_check_ = false;
  std::optional<std::size_t> pending_check_;
  std::uint64_t issued_ = 0;
  std::size_t rr_ = 0;
  std::set<std::uint32_t> first_detail_;
  spop::VariableStore proc_vars_;
  // Reused per request.
  Request request_;
  std::vector<spop::Argument> args_;
  std::vector<spop::NotifyMessage> messages_;
  std::vector<std::string_view> names_;
  std::byte buffer_[65536];
};

}  // namespace spop::sim::detail
