// Robustness checks (RB-*): garbage, slow peers and many connections (§1, §8).
#include <string>
#include <thread>

#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

Bytes http_request() {
  const std::string_view text = "GET / HTTP/1.1\r\nHost: spoa\r\n\r\n";
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return Bytes(p, p + text.size());
}

Outcome garbage(Context& ctx) {
  std::string error;
  const Ending e = ending_after(ctx, SendAt::start, http_request(), error);
  if (!error.empty()) return fail(error);
  if (Outcome o = refused(e, ctx.timeout); o.verdict != Verdict::pass) return o;
  if (std::string err = agent_still_serves(ctx); !err.empty()) return fail("after the garbage: " + err);
  return pass(e.summary(ctx.timeout));
}

Outcome garbage_status(Context& ctx) {
  return should_refuse_with(ctx, SendAt::start, http_request(), {Status::frame_too_big, Status::invalid_frame});
}

Outcome random_frame(Context& ctx) {
  {
    Session s(ctx);
    if (std::string e = s.handshake(); !e.empty()) return fail(e);
    // A frame with a plausible LEN and header whose payload is pseudo-random (fixed seed).
    Bytes payload;
    std::uint32_t x = 0x2545F491;
    for (int i = 0; i < 200; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      payload.push_back(static_cast<std::byte>(x & 0xFF));
    }
    const NotifyIds ids = s.next_ids();
    s.send(raw_frame(static_cast<std::uint8_t>(FrameType::notify), frame_flags::fin, ids.stream_id, ids.frame_id,
                     payload));
    const Received r = s.read();
    if (r.status == ReadStatus::timeout) return fail("no answer and no close: " + describe(r, ctx.timeout));
    if (r.status == ReadStatus::frame && r.header.type == FrameType::ack) {
      if (std::string e = check_ack(r, ids, s.frame_size(), ctx.timeout); !e.empty()) return fail(e);
    } else if (r.status == ReadStatus::frame && r.header.type != FrameType::agent_disconnect) {
      return fail("expected an ACK, AGENT-DISCONNECT or a close, received " + describe(r, ctx.timeout));
    }
  }
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail("after the random payload: " + e);
  return pass();
}

Outcome slowloris(Context& ctx) {
  Session slow(ctx);
  if (std::string e = slow.open(); !e.empty()) return fail(e);
  const Bytes hello = standard_hello(ctx.profile);
  slow.send(std::span<const std::byte>(hello).first(10));
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail("while a HELLO trickles in elsewhere: " + e);
  // The rest of the HELLO, one byte per segment.
  if (!slow.probe().send_chunked(std::span<const std::byte>(hello).subspan(10), 1, Millis(1), ctx.deadline())) {
    return pass("the agent closed the slow connection");
  }
  const Received r = slow.read();
  AgentHelloFacts facts;
  if (check_agent_hello(r, default_max_frame_size, ctx.timeout, facts).empty()) return pass();
  if (r.status == ReadStatus::frame && r.header.type == FrameType::agent_disconnect) {
    return pass("the slow connection was ended: " + describe(r, ctx.timeout));
  }
  if (r.status == ReadStatus::closed || r.status == ReadStatus::reset) return pass("the slow connection was closed");
  return fail("the slow HELLO got " + describe(r, ctx.timeout));
}

Outcome many_connections(Context& ctx) {
  constexpr int count = 32;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < count; ++i) {
    sessions.push_back(std::make_unique<Session>(ctx));
    if (std::string e = sessions.back()->open(); !e.empty()) return fail("connection " + std::to_string(i + 1) + ": " + e);
  }
  const Bytes hello = standard_hello(ctx.profile);
  for (auto& s : sessions) s->send(hello);
  for (int i = 0; i < count; ++i) {
    AgentHelloFacts facts;
    if (std::string e = check_agent_hello(sessions[static_cast<std::size_t>(i)]->read(), default_max_frame_size,
                                          ctx.timeout, facts);
        !e.empty()) {
      return fail("connection " + std::to_string(i + 1) + ": " + e);
    }
  }
  std::vector<NotifyIds> ids;
  for (auto& s : sessions) {
    ids.push_back(s->next_ids());
    s->notify(ids.back(), standard_message, standard_args());
  }
  for (int i = 0; i < count; ++i) {
    AckReply ack;
    if (std::string e = sessions[static_cast<std::size_t>(i)]->expect_ack(ids[static_cast<std::size_t>(i)], ack);
        !e.empty()) {
      return fail("connection " + std::to_string(i + 1) + ": " + e);
    }
  }
  return pass();
}

}  // namespace

void add_robustness_checks(std::vector<Check>& out) {
  const std::string_view g = "robustness";
  out.insert(out.end(), {
      {"RB-01", g, Level::must, "§1", "garbage instead of a HELLO does not break the agent",
       "an HTTP request as the first bytes, then a new connection",
       "AGENT-DISCONNECT or a close, then a working new connection", garbage},
      {"RB-02", g, Level::should, "§1, §4", "garbage is refused with status 3 or 4", "an HTTP request as the first bytes",
       "AGENT-DISCONNECT status 3 (its LEN is huge) or 4", garbage_status},
      {"RB-03", g, Level::must, "§1, §3", "a NOTIFY of random bytes does not break the agent",
       "after the handshake, a NOTIFY whose 200-byte payload is pseudo-random",
       "an ACK, AGENT-DISCONNECT or a close, then a working new connection", random_frame},
      {"RB-04", g, Level::must, "§8", "a slow peer (slowloris) does not block others",
       "10 bytes of a HELLO, a second connection with a NOTIFY, then the rest of the HELLO one byte at a time",
       "the second connection is served; the slow one gets its AGENT-HELLO (or is closed)", slowloris},
      {"RB-05", g, Level::must, "§8", "32 concurrent connections",
       "32 connections, a HELLO on each, then a NOTIFY on each", "32 AGENT-HELLOs and 32 ACKs", many_connections},
  });
}

}  // namespace spop::sim::conform
