#include "simulator/replay/replay_runner.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "simulator/replay/ack_diff.hpp"
#include "simulator/run/sim_socket.hpp"
#include "spop/status.hpp"

namespace spop::sim::replay {

namespace {

using spop::Clock;
using namespace std::chrono_literals;

struct Pending {
  spop::NotifyIds ids;
  std::uint64_t seq = 0;  // index in the replay: exchanges[seq % N], pass seq / N
  Clock::time_point sent;
};

struct Conn {
  int fd = -1;
  bool connecting = true;
  bool running = false;  // handshake done
  std::unique_ptr<spop::HaproxyConnection> hc;
  std::vector<std::byte> in;
  std::vector<Pending> pending;
  std::uint64_t next_stream_id = 1;  // 3.1: odd, per connection
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

std::string status_text(std::uint32_t code) {
  std::string s = std::to_string(code);
  if (spop::is_known_status(code)) s += " \"" + std::string(spop::status_message(static_cast<spop::Status>(code))) + "\"";
  return s;
}

class Replayer {
 public:
  Replayer(const ReplayInput& input, const ReplayPlan& plan)
      : input_(input),
        plan_(plan),
        comparer_(plan.haproxy.var_prefix, plan.ignore),
        total_(input.exchanges.size() * plan.repeat),
        in_flight_(std::max<std::uint32_t>(1, std::min<std::uint32_t>(plan.in_flight, static_cast<std::uint32_t>(plan.haproxy.max_in_flight)))) {
    for (const std::string& set : input.message_sets) by_set_.push_back(&report_.messages[set]);
    if (!input.exchanges.empty()) {
      first_ns_ = input.exchanges.front().notify_ns;
      const std::int64_t span = input.exchanges.back().notify_ns - first_ns_;
      const auto n = static_cast<std::int64_t>(input.exchanges.size());
      // One pass after the other, one mean gap apart.
      cycle_ns_ = span + (n > 1 ? span / (n - 1) : 1'000'000);
    }
  }

  ReplayOutcome run() {
    ReplayOutcome out;
    report_.exchanges = total_;
    std::string error;
    if (!resolve(plan_.agent, address_, error)) {
      out.unreachable = error;
      out.report = std::move(report_);
      return out;
    }
    t0_ = Clock::now();
    last_progress_ = t0_;
    const double cpu0 = cpu_seconds();
    conns_.resize(total_ == 0 ? 0 : plan_.connections);
    for (auto& c : conns_) c = open(t0_);
    loop();
    finish();
    report_.elapsed_s = std::chrono::duration<double>(end_ - t0_).count();
    report_.cpu_s = cpu_seconds() - cpu0;
    report_.ignore = plan_.ignore;
    report_.ignored_variables = comparer_.ignored_names();
    if (!ever_connected_ && total_ > 0) out.unreachable = connect_error_.empty() ? "no connection completed its handshake" : connect_error_;
    out.report = std::move(report_);
    return out;
  }

 private:
  const Exchange& exchange(std::uint64_t seq) const { return input_.exchanges[seq % input_.exchanges.size()]; }

  Clock::time_point due(std::uint64_t seq) const {
    const Exchange& e = exchange(seq);
    const auto pass = static_cast<std::int64_t>(seq / input_.exchanges.size());
    const double ns = static_cast<double>(e.notify_ns - first_ns_ + pass * cycle_ns_) / *plan_.speed;
    return t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::nano>(ns));
  }

  std::unique_ptr<Conn> open(Clock::time_point now) {
    auto c = std::make_unique<Conn>();
    std::string error;
    c->fd = start_connect(address_, error);
    ++report_.connections_opened;
    if (c->fd < 0) {
      connect_error_ = "connect: " + error;
      return nullptr;
    }
    c->hc = std::make_unique<spop::HaproxyConnection>(plan_.haproxy, now);
    return c;
  }

  bool has_room(const Conn& c) const {
    return c.running && c.pending.size() < in_flight_ && c.hc->can_send();
  }

  Conn* pick() {
    for (std::size_t n = 0; n < conns_.size(); ++n) {
      const std::size_t i = (rr_ + n) % conns_.size();
      if (conns_[i] && has_room(*conns_[i])) {
        rr_ = i + 1;
        return conns_[i].get();
      }
    }
    return nullptr;
  }

  void issue(Clock::time_point now) {
    if (!plan_.speed) {
      for (auto& c : conns_)
        while (c && next_ < total_ && has_room(*c)) send(*c, now);
      return;
    }
    while (next_ < total_ && due(next_) <= now) {
      Conn* c = pick();
      if (c == nullptr) return;
      send(*c, now);
    }
  }

  void send(Conn& c, Clock::time_point now) {
    const std::uint64_t seq = next_++;
    const Exchange& e = exchange(seq);
    spop::NotifyIds ids;
    if (plan_.haproxy.profile == spop::HaproxyProfile::v2_6) {
      ids = ids26_.open_stream().ids();  // one uniq_id counter for the whole emulated process
    } else {
      ids = {c.next_stream_id, 1};
      c.next_stream_id += 2;
    }
    if (e.has_ack) {
      report_.recorded_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, e.latency_ns)));
    } else {
      ++report_.unanswered_then;
    }
    if (const std::error_code ec = c.hc->send_notify_payload(ids, input_.notify(e), now)) {
      fail(seq, ec == spop::Errc::frame_too_big ? "NOTIFY larger than the negotiated frame size"
                                                : "cannot send: " + ec.message());
      drain(c, now);
      return;
    }
    ++report_.sent;
    c.pending.push_back(Pending{ids, seq, now});
  }

  void fail(std::uint64_t seq, const std::string& kind) {
    const Exchange& e = exchange(seq);
    if (!e.has_ack) return;  // it failed when recorded too: nothing to compare
    ++report_.failed;
    FailureKind& f = report_.failures[kind];
    ++f.count;
    f.examples.offer(seq, input_.where(e));
  }

  void fail_all(Conn& c, const std::string& kind) {
    for (const Pending& p : c.pending) fail(p.seq, kind);
    c.pending.clear();
  }

  void on_ack(Conn& c, const spop::AckEvent& ack, Clock::time_point now) {
    const auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending& p) {
      return p.ids.stream_id == ack.stream_id && p.ids.frame_id == ack.frame_id;
    });
    if (it == c.pending.end()) return;
    const Pending p = *it;
    *it = c.pending.back();
    c.pending.pop_back();
    last_progress_ = now;
    ++report_.answered;
    report_.replayed_latency.record(now - p.sent);
    const Exchange& e = exchange(p.seq);
    if (!e.has_ack) {
      ++report_.answered_now;
      return;
    }
    ++report_.compared;
    MessageDiff& m = *by_set_[e.messages];
    ++m.compared;
    comparer_.compare(input_.ack(e), ack.payload, ack.actions, diffs_);
    if (diffs_.empty()) return;
    ++m.differing;
    ++report_.differing;
    for (const VariableDifference& d : diffs_) {
      VariableDiff& v = m.variables[d.variable];
      ++v.differing;
      if (d.before == not_set) ++v.added;
      if (d.after == not_set) ++v.missing;
      std::string transition = d.before + " -> " + d.after;
      if (auto t = v.transitions.find(transition); t != v.transitions.end()) ++t->second;
      else if (v.transitions.size() < max_transitions_kept) v.transitions.emplace(transition, 1);
      else ++v.other;
      v.examples.offer(p.seq, input_.where(e) + ": " + transition);
    }
  }

  void drain(Conn& c, Clock::time_point now) {
    while (auto ev = c.hc->next_event()) {
      if (std::holds_alternative<spop::ConnectedEvent>(*ev)) {
        c.running = true;
        ever_connected_ = true;
        last_progress_ = now;
      } else if (const auto* ack = std::get_if<spop::AckEvent>(&*ev)) {
        on_ack(c, *ack, now);
      } else if (const auto* d = std::get_if<spop::AgentDisconnectedEvent>(&*ev)) {
        fail_all(c, "AGENT-DISCONNECT " + status_text(static_cast<std::uint32_t>(d->status)) +
                        (d->message.empty() ? "" : " \"" + std::string(d->message) + "\""));
      } else if (const auto* pe = std::get_if<spop::ProtocolErrorEvent>(&*ev)) {
        fail_all(c, "protocol error: HAProxy would disconnect with status " +
                        status_text(static_cast<std::uint32_t>(pe->status)) + " (" + std::string(pe->detail) + ")");
      }
    }
  }

  void close(std::unique_ptr<Conn>& c, const std::string& why) {
    if (!c) return;
    fail_all(*c, why);
    if (c->fd >= 0) ::close(c->fd);
    c.reset();
  }

  // False when the connection is gone (`gone_` says why).
  bool write(Conn& c) {
    while (c.hc->wants_write()) {
      const auto out = c.hc->pending_output();
      const ssize_t w = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        gone_ = errno == ECONNRESET || errno == EPIPE ? "the agent reset the connection"
                                                      : "write failed: " + std::string(std::strerror(errno));
        return false;
      }
      c.hc->consume_output(static_cast<std::size_t>(w));
    }
    return true;
  }

  // False when the connection is gone (`gone_` says why).
  bool read(Conn& c, Clock::time_point now) {
    const ssize_t n = ::recv(c.fd, buffer_, sizeof buffer_, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return true;
      gone_ = errno == ECONNRESET ? "the agent reset the connection" : "read failed: " + std::string(std::strerror(errno));
      return false;
    }
    if (n == 0) {
      gone_ = "the agent closed the connection";
      return false;
    }
    c.in.insert(c.in.end(), buffer_, buffer_ + n);
    const std::size_t used = c.hc->feed(c.in, now);
    drain(c, now);  // before the bytes go: the ACK events point into them
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(std::min(used, c.in.size())));
    return true;
  }

  void expire(Clock::time_point now) {
    for (auto& c : conns_) {
      if (!c) continue;
      for (std::size_t i = 0; i < c->pending.size();) {
        if (now - c->pending[i].sent < plan_.processing_timeout) {
          ++i;
          continue;
        }
        c->hc->cancel_notify(c->pending[i].ids);
        fail(c->pending[i].seq, "processing timeout (" + std::to_string(plan_.processing_timeout.count()) + " ms)");
        c->pending[i] = c->pending.back();
        c->pending.pop_back();
      }
      if (auto d = c->hc->next_deadline(); d && now >= *d) {
        c->hc->on_tick(now);
        drain(*c, now);
      }
    }
  }

  std::size_t in_flight() const {
    std::size_t n = 0;
    for (const auto& c : conns_)
      if (c) n += c->pending.size();
    return n;
  }

  void loop() {
    std::vector<pollfd> fds;
    std::vector<std::size_t> owners;
    const Clock::duration patience = std::max<Clock::duration>(plan_.processing_timeout, 2s);
    while (true) {
      Clock::time_point now = Clock::now();
      expire(now);
      // Reopen what closed while work remains, not more often than every 100 ms.
      if (next_ < total_ && now >= reopen_at_) {
        for (auto& c : conns_)
          if (!c) {
            c = open(now);
            reopen_at_ = now + 100ms;
          }
      }
      issue(now);
      for (auto& c : conns_)
        if (c && !c->connecting && !write(*c)) close(c, gone_ + " with requests in flight");
      for (auto& c : conns_)
        if (c && !c->connecting && !c->hc->wants_read() && !c->hc->wants_write()) close(c, "connection closed by HAProxy's side");
      if (next_ >= total_ && in_flight() == 0) break;
      const bool any_running = std::any_of(conns_.begin(), conns_.end(), [](const auto& c) { return c && c->running; });
      if (!any_running && now - last_progress_ > patience) {
        // No usable connection for a while: the agent is gone or never answers a HELLO.
        for (; next_ < total_; ++next_) fail(next_, "not sent: no connection to the agent completed its handshake");
        break;
      }
      fds.clear();
      owners.clear();
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        const auto& c = conns_[i];
        if (!c) continue;
        short ev = c->connecting ? POLLOUT : POLLIN;
        if (!c->connecting && c->hc->wants_write()) ev |= POLLOUT;
        fds.push_back(pollfd{c->fd, ev, 0});
        owners.push_back(i);
      }
      int timeout = 10;
      if (plan_.speed && next_ < total_) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due(next_) - now).count();
        timeout = static_cast<int>(std::clamp<long long>(wait, 0, 10));
      }
      const int rc = ::poll(fds.data(), fds.size(), timeout);
      if (rc < 0 && errno != EINTR) break;
      now = Clock::now();
      for (std::size_t k = 0; rc > 0 && k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        auto& c = conns_[owners[k]];
        if (c->connecting) {
          if (const int err = connect_result(c->fd); err != 0) {
            connect_error_ = "connect: " + std::string(std::strerror(err));
            close(c, connect_error_);
            continue;
          }
          c->connecting = false;
          continue;
        }
        if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) && !read(*c, now)) close(c, gone_ + " with requests in flight");
      }
    }
    end_ = Clock::now();
  }

  void finish() {
    const auto now = Clock::now();
    for (auto& c : conns_) {
      if (!c) continue;
      if (c->running && c->hc->state() == spop::HaproxyState::running) {
        if (plan_.haproxy.profile == spop::HaproxyProfile::v2_6) {
          c->hc->submit_disconnect(spop::Status::normal, spop::status_message(spop::Status::normal), now);
          write(*c);
        } else {
          // 3.2 ends its idle SPOP connections with a reset and no HAPROXY-DISCONNECT.
          close_with_reset(c->fd);
          c->fd = -1;
        }
      }
      close(c, "the end of the replay");
    }
  }

  const ReplayInput& input_;
  const ReplayPlan& plan_;
  AckComparer comparer_;
  std::uint64_t total_;
  std::uint32_t in_flight_;
  ReplayReport report_;
  std::vector<MessageDiff*> by_set_;  // report_.messages by message set index
  std::vector<VariableDifference> diffs_;
  spop::Haproxy26Ids ids26_;
  ResolvedAddress address_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::size_t rr_ = 0;
  std::uint64_t next_ = 0;
  std::int64_t first_ns_ = 0;
  std::int64_t cycle_ns_ = 0;
  Clock::time_point t0_, end_, last_progress_, reopen_at_;
  bool ever_connected_ = false;
  std::string connect_error_;
  std::string gone_;
  std::byte buffer_[1 << 16];
};

}  // namespace

ReplayOutcome run_replay(const ReplayInput& input, const ReplayPlan& plan) {
  auto r = std::make_unique<Replayer>(input, plan);
  return r->run();
}

}  // namespace spop::sim::replay
