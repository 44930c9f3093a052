// The run itself: set-up, the poll loop, timeouts and closing, the final report (see runner_internals.hpp).
#include "simulator/run/runner.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "simulator/run/runner_internals.hpp"
#include "spop/status.hpp"

namespace spop::sim::detail {

using namespace std::chrono_literals;

Runner::Runner(const RunPlan& plan, const RunHooks& hooks)
    : plan_(plan),
      hooks_(hooks),
      gen_(plan.scenario, plan.scenario.seed),
      fault_prng_(plan.scenario.seed ^ 0x5eed'fa17'0000'0001ULL) {
  for (const FaultSpec& f : plan.scenario.faults) {
    FaultOutcome o;
    o.name = std::string(to_string(f.kind));
    o.expected = expected_reaction(f.kind);
    if (f.kind == FaultKind::soft_stop && plan.haproxy.profile == spop::HaproxyProfile::v3_1)
      o.expected = "the requests in flight answered; then HAProxy resets the connection (3.x sends no DISCONNECT)";
    fault_index_[static_cast<std::size_t>(f.kind)] = report_.faults.size();
    report_.faults.push_back(std::move(o));
    fault_spec_[static_cast<std::size_t>(f.kind)] = &f;
  }
  const LoadSpec& load = plan.scenario.load;
  report_.agent = plan.agent.to_string() + (plan.tls.enabled ? " (TLS)" : "");
  report_.profile = std::string(to_string(plan.scenario.profile));
  report_.mode = load.open_loop()
                     ? "open loop, " + std::to_string(static_cast<std::uint64_t>(*load.rate)) + " req/s over " +
                           std::to_string(load.connections) + " connection(s)"
                     : "closed loop, " + std::to_string(load.connections) + " connection(s) x " +
                           std::to_string(load.in_flight) + " in flight";
  report_.warnings = plan.warnings;
  direction_ = direction_of(plan.event);
}

RunReport Runner::run() {
  std::string error;
  if (!resolve(plan_.agent, address_, error)) {
    ++report_.errors_by_kind["connect: " + error];
    return std::move(report_);
  }
  if (plan_.tls.enabled) {
    try {
      tls_ = std::make_unique<spop::netclient::ClientContext>(plan_.tls);
    } catch (const std::exception& e) {  // spop::tls::Error: a CA, certificate or key that cannot be used
      ++report_.errors_by_kind[std::string("tls: ") + e.what()];
      return std::move(report_);
    }
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

std::unique_ptr<Conn> Runner::open_conn(bool healthcheck, Clock::time_point now) {
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

void Runner::loop() {
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
      if (c.connecting) ev = connect_events(c);
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
        if (c.tls) continue_handshake(c, now);
        else on_connect_ready(c, now);
        continue;
      }
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_conn(c, now);
    }
    // Bytes TLS already decrypted are invisible to poll(): read them now (poll_timeout() was 0).
    for (Conn* c : owners)
      if (c->fd >= 0 && !c->connecting && c->tls && c->tls->buffered() > 0 && read_allowed(*c, now)) read_conn(*c, now);
  }
}

bool Runner::all_connect_failures() const {
  for (const auto& [kind, n] : report_.errors_by_kind)
    if (!kind.starts_with("connect")) return false;
  return true;
}

bool Runner::reactions_pending() const {
  for (const auto& c : extra_)
    if (c->poison != Poison::none && !c->reacted && c->fd >= 0) return true;
  return false;
}

std::size_t Runner::in_flight() const {
  std::size_t n = 0;
  for (const auto& c : slots_)
    if (c) n += c->pending.size();
  for (const auto& c : extra_) n += c->pending.size();
  return n;
}

int Runner::poll_timeout(Clock::time_point now) const {
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
    if (c.tls && !c.connecting && c.tls->buffered() > 0) consider(now);
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

void Runner::progress(Clock::time_point now) {
  if (!hooks_.progress || now < next_progress_) return;
  next_progress_ = now + hooks_.progress_interval;
  report_.elapsed_s = std::chrono::duration<double>(now - t0_).count();
  hooks_.progress(report_);
}

void Runner::expire(Clock::time_point now) {
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
    end_soft_stopped(c, now);
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

// 3.x soft stop: once the old process's requests on this connection are answered (or timed out), it
// resets the connection without a DISCONNECT. The agent's only reaction to see is that nothing broke.
void Runner::end_soft_stopped(Conn& c, Clock::time_point now) {
  if (c.poison != Poison::soft_stop || c.reacted || c.fd < 0 || !mux_profile() || !c.pending.empty()) return;
  c.reacted = true;
  react(c.fault, "the requests in flight answered, then the connection reset", true);
  close_conn(c, true, now);
}

void Runner::close_conn(Conn& c, bool reset, Clock::time_point now) {
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
  if (c.tls && !reset && !c.connecting) c.tls->close_notify();
  c.tls.reset();
  if (reset) close_with_reset(c.fd);
  else ::close(c.fd);
  c.fd = -1;
  (void)now;
}

// Drops closed connections; an emptied traffic slot is refilled by reopen_slots().
void Runner::reap(Clock::time_point now) {
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

void Runner::reopen_slots(Clock::time_point now) {
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

void Runner::run_initial_healthcheck() {
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
    const short events = hc.connecting ? connect_events(hc) : static_cast<short>(hc.hc->wants_write() ? POLLOUT | POLLIN : POLLIN);
    pollfd p{hc.fd, events, 0};
    ::poll(&p, 1, 20);
    const auto now = Clock::now();
    if (p.revents != 0) {
      if (hc.connecting) hc.tls ? continue_handshake(hc, now) : on_connect_ready(hc, now);
      else if (p.revents & (POLLIN | POLLHUP | POLLERR)) read_conn(hc, now);
    }
    if (hc.fd >= 0 && !hc.connecting) write_conn(hc, now);
    std::erase_if(extra_, [](const std::unique_ptr<Conn>& x) { return x->fd < 0; });
  }
  if (!report_.healthcheck) report_.healthcheck = "failed: no answer in time";
  extra_.clear();
  initial_check_ = false;
}

double Runner::cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

TimeSlice& Runner::slice(Clock::time_point now) {
  const double t = std::chrono::duration<double>(now - t0_).count();
  const auto i = static_cast<std::size_t>(std::max(0.0, t / report_.slice_s));
  while (report_.timeline.size() <= i)
    report_.timeline.push_back(TimeSlice{static_cast<double>(report_.timeline.size()) * report_.slice_s, 0, 0});
  return report_.timeline[i];
}

void Runner::finish() {
  const auto now = Clock::now();
  for (auto& slot : slots_) {
    if (!slot) continue;
    if (!slot->pending.empty()) {  // still unanswered at the end: they timed out
      report_.errors += slot->pending.size();
      report_.errors_by_kind["processing timeout"] += slot->pending.size();
      slot->pending.clear();
    }
    // End as a stopping HAProxy does: 2.6 politely, with HAPROXY-DISCONNECT (its answer is not waited
    // for long); 3.x with a reset and no DISCONNECT (tests/captures/haproxy-3.2/soft-stop).
    if (mux_profile()) {
      close_conn(*slot, true, now);
      continue;
    }
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

}  // namespace spop::sim::detail

namespace spop::sim {

RunReport run_simulation(const RunPlan& plan, const RunHooks& hooks) {
  auto runner = std::make_unique<detail::Runner>(plan, hooks);
  return runner->run();
}

double RunReport::error_rate() const {
  const std::uint64_t total = completed + errors;
  return total == 0 ? 0 : static_cast<double>(errors) / static_cast<double>(total);
}

}  // namespace spop::sim
