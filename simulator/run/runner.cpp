#include "simulator/run/runner.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "simulator/prng.hpp"
#include "simulator/request_generator.hpp"
#include "simulator/run/sim_socket.hpp"
#include "spop/frame.hpp"
#include "spop/notify_builder.hpp"
#include "spop/status.hpp"

namespace spop::sim {

namespace {

using spop::Clock;
using namespace std::chrono_literals;

constexpr std::uint32_t fault_template = UINT32_MAX;  // a request that carries a fault's message
constexpr std::size_t max_violations_kept = 20;
constexpr std::size_t max_healthchecks_open = 64;

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
  bool connecting = true;
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

std::string status_text(std::uint32_t code) {
  std::string s = std::to_string(code);
  if (spop::is_known_status(code)) s += " \"" + std::string(spop::status_message(static_cast<spop::Status>(code))) + "\"";
  return s;
}

class Runner {
 public:
  Runner(const RunPlan& plan, const RunHooks& hooks)
      : plan_(plan),
        hooks_(hooks),
        gen_(plan.scenario, plan.scenario.seed),
        fault_prng_(plan.scenario.seed ^ 0x5eed'fa17'0000'0001ULL) {
    for (const FaultSpec& f : plan.scenario.faults) {
      FaultOutcome o;
      o.name = std::string(to_string(f.kind));
      o.expected = expected_reaction(f.kind);
      fault_index_[static_cast<std::size_t>(f.kind)] = report_.faults.size();
      report_.faults.push_back(std::move(o));
      fault_spec_[static_cast<std::size_t>(f.kind)] = &f;
    }
    const LoadSpec& load = plan.scenario.load;
    report_.agent = plan.agent.to_string();
    report_.profile = std::string(to_string(plan.scenario.profile));
    report_.mode = load.open_loop()
                       ? "open loop, " + std::to_string(static_cast<std::uint64_t>(*load.rate)) + " req/s over " +
                             std::to_string(load.connections) + " connection(s)"
                       : "closed loop, " + std::to_string(load.connections) + " connection(s) x " +
                             std::to_string(load.in_flight) + " in flight";
    report_.warnings = plan.warnings;
    direction_ = direction_of(plan.event);
  }

  RunReport run() {
    std::string error;
    if (!resolve(plan_.agent, address_, error)) {
      ++report_.errors_by_kind["connect: " + error];
      return std::move(report_);
    }
    if (plan_.initial_healthcheck) run_initial_healthcheck();
    t0_ = Clock::now();
    cpu0_ = cpu_seconds();
    next_progress_ = t0_ + hooks_.progress_interval;
    const LoadSpec& load = plan_.scenario.load;
    if (load.duration) end_ = t0_ + *load.duration;
    if (const FaultSpec* f = spec(FaultKind::soft_stop)) soft_stop_at_ = t0_ + f->at.value_or(0us);
    if (const FaultSpec* f = spec(FaultKind::reconnect_storm)) storm_next_ = t0_ + f->interval.value_or(1s);
    flood_next_ = t0_;
    slots_.resize(load.connections);
    for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i] = open_conn(false, t0_);
    loop();
    finish();
    return std::move(report_);
  }

 private:
  // ---- set-up --------------------------------------------------------------------------------

  static std::string expected_reaction(FaultKind k) {
    switch (k) {
      case FaultKind::split_frames:
      case FaultKind::delay_bytes:
      case FaultKind::batch_frames: return "every request answered as without the fault";
      case FaultKind::slow_reader: return "the agent keeps serving; ACKs arrive late, none lost or malformed";
      case FaultKind::rst_mid_frame: return "the agent drops the connection and accepts the next one";
      case FaultKind::reconnect_storm: return "every new connection completes its handshake";
      case FaultKind::soft_stop: return "AGENT-DISCONNECT (status 0) then close";
      case FaultKind::healthcheck_flood: return "every health check answered with a valid AGENT-HELLO";
      case FaultKind::oversize_frame: return "AGENT-DISCONNECT 3 \"frame is too big\" then close";
      case FaultKind::truncated_frame: return "the agent closes the connection (it cannot finish the frame)";
      case FaultKind::invalid_frame: return "AGENT-DISCONNECT 4 \"invalid frame received\" then close";
      case FaultKind::unknown_message: return "an ACK (usually empty): unknown messages are ignored";
    }
    return "";
  }

  const FaultSpec* spec(FaultKind k) const { return fault_spec_[static_cast<std::size_t>(k)]; }
  FaultOutcome& outcome(FaultKind k) { return report_.faults[fault_index_[static_cast<std::size_t>(k)]]; }
  void react(std::size_t fault, const std::string& what, bool accepted) {
    FaultOutcome& o = report_.faults[fault];
    ++o.reactions[what];
    if (!accepted) o.haproxy_accepts = false;
  }

  bool fires(const FaultSpec& f, std::uint64_t seq) {
    if (f.every) return (seq + 1) % *f.every == 0;
    return f.probability >= 1.0 || fault_prng_.unit() < f.probability;
  }

  std::unique_ptr<Conn> open_conn(bool healthcheck, Clock::time_point now) {
    auto c = std::make_unique<Conn>();
    c->healthcheck = healthcheck;
    std::string error;
    c->fd = start_connect(address_, error);
    ++report_.connections_opened;
    if (c->fd < 0) {
      ++report_.errors_by_kind["connect: " + error];
      return nullptr;
    }
    spop::HaproxyOptions o = plan_.haproxy;
    if (healthcheck) {
      o.healthcheck = true;
      o.engine_id.clear();
    }
    c->hc = std::make_unique<spop::HaproxyConnection>(o, now);
    c->tokens_at = now;
    return c;
  }

  // ---- the loop ------------------------------------------------------------------------------

  void loop() {
    const LoadSpec& load = plan_.scenario.load;
    std::vector<pollfd> fds;
    std::vector<Conn*> owners;
    while (true) {
      Clock::time_point now = Clock::now();
      if (!stopping_) {
        const bool count_done = load.count && issued_ >= *load.count;
        if (count_done || (end_ && now >= *end_)) {
          stopping_ = true;
          stop_at_ = now;
        }
      }
      if (!stopping_) run_timed_faults(now);
      reopen_slots(now);
      expire(now);
      if (!stopping_) issue_requests(now);
      for (auto& c : slots_)
        if (c) write_conn(*c, now);
      for (auto& c : extra_) write_conn(*c, now);
      reap(now);
      if (stopping_) {
        // Settle: answers to requests in flight, and the agent's reactions to the last faults.
        const auto limit = std::max<Clock::duration>(plan_.processing_timeout, plan_.reaction_timeout) + 100ms;
        if ((in_flight() == 0 && !reactions_pending()) || now >= stop_at_ + limit) break;
      }
      if (!ever_connected_ && now - t0_ > std::max<Clock::duration>(plan_.processing_timeout, 2s)) {
        // The agent is not there, or never answers a HELLO: do not spin until the end of the run.
        if (report_.errors_by_kind.empty() || !all_connect_failures())
          ++report_.errors_by_kind["no connection completed its handshake within " +
                                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - t0_).count()) +
                                   " ms"];
        break;
      }
      progress(now);

      fds.clear();
      owners.clear();
      auto add = [&](Conn& c) {
        if (c.fd < 0) return;
        short ev = 0;
        if (c.connecting) ev = POLLOUT;
        else {
          if (c.hc->wants_read() && read_allowed(c, now)) ev |= POLLIN;
          if (wants_write_now(c, now)) ev |= POLLOUT;
        }
        fds.push_back(pollfd{c.fd, ev, 0});
        owners.push_back(&c);
      };
      for (auto& c : slots_)
        if (c) add(*c);
      for (auto& c : extra_) add(*c);
      const int timeout = poll_timeout(now);
      const int rc = ::poll(fds.data(), fds.size(), timeout);
      if (rc < 0 && errno != EINTR) break;
      now = Clock::now();
      for (std::size_t i = 0; rc > 0 && i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        Conn& c = *owners[i];
        if (c.connecting) {
          on_connect_ready(c, now);
          continue;
        }
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_conn(c, now);
      }
    }
  }

  bool all_connect_failures() const {
    for (const auto& [kind, n] : report_.errors_by_kind)
      if (!kind.starts_with("connect")) return false;
    return true;
  }

  bool reactions_pending() const {
    for (const auto& c : extra_)
      if (c->poison != Poison::none && !c->reacted && c->fd >= 0) return true;
    return false;
  }

  std::size_t in_flight() const {
    std::size_t n = 0;
    for (const auto& c : slots_)
      if (c) n += c->pending.size();
    for (const auto& c : extra_) n += c->pending.size();
    return n;
  }

  int poll_timeout(Clock::time_point now) const {
    Clock::time_point wake = now + 50ms;
    auto consider = [&](Clock::time_point t) { wake = std::min(wake, t); };
    auto visit = [&](const Conn& c) {
      if (!c.pending.empty()) consider(c.pending.front().start + plan_.processing_timeout);
      if (c.poison != Poison::none && !c.reacted) consider(c.reaction_deadline);
      if (c.close_deadline) consider(*c.close_deadline);
      if (c.held > 0) consider(c.hold_until);
      if (c.hc && c.hc->wants_write() && c.next_write_at > now) consider(c.next_write_at);
      if (c.hc)
        if (auto d = c.hc->next_deadline()) consider(*d);
    };
    for (const auto& c : slots_)
      if (c) visit(*c);
    for (const auto& c : extra_) visit(*c);
    if (end_ && !stopping_) consider(*end_);
    if (rate_next_ && !stopping_) consider(*rate_next_);
    if (reopen_at_) consider(*reopen_at_);
    if (spec(FaultKind::slow_reader)) consider(now + 10ms);
    if (spec(FaultKind::healthcheck_flood) && !stopping_) consider(flood_next_);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 50));
  }

  void progress(Clock::time_point now) {
    if (!hooks_.progress || now < next_progress_) return;
    next_progress_ = now + hooks_.progress_interval;
    report_.elapsed_s = std::chrono::duration<double>(now - t0_).count();
    hooks_.progress(report_);
  }

  // ---- requests ------------------------------------------------------------------------------

  void issue_requests(Clock::time_point now) {
    const LoadSpec& load = plan_.scenario.load;
    auto budget_left = [&] { return !load.count || issued_ < *load.count; };
    if (load.open_loop()) {
      // Request k is due at t0 + k / rate; latency counts from then, so a slow agent cannot hide the
      // queueing it causes (no coordinated omission).
      const double rate = *load.rate;
      while (budget_left()) {
        const auto due = t0_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(issued_) / rate));
        if (due > now) {
          rate_next_ = due;
          return;
        }
        Conn* c = pick_connection();
        if (c == nullptr) {
          rate_next_ = std::nullopt;  // wait for a free connection
          return;
        }
        send_request(*c, due, now);
      }
      return;
    }
    for (auto& c : slots_) {
      if (!c) continue;
      while (budget_left() && c->poison == Poison::none && c->pending.size() < load.in_flight && c->hc &&
             c->hc->can_send()) {
        if (!send_request(*c, now, now)) break;
        if (!c || c->poison != Poison::none) break;
      }
    }
  }

  Conn* pick_connection() {
    for (std::size_t n = 0; n < slots_.size(); ++n) {
      const std::size_t i = (rr_ + n) % slots_.size();
      Conn* c = slots_[i].get();
      if (c && c->poison == Poison::none && c->hc->can_send()) {
        rr_ = i + 1;
        return c;
      }
    }
    return nullptr;
  }

  // Builds the request's NOTIFY and sends it (or injects the fault it triggers). False when nothing
  // more can be sent on this connection now.
  bool send_request(Conn& c, Clock::time_point start, Clock::time_point now) {
    const std::uint64_t seq = issued_++;
    gen_.next(request_);
    std::uint32_t tmpl = static_cast<std::uint32_t>(gen_.last_template());
    const TemplateMessages& tm = plan_.templates[tmpl];
    // Arguments first (their vector must not move while the message spans point into it).
    args_.clear();
    for (const SpoeMessage* m : tm.messages)
      for (const SampleArg& a : m->args) args_.push_back(spop::Argument{a.name, evaluate(a.expr, request_, direction_)});
    messages_.clear();
    std::size_t at = 0;
    for (const SpoeMessage* m : tm.messages) {
      messages_.push_back(spop::NotifyMessage{m->name, std::span<const spop::Argument>(args_).subspan(at, m->args.size())});
      at += m->args.size();
    }
    // Per-request faults: the first that fires wins.
    for (FaultKind k : {FaultKind::rst_mid_frame, FaultKind::truncated_frame, FaultKind::oversize_frame,
                        FaultKind::invalid_frame}) {
      if (const FaultSpec* f = spec(k); f && fires(*f, seq)) {
        poison(c, k, now);
        return false;
      }
    }
    if (const FaultSpec* f = spec(FaultKind::unknown_message); f && fires(*f, seq)) {
      ++outcome(FaultKind::unknown_message).injected;
      messages_.resize(1);
      messages_[0].name = f->message;
      tmpl = fault_template;
    }
    spop::NotifyIds ids;
    std::error_code ec;
    if (plan_.scenario.profile == Profile::haproxy_2_6) {
      ids = ids26_.open_stream().ids();
      ec = c.hc->send_notify_with_ids(ids, messages_, now);
    } else {
      ec = c.hc->send_notify(messages_, now, ids);
    }
    if (ec) {
      ++report_.errors;
      ++report_.errors_by_kind[ec == spop::Errc::frame_too_big
                                   ? "NOTIFY larger than the negotiated frame size"
                                   : "cannot send: " + ec.message()];
      drain(c, now);
      return false;
    }
    ++report_.sent;
    c.pending.push_back(Pending{ids, start, tmpl});
    shape_new_output(c, now);
    return true;
  }

  // split_frames, delay_bytes and batch_frames act on the bytes just queued.
  void shape_new_output(Conn& c, Clock::time_point now) {
    const std::size_t queued = c.hc->pending_output().size();
    const FaultSpec* split = spec(FaultKind::split_frames);
    const FaultSpec* delay = spec(FaultKind::delay_bytes);
    const std::uint64_t seq = issued_ - 1;
    if ((split && fires(*split, seq)) || (delay && fires(*delay, seq))) {
      if (split) ++outcome(FaultKind::split_frames).injected;
      if (delay) ++outcome(FaultKind::delay_bytes).injected;
      c.shaped = queued;
    }
    if (const FaultSpec* b = spec(FaultKind::batch_frames)) {
      if (c.held == 0) c.hold_until = now + 1ms;  // never hold a NOTIFY for long
      if (++c.held >= b->count) {
        ++outcome(FaultKind::batch_frames).injected;
        c.held = 0;
      }
    }
  }

  // ---- writing -------------------------------------------------------------------------------

  bool wants_write_now(const Conn& c, Clock::time_point now) const {
    if (c.held > 0 && now < c.hold_until) return false;
    if (c.next_write_at > now) return false;
    return c.hc->wants_write() || (c.raw_sent < c.raw.size() && c.poison != Poison::none);
  }

  void write_conn(Conn& c, Clock::time_point now) {
    if (c.fd < 0 || c.connecting || !wants_write_now(c, now)) return;
    if (c.held > 0) {
      if (now >= c.hold_until) {
        ++outcome(FaultKind::batch_frames).injected;
        c.held = 0;
      } else {
        return;
      }
    }
    while (c.hc->wants_write()) {
      auto out = c.hc->pending_output();
      std::size_t n = out.size();
      if (c.shaped > 0) {
        const FaultSpec* split = spec(FaultKind::split_frames);
        const FaultSpec* delay = spec(FaultKind::delay_bytes);
        const std::uint32_t chunk = std::max<std::uint32_t>(1, split ? split->chunk : delay->chunk);
        // split_frames: a random size in [1, chunk], so frames are cut at random places.
        n = std::min<std::size_t>({n, c.shaped, split ? 1 + fault_prng_.below(chunk) : chunk});
      }
      const ssize_t w = ::send(c.fd, out.data(), n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return on_socket_gone(c, errno == ECONNRESET ? "the agent reset the connection"
                                                       : "write failed: " + std::string(std::strerror(errno)), now);
      }
      const auto written = static_cast<std::size_t>(w);
      c.hc->consume_output(written);
      report_.bytes_out += written;
      if (c.shaped > 0) {
        c.shaped -= std::min(c.shaped, written);
        if (const FaultSpec* d = spec(FaultKind::delay_bytes)) {
          c.next_write_at = now + *d->delay;
          return;
        }
      }
    }
    if (c.poison == Poison::none || c.raw_sent >= c.raw.size()) return;
    while (c.raw_sent < c.raw.size()) {
      const ssize_t w = ::send(c.fd, c.raw.data() + c.raw_sent, c.raw.size() - c.raw_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        break;  // the agent may already have closed: its reaction is read below
      }
      c.raw_sent += static_cast<std::size_t>(w);
      report_.bytes_out += static_cast<std::size_t>(w);
    }
    if (c.raw_sent < c.raw.size()) return;
    if (c.poison == Poison::rst_mid) {
      react(c.fault, "reset sent mid-frame", true);
      close_conn(c, true, now);
    } else if (c.poison == Poison::truncated) {
      ::shutdown(c.fd, SHUT_WR);  // the rest of the frame never comes
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  bool read_allowed(Conn& c, Clock::time_point now) {
    const FaultSpec* slow = spec(FaultKind::slow_reader);
    if (!slow || c.healthcheck || c.poison != Poison::none) return true;
    c.tokens = std::min(c.tokens + std::chrono::duration<double>(now - c.tokens_at).count() * slow->rate,
                        std::max(slow->rate, 64.0));
    c.tokens_at = now;
    return c.tokens >= 1;
  }

  void read_conn(Conn& c, Clock::time_point now) {
    std::size_t limit = sizeof buffer_;
    const FaultSpec* slow = spec(FaultKind::slow_reader);
    if (slow && !c.healthcheck && c.poison == Poison::none) {
      if (c.tokens < 1) return;
      limit = std::min(limit, static_cast<std::size_t>(c.tokens));
      ++outcome(FaultKind::slow_reader).injected;
    }
    const ssize_t n = ::recv(c.fd, buffer_, limit, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
      return on_socket_gone(c, errno == ECONNRESET ? "the agent reset the connection"
                                                     : "read failed: " + std::string(std::strerror(errno)), now);
    }
    if (n == 0) return on_socket_gone(c, "the agent closed the connection", now);
    if (slow && !c.healthcheck && c.poison == Poison::none) c.tokens -= static_cast<double>(n);
    report_.bytes_in += static_cast<std::size_t>(n);
    c.in.insert(c.in.end(), buffer_, buffer_ + n);
    const std::size_t used = c.hc->feed(c.in, now);
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(std::min(used, c.in.size())));
    drain(c, now);
  }

  void on_connect_ready(Conn& c, Clock::time_point now) {
    if (const int err = connect_result(c.fd); err != 0) {
      ++report_.errors_by_kind["connect: " + std::string(std::strerror(err))];
      if (c.healthcheck) {
        if (spec(FaultKind::healthcheck_flood)) react(fault_index_[idx(FaultKind::healthcheck_flood)],
                                                      "connect failed: " + std::string(std::strerror(err)), true);
      }
      if (c.check_next_handshake) react(*c.check_next_handshake, "the agent refused the next connection", true);
      ::close(c.fd);
      c.fd = -1;
      return;
    }
    c.connecting = false;
    write_conn(c, now);
  }

  static std::size_t idx(FaultKind k) { return static_cast<std::size_t>(k); }

  void on_socket_gone(Conn& c, const std::string& why, Clock::time_point now) {
    if (c.fd < 0) return;
    if (c.poison != Poison::none && !c.reacted) {
      c.reacted = true;
      react(c.fault, why == "the agent closed the connection" ? "closed without AGENT-DISCONNECT" : why, true);
    } else if (c.healthcheck && c.hc->state() != spop::HaproxyState::closed) {
      health_result(c, "closed before answering: " + why, false);
    } else if (!c.pending.empty() && c.poison == Poison::none) {
      report_.errors += c.pending.size();
      report_.errors_by_kind[why + " with requests in flight"] += c.pending.size();
      c.pending.clear();
    }
    close_conn(c, false, now);
  }

  // ---- connection events ---------------------------------------------------------------------

  void drain(Conn& c, Clock::time_point now) {
    while (auto ev = c.hc->next_event()) {
      if (const auto* ce = std::get_if<spop::ConnectedEvent>(&*ev)) {
        ever_connected_ = true;
        if (c.healthcheck) health_result(c, "passed", true);
        if (c.check_next_handshake) {
          react(*c.check_next_handshake, "the agent accepted the next connection", true);
          c.check_next_handshake.reset();
        }
        (void)ce;
      } else if (const auto* ack = std::get_if<spop::AckEvent>(&*ev)) {
        on_ack(c, *ack, now);
      } else if (const auto* d = std::get_if<spop::AgentDisconnectedEvent>(&*ev)) {
        const auto code = static_cast<std::uint32_t>(d->status);
        const bool usual = spop::is_known_status(code) && d->message == spop::status_message(d->status);
        const std::string what = "AGENT-DISCONNECT " + status_text(code) +
                                 (usual ? "" : " with message \"" + std::string(d->message) + "\"");
        if (c.poison != Poison::none) {
          if (!c.reacted) react(c.fault, what, true);
          c.reacted = true;
        } else if (c.healthcheck) {
          health_result(c, "failed: " + what, false);
        } else {
          report_.errors += c.pending.size();
          if (!c.pending.empty()) report_.errors_by_kind[what + " with requests in flight"] += c.pending.size();
          else ++report_.anomalies["agent closed an idle connection with " + what];
          c.pending.clear();
        }
      } else if (const auto* p = std::get_if<spop::ProtocolErrorEvent>(&*ev)) {
        const std::string what = "HAProxy would disconnect with status " +
                                 status_text(static_cast<std::uint32_t>(p->status));
        if (first_detail_.insert(static_cast<std::uint32_t>(p->status)).second)
          report_.warnings.push_back(what + ": " + std::string(p->detail));
        if (c.poison != Poison::none) {
          if (!c.reacted) react(c.fault, what + " (" + std::string(p->detail) + ")", false);
          c.reacted = true;
        } else if (c.healthcheck) {
          health_result(c, "failed: " + what + " (" + std::string(p->detail) + ")", false);
        } else {
          const std::size_t n = std::max<std::size_t>(c.pending.size(), 1);
          report_.errors += c.pending.size();
          report_.errors_by_kind["protocol error: " + what] += n;
          c.pending.clear();
          c.close_deadline = now + plan_.reaction_timeout;
        }
      }
    }
  }

  void on_ack(Conn& c, const spop::AckEvent& ack, Clock::time_point now) {
    const auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending& p) {
      return p.ids.stream_id == ack.stream_id && p.ids.frame_id == ack.frame_id;
    });
    if (it == c.pending.end()) return;  // cancelled: the connection would not have reported it
    const Pending p = *it;
    c.pending.erase(it);
    report_.latency.record(now - p.start);
    ++report_.completed;
    slice(now).completed++;
    if (ack.stop_reason != spop::Errc::ok)
      ++report_.anomalies["ACK actions cut short, HAProxy ignores the rest: " +
                          std::string(spop::make_error_code(ack.stop_reason).message())];
    if (p.tmpl == fault_template) {
      react(fault_index_[idx(FaultKind::unknown_message)],
            "ACK with " + std::to_string(ack.actions.size()) + " action(s)", true);
      return;
    }
    const TemplateMessages& tm = plan_.templates[p.tmpl];
    for (const SpoeMessage* m : tm.messages) record_variables(m->name, ack.actions);
    if (tm.has_expectations) check_expectations(tm, ack.actions);
  }

  void record_variables(const std::string& message, std::span<const spop::AckAction> actions) {
    auto mit = report_.variables.find(message);
    if (mit == report_.variables.end()) mit = report_.variables.emplace(message, std::map<std::string, VariableSeen, std::less<>>{}).first;
    auto& vars = mit->second;
    for (const spop::AckAction& a : actions) {
      auto vit = vars.find(a.variable);
      if (vit == vars.end()) {
        vit = vars.emplace(std::string(a.variable), VariableSeen{}).first;
        vit->second.example = a.type == spop::ActionType::unset_var ? "unset" : spop::describe(a.value);
      }
      VariableSeen& v = vit->second;
      ++v.count;
      const std::string_view type = a.type == spop::ActionType::unset_var || a.value.is_null()
                                        ? std::string_view("unset")
                                        : spop::to_string(a.value.type());
      auto tit = v.types.find(type);
      if (tit == v.types.end()) v.types.emplace(std::string(type), 1);
      else ++tit->second;
    }
  }

  void check_expectations(const TemplateMessages& tm, std::span<const spop::AckAction> actions) {
    spop::VariableStore store = proc_vars_;  // each request is a new session and transaction
    spop::apply_actions(actions, store, plan_.force_set_var);
    VariableMap vars;
    for (const auto& [name, value] : store) vars.emplace(name, value.view());
    names_.clear();
    for (const SpoeMessage* m : tm.messages) names_.push_back(m->name);
    std::vector<Violation> v = check_request(plan_.scenario.expect, names_, vars);
    report_.violation_count += v.size();
    for (Violation& one : v) {
      if (report_.violations.size() >= max_violations_kept) break;
      const bool seen = std::any_of(report_.violations.begin(), report_.violations.end(), [&](const Violation& x) {
        return x.subject == one.subject && x.message == one.message;
      });
      if (!seen) report_.violations.push_back(std::move(one));
    }
    proc_vars_.clear();
    for (auto& [name, value] : store)
      if (name.starts_with("proc.")) proc_vars_.emplace(name, value);
  }

  void health_result(Conn& c, const std::string& what, bool ok) {
    if (c.fd < 0) return;
    if (initial_check_ && !report_.healthcheck) report_.healthcheck = what;
    if (spec(FaultKind::healthcheck_flood) && !initial_check_)
      react(fault_index_[idx(FaultKind::healthcheck_flood)], ok ? "passed" : what, ok);
    // HAProxy resets the connection right after the answer (spop-protocol.md §5.5).
    close_conn(c, true, Clock::now());
  }

  // ---- timeouts and closing ------------------------------------------------------------------

  void expire(Clock::time_point now) {
    auto visit = [&](Conn& c) {
      for (std::size_t i = 0; i < c.pending.size();) {
        if (now - c.pending[i].start < plan_.processing_timeout) {
          ++i;
          continue;
        }
        // HAProxy gives up on the event; a late ACK is then dropped (counted in ignored_acks).
        c.hc->cancel_notify(c.pending[i].ids);
        ++report_.errors;
        ++report_.errors_by_kind["processing timeout"];
        slice(now).errors++;
        c.pending.erase(c.pending.begin() + static_cast<std::ptrdiff_t>(i));
      }
      if (c.hc)
        if (auto d = c.hc->next_deadline(); d && now >= *d) {
          c.hc->on_tick(now);
          drain(c, now);
        }
      if (c.close_deadline && now >= *c.close_deadline) close_conn(c, false, now);
      if (c.poison != Poison::none && !c.reacted && now >= c.reaction_deadline) {
        c.reacted = true;
        react(c.fault, "no reaction within " + std::to_string(plan_.reaction_timeout.count()) + " ms (connection left open)", true);
        close_conn(c, false, now);
      }
    };
    for (auto& c : slots_)
      if (c) visit(*c);
    for (auto& c : extra_) visit(*c);
  }

  void close_conn(Conn& c, bool reset, Clock::time_point now) {
    if (c.fd < 0) return;
    if (!c.pending.empty()) {
      // Requests cut short by our own fault are not the agent's errors.
      if (c.poison != Poison::none) report_.aborted += c.pending.size();
      else {
        report_.errors += c.pending.size();
        report_.errors_by_kind["connection closed with requests in flight"] += c.pending.size();
      }
      c.pending.clear();
    }
    report_.ignored_acks += c.hc->stats().acks_ignored;
    if (reset) close_with_reset(c.fd);
    else ::close(c.fd);
    c.fd = -1;
    (void)now;
  }

  // Drops closed connections; an emptied traffic slot is refilled by reopen_slots().
  void reap(Clock::time_point now) {
    for (auto& c : slots_) {
      if (!c) continue;
      if (c->fd >= 0 && !c->connecting && !c->hc->wants_read() && !c->hc->wants_write()) close_conn(*c, false, now);
      if (c->fd < 0) {
        c.reset();
        if (!reopen_at_) reopen_at_ = now + (ever_connected_ ? 0ms : 100ms);
      }
    }
    for (auto& c : extra_)
      if (c->fd >= 0 && !c->connecting && !c->hc->wants_read() && !c->hc->wants_write()) {
        if (c->poison != Poison::none && !c->reacted) {
          c->reacted = true;
          react(c->fault, "closed", true);
        }
        close_conn(*c, false, now);
      }
    std::erase_if(extra_, [](const std::unique_ptr<Conn>& c) { return c->fd < 0; });
  }

  void reopen_slots(Clock::time_point now) {
    if (stopping_ || !reopen_at_ || now < *reopen_at_) return;
    reopen_at_.reset();
    for (auto& c : slots_) {
      if (c) continue;
      c = open_conn(false, now);
      if (c && pending_check_) {
        c->check_next_handshake = pending_check_;
        pending_check_.reset();
      }
    }
  }

  // ---- faults --------------------------------------------------------------------------------

  // Moves the slot's connection to `extra_` with the fault's bytes queued; the slot is refilled.
  void poison(Conn& c, FaultKind k, Clock::time_point now) {
    FaultOutcome& o = outcome(k);
    ++o.injected;
    c.fault = fault_index_[idx(k)];
    c.reaction_deadline = now + plan_.reaction_timeout;
    std::vector<std::byte> frame;
    const std::uint32_t max = c.hc->negotiated_frame_size();
    switch (k) {
      case FaultKind::rst_mid_frame:
      case FaultKind::truncated_frame: {
        spop::NotifyBuilder b(frame, 1, 1, max);
        for (const spop::NotifyMessage& m : messages_) (void)b.add_message(m.name, m.args);
        b.finish();
        if (frame.size() < 16) frame.resize(16);
        frame.resize(frame.size() / 2);  // stop in the middle
        c.poison = k == FaultKind::rst_mid_frame ? Poison::rst_mid : Poison::truncated;
        if (k == FaultKind::rst_mid_frame) pending_check_ = c.fault;
        break;
      }
      case FaultKind::oversize_frame: {
        const std::uint32_t len = spec(k)->size.value_or(max + 1);
        frame.assign(4 + static_cast<std::size_t>(len), std::byte{0});
        for (int i = 0; i < 4; ++i) frame[static_cast<std::size_t>(i)] = std::byte(static_cast<std::uint8_t>(len >> (24 - 8 * i)));
        frame[4] = std::byte{3};  // NOTIFY, FIN, sid 1, fid 1; the payload is zeros
        frame[8] = std::byte{1};
        frame[9] = std::byte{1};
        frame[10] = std::byte{1};
        c.poison = Poison::oversize;
        break;
      }
      case FaultKind::invalid_frame: {
        // A NOTIFY whose message name claims 32 bytes but the frame ends after 3.
        const std::uint8_t bytes[] = {0, 0, 0, 11, 3, 0, 0, 0, 1, 1, 1, 0x20, 'a', 'b', 'c'};
        for (std::uint8_t b : bytes) frame.push_back(std::byte{b});
        c.poison = Poison::invalid;
        break;
      }
      default:
        break;
    }
    c.raw = std::move(frame);
    move_to_extra(c, now);
  }

  void move_to_extra(Conn& c, Clock::time_point now) {
    for (auto& slot : slots_) {
      if (slot.get() != &c) continue;
      extra_.push_back(std::move(slot));
      if (!stopping_) slot = open_conn(false, now);
      if (slot && pending_check_ && extra_.back()->poison == Poison::rst_mid) {
        slot->check_next_handshake = pending_check_;
        pending_check_.reset();
      }
      return;
    }
  }

  void run_timed_faults(Clock::time_point now) {
    if (soft_stop_at_ && now >= *soft_stop_at_) {
      soft_stop_at_.reset();
      // A reload: the old process says goodbye on every connection, streams in flight and all, and
      // the new one opens its own.
      for (auto& slot : slots_) {
        if (!slot || slot->connecting || slot->hc->state() != spop::HaproxyState::running) continue;
        ++outcome(FaultKind::soft_stop).injected;
        Conn& c = *slot;
        c.fault = fault_index_[idx(FaultKind::soft_stop)];
        c.poison = Poison::soft_stop;
        c.reaction_deadline = now + plan_.reaction_timeout;
        report_.aborted += c.pending.size();  // HAProxy forgets them: not the agent's errors
        c.pending.clear();
        c.hc->submit_disconnect(spop::Status::normal, spop::status_message(spop::Status::normal), now);
        move_to_extra(c, now);
      }
    }
    if (storm_next_ && now >= *storm_next_) {
      storm_next_ = now + spec(FaultKind::reconnect_storm)->interval.value_or(1s);
      // Every connection drops at once (FIN, no DISCONNECT: the old process is gone) and is reopened.
      for (auto& slot : slots_) {
        if (!slot) continue;
        ++outcome(FaultKind::reconnect_storm).injected;
        slot->poison = Poison::rst_mid;  // its requests count as aborted
        slot->reacted = true;
        close_conn(*slot, false, now);
        slot = open_conn(false, now);
        if (slot) slot->check_next_handshake = fault_index_[idx(FaultKind::reconnect_storm)];
      }
    }
    if (const FaultSpec* f = spec(FaultKind::healthcheck_flood); f && now >= flood_next_) {
      const auto step = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / f->rate));
      std::size_t open_checks = 0;
      for (auto& c : extra_) open_checks += c->healthcheck ? 1 : 0;
      while (now >= flood_next_) {
        flood_next_ += step;
        if (open_checks >= max_healthchecks_open) continue;  // the agent is not keeping up: skip
        ++outcome(FaultKind::healthcheck_flood).injected;
        if (auto c = open_conn(true, now)) {
          extra_.push_back(std::move(c));
          ++open_checks;
        }
      }
    }
  }

  void run_initial_healthcheck() {
    initial_check_ = true;
    auto c = open_conn(true, Clock::now());
    if (!c) {
      report_.healthcheck = "failed: cannot connect";
      initial_check_ = false;
      return;
    }
    extra_.push_back(std::move(c));
    const auto deadline = Clock::now() + std::max<Clock::duration>(plan_.processing_timeout, 2s);
    while (!extra_.empty() && Clock::now() < deadline) {
      Conn& hc = *extra_.front();
      pollfd p{hc.fd, static_cast<short>(hc.connecting || hc.hc->wants_write() ? POLLOUT | POLLIN : POLLIN), 0};
      ::poll(&p, 1, 20);
      const auto now = Clock::now();
      if (p.revents != 0) {
        if (hc.connecting) on_connect_ready(hc, now);
        else if (p.revents & (POLLIN | POLLHUP | POLLERR)) read_conn(hc, now);
      }
      if (hc.fd >= 0 && !hc.connecting) write_conn(hc, now);
      std::erase_if(extra_, [](const std::unique_ptr<Conn>& x) { return x->fd < 0; });
    }
    if (!report_.healthcheck) report_.healthcheck = "failed: no answer in time";
    extra_.clear();
    initial_check_ = false;
  }

  static double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
  }

  TimeSlice& slice(Clock::time_point now) {
    const double t = std::chrono::duration<double>(now - t0_).count();
    const auto i = static_cast<std::size_t>(std::max(0.0, t / report_.slice_s));
    while (report_.timeline.size() <= i)
      report_.timeline.push_back(TimeSlice{static_cast<double>(report_.timeline.size()) * report_.slice_s, 0, 0});
    return report_.timeline[i];
  }

  void finish() {
    const auto now = Clock::now();
    for (auto& slot : slots_) {
      if (!slot) continue;
      if (!slot->pending.empty()) {  // still unanswered at the end: they timed out
        report_.errors += slot->pending.size();
        report_.errors_by_kind["processing timeout"] += slot->pending.size();
        slot->pending.clear();
      }
      // End politely, as a stopping HAProxy does; the agent's answer is not waited for long.
      if (slot->fd >= 0 && !slot->connecting && slot->hc->state() == spop::HaproxyState::running) {
        slot->hc->submit_disconnect(spop::Status::normal, spop::status_message(spop::Status::normal), now);
        write_conn(*slot, now);
      }
      close_conn(*slot, false, now);
    }
    for (auto& c : extra_) {
      if (c->poison != Poison::none && !c->reacted) react(c->fault, "no reaction before the end of the run", true);
      close_conn(*c, false, now);
    }
    report_.cpu_s = cpu_seconds() - cpu0_;
    report_.elapsed_s = std::chrono::duration<double>((stopping_ ? stop_at_ : now) - t0_).count();
    if (report_.elapsed_s <= 0) report_.elapsed_s = std::chrono::duration<double>(now - t0_).count();
    RunTotals totals;
    totals.requests = report_.completed + report_.errors;
    totals.errors = report_.errors;
    totals.latency = [this](double q) {
      return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(report_.latency.value_at(q)));
    };
    for (Violation& v : check_totals(plan_.scenario.expect, totals)) {
      ++report_.violation_count;
      report_.violations.push_back(std::move(v));
    }
  }

  const RunPlan& plan_;
  const RunHooks& hooks_;
  RunReport report_;
  RequestGenerator gen_;
  Prng fault_prng_;
  spop::Haproxy26Ids ids26_;
  ResolvedAddress address_;
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

}  // namespace

RunReport run_simulation(const RunPlan& plan, const RunHooks& hooks) {
  auto runner = std::make_unique<Runner>(plan, hooks);
  return runner->run();
}

double RunReport::error_rate() const {
  const std::uint64_t total = completed + errors;
  return total == 0 ? 0 : static_cast<double>(errors) / static_cast<double>(total);
}

}  // namespace spop::sim
