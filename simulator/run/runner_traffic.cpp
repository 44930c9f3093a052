// spop-sim run: sending requests, writing and reading the sockets (see runner_internals.hpp).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netclient/transport.hpp"
#include "simulator/run/runner_internals.hpp"

namespace spop::sim::detail {

using namespace std::chrono_literals;

void Runner::issue_requests(Clock::time_point now) {
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

Conn* Runner::pick_connection() {
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
bool Runner::send_request(Conn& c, Clock::time_point start, Clock::time_point now) {
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
void Runner::shape_new_output(Conn& c, Clock::time_point now) {
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

bool Runner::wants_write_now(const Conn& c, Clock::time_point now) const {
  if (c.held > 0 && now < c.hold_until) return false;
  if (c.next_write_at > now) return false;
  return c.hc->wants_write() || (c.raw_sent < c.raw.size() && c.poison != Poison::none);
}

void Runner::write_conn(Conn& c, Clock::time_point now) {
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
    std::string tls_error;
    const ssize_t w = spop::netclient::send_some(c.fd, c.tls.get(), out.data(), n, tls_error);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return on_socket_gone(c, errno == ECONNRESET ? "the agent reset the connection"
                               : errno == EPROTO   ? tls_error
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
    std::string tls_error;
    const ssize_t w = spop::netclient::send_some(c.fd, c.tls.get(), c.raw.data() + c.raw_sent, c.raw.size() - c.raw_sent,
                                                 tls_error);
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

bool Runner::read_allowed(Conn& c, Clock::time_point now) {
  const FaultSpec* slow = spec(FaultKind::slow_reader);
  if (!slow || c.healthcheck || c.poison != Poison::none) return true;
  c.tokens = std::min(c.tokens + std::chrono::duration<double>(now - c.tokens_at).count() * slow->rate,
                      std::max(slow->rate, 64.0));
  c.tokens_at = now;
  return c.tokens >= 1;
}

void Runner::read_conn(Conn& c, Clock::time_point now) {
  std::size_t limit = sizeof buffer_;
  const FaultSpec* slow = spec(FaultKind::slow_reader);
  if (slow && !c.healthcheck && c.poison == Poison::none) {
    if (c.tokens < 1) return;
    limit = std::min(limit, static_cast<std::size_t>(c.tokens));
    ++outcome(FaultKind::slow_reader).injected;
  }
  std::string tls_error;
  const ssize_t n = spop::netclient::recv_some(c.fd, c.tls.get(), buffer_, limit, tls_error);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
    return on_socket_gone(c, errno == ECONNRESET ? "the agent reset the connection"
                             : errno == EPROTO   ? tls_error
                                                 : "read failed: " + std::string(std::strerror(errno)), now);
  }
  if (n == 0) return on_socket_gone(c, "the agent closed the connection", now);
  if (slow && !c.healthcheck && c.poison == Poison::none) c.tokens -= static_cast<double>(n);
  report_.bytes_in += static_cast<std::size_t>(n);
  c.in.insert(c.in.end(), buffer_, buffer_ + n);
  const std::size_t used = c.hc->feed(c.in, now);
  // The events' views (ACK payloads, string values) point into the bytes feed() used: drain them
  // before those bytes are dropped, which moves a partial frame that follows them over them.
  drain(c, now);
  c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(std::min(used, c.in.size())));
}

void Runner::on_connect_ready(Conn& c, Clock::time_point now) {
  if (const int err = connect_result(c.fd); err != 0) return connect_failed(c, std::strerror(err));
  if (tls_) {
    c.tls = std::make_unique<spop::netclient::TlsSession>(*tls_, c.fd, plan_.agent.host);
    return continue_handshake(c, now);
  }
  c.connecting = false;
  write_conn(c, now);
}

void Runner::continue_handshake(Conn& c, Clock::time_point now) {
  const spop::netclient::TlsStep step = c.tls->handshake();
  if (step == spop::netclient::TlsStep::want_read || step == spop::netclient::TlsStep::want_write) {
    c.tls_wait = step;
    return;
  }
  if (step != spop::netclient::TlsStep::done) return connect_failed(c, "TLS: " + c.tls->error());
  c.connecting = false;
  write_conn(c, now);
}

short Runner::connect_events(const Conn& c) {
  if (!c.tls) return POLLOUT;
  return c.tls_wait == spop::netclient::TlsStep::want_read ? POLLIN : POLLOUT;
}

void Runner::connect_failed(Conn& c, const std::string& why) {
  ++report_.errors_by_kind["connect: " + why];
  if (c.healthcheck) {
    if (spec(FaultKind::healthcheck_flood)) react(fault_index_[idx(FaultKind::healthcheck_flood)],
                                                  "connect failed: " + why, true);
  }
  if (c.check_next_handshake) react(*c.check_next_handshake, "the agent refused the next connection", true);
  c.tls.reset();
  ::close(c.fd);
  c.fd = -1;
}

void Runner::on_socket_gone(Conn& c, const std::string& why, Clock::time_point now) {
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

}  // namespace spop::sim::detail
