// Lifecycle checks (LC-*): disconnects, resets, idle connections and reconnects (§5.1, §5.5, §5.8, §8).
#include <algorithm>
#include <string>

#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

Outcome disconnect(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  s.send(haproxy_disconnect(0, "normal"));
  const Ending e = s.read_ending();
  if (!e.disconnect || !e.other_frames.empty() || !e.after.empty()) {
    return fail("expected AGENT-DISCONNECT alone, received " + e.summary(ctx.timeout));
  }
  return pass(e.summary(ctx.timeout));
}

Outcome disconnect_status(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  s.send(haproxy_disconnect(0, "normal"));
  const Ending e = s.read_ending();
  if (Outcome o = refused_with(e, {Status::normal}, ctx.timeout); o.verdict != Verdict::pass) return o;
  if (e.end != ReadStatus::closed && e.end != ReadStatus::reset) {
    return fail("AGENT-DISCONNECT 0 sent, but the connection was still open " + std::to_string(ctx.quiet().count()) +
                " ms later");
  }
  return pass();
}

Outcome disconnect_in_flight(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const int count = s.pipelining() ? 5 : 1;
  std::vector<NotifyIds> ids;
  Bytes all;
  for (int i = 0; i < count; ++i) {
    ids.push_back(s.next_ids());
    const Bytes f = notify_frame(ids.back().stream_id, ids.back().frame_id, standard_message, standard_args());
    all.insert(all.end(), f.begin(), f.end());
  }
  const Bytes d = haproxy_disconnect(0, "normal");
  all.insert(all.end(), d.begin(), d.end());
  if (!s.send(all)) return fail("the agent closed the connection before the frames were written");
  std::vector<NotifyIds> acked;
  for (;;) {
    const Received r = s.read();
    if (r.status == ReadStatus::frame && r.header.type == FrameType::ack) {
      const NotifyIds got{r.header.stream_id, r.header.frame_id};
      if (std::find(ids.begin(), ids.end(), got) == ids.end() ||
          std::find(acked.begin(), acked.end(), got) != acked.end()) {
        return fail("ACK for no NOTIFY in flight: " + describe(r, ctx.timeout));
      }
      if (std::string e = check_ack(r, got, s.frame_size(), ctx.timeout); !e.empty()) return fail(e);
      acked.push_back(got);
      continue;
    }
    if (r.status == ReadStatus::frame && r.header.type == FrameType::agent_disconnect) break;
    return fail("after " + std::to_string(acked.size()) + " ACK(s), expected AGENT-DISCONNECT, received " +
                describe(r, ctx.timeout));
  }
  const Received after = s.probe().read_frame(Clock::now() + ctx.quiet());
  if (after.status == ReadStatus::frame) return fail("a frame after AGENT-DISCONNECT: " + describe(after, ctx.timeout));
  return pass(std::to_string(acked.size()) + " of " + std::to_string(count) + " NOTIFY(s) answered before AGENT-DISCONNECT");
}

Outcome reset_mid_frame(Context& ctx) {
  {
    Session s(ctx);
    if (std::string e = s.handshake(); !e.empty()) return fail(e);
    const NotifyIds ids = s.next_ids();
    const Bytes f = notify_frame(ids.stream_id, ids.frame_id, standard_message, standard_args());
    s.send(std::span<const std::byte>(f).first(f.size() / 2));
    s.probe().reset();
  }
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail("after the reset: " + e);
  return pass();
}

Outcome silent_before_hello(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.open(); !e.empty()) return fail(e);
  const Received early = s.probe().read_frame(Clock::now() + ctx.quiet());
  if (early.status == ReadStatus::frame) {
    if (early.header.type == FrameType::agent_disconnect) {
      DisconnectInfo d;
      parse_disconnect(early.payload, d);
      if (d.status_code == static_cast<std::uint64_t>(Status::timeout)) {
        return pass("the agent's hello timeout is shorter than " + std::to_string(ctx.quiet().count()) + " ms");
      }
    }
    return fail("before any HELLO the agent sent " + describe(early, ctx.timeout));
  }
  if (early.status != ReadStatus::timeout) return fail("before any HELLO: " + describe(early, ctx.timeout));
  if (std::string e = s.handshake(); !e.empty()) return fail("HELLO sent after " +
                                                           std::to_string(ctx.quiet().count()) + " ms: " + e);
  return pass();
}

Outcome idle_established(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const Received r = s.probe().read_frame(Clock::now() + 2 * ctx.quiet());
  if (r.status == ReadStatus::frame) {
    DisconnectInfo d;
    if (r.header.type == FrameType::agent_disconnect && parse_disconnect(r.payload, d) == Errc::ok &&
        d.status_code == static_cast<std::uint64_t>(Status::timeout)) {
      return pass("the agent ended the idle connection with status 2");
    }
    return fail("on an idle connection the agent sent " + describe(r, ctx.timeout));
  }
  if (r.status != ReadStatus::timeout) {
    return fail("idle connection: " + describe(r, ctx.timeout) + " without AGENT-DISCONNECT");
  }
  AckReply ack;
  if (std::string e = s.round_trip(standard_message, standard_args(), ack); !e.empty()) {
    return fail("after " + std::to_string(2 * ctx.quiet().count()) + " ms idle: " + e);
  }
  return pass();
}

Outcome reconnect_storm(Context& ctx) {
  for (int i = 0; i < 30; ++i) {
    Session s(ctx);
    if (std::string e = s.handshake(); !e.empty()) return fail("connection " + std::to_string(i + 1) + ": " + e);
    switch (i % 3) {
      case 0: s.probe().reset(); break;
      case 1: s.probe().close(); break;
      default: s.send(haproxy_disconnect(0, "normal")); s.probe().close(); break;
    }
  }
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail("after 30 short connections: " + e);
  return pass();
}

Outcome hello_then_disconnect(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.open(); !e.empty()) return fail(e);
  Bytes both = standard_hello(ctx.profile);
  const Bytes d = haproxy_disconnect(0, "normal");
  both.insert(both.end(), d.begin(), d.end());
  if (!s.send(both)) return pass("closed at once");
  const Ending e = s.read_ending();
  for (const std::string& f : e.other_frames) {
    if (!f.starts_with("AGENT-HELLO")) return fail("unexpected " + f);
  }
  if (!e.ended()) return fail("the agent neither disconnected nor closed: " + e.summary(ctx.timeout));
  if (!e.after.empty()) return fail("a frame after AGENT-DISCONNECT: " + e.after);
  return pass(e.summary(ctx.timeout));
}

Outcome idle_peer(Context& ctx) {
  Session silent(ctx);
  if (std::string e = silent.open(); !e.empty()) return fail(e);
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail("while another connection is silent: " + e);
  return pass();
}

}  // namespace

void add_lifecycle_checks(std::vector<Check>& out) {
  const std::string_view g = "lifecycle";
  out.insert(out.end(), {
      {"LC-01", g, Level::must, "§5.8", "HAPROXY-DISCONNECT is answered", "HAPROXY-DISCONNECT 0 \"normal\"",
       "AGENT-DISCONNECT and nothing else", disconnect},
      {"LC-02", g, Level::should, "§5.8", "the answer to HAPROXY-DISCONNECT is status 0, then a close",
       "HAPROXY-DISCONNECT 0 \"normal\"", "AGENT-DISCONNECT status 0, then the connection closes", disconnect_status},
      {"LC-03", g, Level::must, "§5.8", "HAPROXY-DISCONNECT with NOTIFYs in flight",
       "five NOTIFYs (one without pipelining) and HAPROXY-DISCONNECT in one write",
       "ACKs for some or all of them, then AGENT-DISCONNECT, then nothing", disconnect_in_flight},
      {"LC-04", g, Level::must, "§5.5, §8", "a reset in the middle of a frame is tolerated",
       "half a NOTIFY, then a TCP reset, then a new connection", "a normal handshake and ACK on the new connection",
       reset_mid_frame},
      {"LC-05", g, Level::must, "§5.1", "the agent speaks only after the HELLO",
       "nothing for a while after connecting, then the HELLO",
       "nothing before the HELLO (or AGENT-DISCONNECT 2 from a hello timeout), then AGENT-HELLO",
       silent_before_hello},
      {"LC-06", g, Level::should, "§5.8, §5.9", "an idle connection stays usable or is closed politely",
       "nothing for a while after the handshake, then a NOTIFY",
       "the ACK, or an AGENT-DISCONNECT 2 (timeout) before it: never a bare close", idle_established},
      {"LC-07", g, Level::must, "§8", "a reconnect storm", "30 connections in a row, each ended by a reset, a close or "
       "a DISCONNECT right after the handshake", "every handshake, then a working connection", reconnect_storm},
      {"LC-08", g, Level::must, "§5.8", "HAPROXY-DISCONNECT right behind the HELLO",
       "HELLO and HAPROXY-DISCONNECT in one write", "at most an AGENT-HELLO, then AGENT-DISCONNECT or a close",
       hello_then_disconnect},
      {"LC-09", g, Level::must, "§8", "a silent connection does not block others",
       "one connection that sends nothing, and a second one with a handshake and a NOTIFY",
       "the second connection is served", idle_peer},
  });
}

}  // namespace spop::sim::conform
