// spop-sim run: injecting the scenario's faults and recording the agent's reactions
// (see runner_internals.hpp).
#include "simulator/run/runner_internals.hpp"
#include "spop/notify_builder.hpp"
#include "spop/status.hpp"

namespace spop::sim::detail {

using namespace std::chrono_literals;

std::string Runner::expected_reaction(FaultKind k) {
  switch (k) {
    case FaultKind::split_frames:
    case FaultKind::delay_bytes:
    case FaultKind::batch_frames: return "every request answered as without the fault";
    case FaultKind::slow_reader: return "the agent keeps serving; ACKs arrive late, none lost or malformed";
    case FaultKind::rst_mid_frame: return "the agent drops the connection and accepts the next one";
    case FaultKind::reconnect_storm: return "every new connection completes its handshake";
    case FaultKind::soft_stop: return "AGENT-DISCONNECT (status 0) then close";  // 2.6; see Runner()
    case FaultKind::healthcheck_flood: return "every health check answered with a valid AGENT-HELLO";
    case FaultKind::oversize_frame: return "AGENT-DISCONNECT 3 \"frame is too big\" then close";
    case FaultKind::truncated_frame: return "the agent closes the connection (it cannot finish the frame)";
    case FaultKind::invalid_frame: return "AGENT-DISCONNECT 4 \"invalid frame received\" then close";
    case FaultKind::unknown_message: return "an ACK (usually empty): unknown messages are ignored";
  }
  return "";
}

void Runner::react(std::size_t fault, const std::string& what, bool accepted) {
  FaultOutcome& o = report_.faults[fault];
  ++o.reactions[what];
  if (!accepted) o.haproxy_accepts = false;
}

bool Runner::fires(const FaultSpec& f, std::uint64_t seq) {
  if (f.every) return (seq + 1) % *f.every == 0;
  return f.probability >= 1.0 || fault_prng_.unit() < f.probability;
}

// Moves the slot's connection to `extra_` with the fault's bytes queued; the slot is refilled.
void Runner::poison(Conn& c, FaultKind k, Clock::time_point now) {
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

void Runner::move_to_extra(Conn& c, Clock::time_point now) {
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

bool Runner::mux_profile() const { return plan_.haproxy.profile == spop::HaproxyProfile::v3_1; }

void Runner::run_timed_faults(Clock::time_point now) {
  if (soft_stop_at_ && now >= *soft_stop_at_) {
    soft_stop_at_.reset();
    // A reload: the old process leaves every connection and the new one opens its own. 2.6 says
    // goodbye (HAPROXY-DISCONNECT), streams in flight and all. 3.x sends nothing: it lets the requests
    // in flight finish, then resets the connection (tests/captures/haproxy-3.2/soft-stop); see
    // end_soft_stopped().
    for (auto& slot : slots_) {
      if (!slot || slot->connecting || slot->hc->state() != spop::HaproxyState::running) continue;
      ++outcome(FaultKind::soft_stop).injected;
      Conn& c = *slot;
      c.fault = fault_index_[idx(FaultKind::soft_stop)];
      c.poison = Poison::soft_stop;
      c.reaction_deadline = now + plan_.reaction_timeout;
      if (mux_profile()) {
        move_to_extra(c, now);
        continue;
      }
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

}  // namespace spop::sim::detail
