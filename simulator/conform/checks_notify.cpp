// NOTIFY/ACK checks (NA-*): id copying, pipelining, segmentation, message shapes (§1, §3, §5.6).
#include <algorithm>
#include <string>
#include <thread>

#include "simulator/conform/echo.hpp"
#include "simulator/conform/session.hpp"
#include "spop/notify_builder.hpp"

namespace spop::sim::conform {

namespace {

std::string ids_text(NotifyIds ids) {
  return "sid=" + std::to_string(ids.stream_id) + " fid=" + std::to_string(ids.frame_id);
}

// The message to send when a check wants its content verified if the agent can echo it: the echo
// message with `args` when supported, else the standard message.
struct Probe1 {
  std::string_view name;
  std::span<const Argument> args;
};
Probe1 content(const Context& ctx, const EchoArgs& echo) {
  if (ctx.facts.echo) return {echo_message, echo.args()};
  return {standard_message, standard_args()};
}

// Validates `ack` against what `sent` asked for: the echo comparison when the echo message was sent.
std::string verify(const Probe1& sent, const AckReply& ack) {
  if (sent.name != echo_message) return "";
  return compare_echo(sent.args, ack.contents);
}

Outcome send_and_ack(Context& ctx, NotifyIds ids, std::string_view name, std::span<const Argument> args) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  if (!s.notify(ids, name, args)) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail(e);
  return pass();
}

Outcome standard_notify(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  AckReply ack;
  if (std::string e = s.round_trip(standard_message, standard_args(), ack); !e.empty()) return fail(e);
  return pass(std::to_string(ack.contents.actions.size()) + " action(s)");
}

Outcome stream_id_zero(Context& ctx) {
  if (ctx.profile != HaproxyProfile::v2_6) return skip("3.1+ reserves stream-id 0 for HELLO and DISCONNECT");
  return send_and_ack(ctx, {0, 1}, standard_message, standard_args());
}

Outcome large_ids(Context& ctx) {
  const NotifyIds ids = ctx.profile == HaproxyProfile::v2_6 ? NotifyIds{4294967295u, 4294967295u}
                                                            : NotifyIds{4294967295u, 1};
  return send_and_ack(ctx, ids, standard_message, standard_args());
}

Outcome huge_ids(Context& ctx) {
  const NotifyIds ids = ctx.profile == HaproxyProfile::v2_6 ? NotifyIds{UINT64_MAX, (1ull << 63)}
                                                            : NotifyIds{UINT64_MAX, 1};
  return send_and_ack(ctx, ids, standard_message, standard_args());
}

Outcome sequence(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  // 2.6: one stream whose frame-id advances after each ACK; 3.1: a new odd stream each time.
  const std::uint64_t stream = ctx.next_uniq_id++;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    const NotifyIds ids = ctx.profile == HaproxyProfile::v2_6 ? NotifyIds{stream, i} : s.next_ids();
    if (!s.notify(ids, standard_message, standard_args())) return fail("the agent closed the connection");
    AckReply ack;
    if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail("NOTIFY " + std::to_string(i) + ": " + e);
  }
  return pass();
}

Outcome reused_ids(Context& ctx) {
  if (ctx.profile != HaproxyProfile::v2_6) return skip("only 2.6 reuses ids (after a processing timeout)");
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids{ctx.next_uniq_id++, 1};
  for (int i = 1; i <= 2; ++i) {
    if (!s.notify(ids, standard_message, standard_args())) return fail("the agent closed the connection");
    AckReply ack;
    if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail("NOTIFY " + std::to_string(i) + ": " + e);
  }
  return pass();
}

Outcome pipelined(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  if (!s.pipelining()) return skip("the agent did not announce pipelining");
  constexpr int count = 20;
  std::vector<NotifyIds> ids;
  std::vector<std::unique_ptr<EchoArgs>> args;
  Bytes all;
  for (int i = 0; i < count; ++i) {
    ids.push_back(s.next_ids());
    args.push_back(std::make_unique<EchoArgs>());
    args.back()->add("int64_n", Value::int64(i));
    args.back()->add("str_tag", Value::string("notify-" + std::to_string(i)));
    const Probe1 p = content(ctx, *args.back());
    const Bytes f = notify_frame(ids.back().stream_id, ids.back().frame_id, p.name, p.args);
    all.insert(all.end(), f.begin(), f.end());
  }
  if (!s.send(all)) return fail("the agent closed the connection");
  std::vector<bool> seen(count, false);
  int in_order = 0;
  for (int n = 0; n < count; ++n) {
    AckReply ack;
    ack.frame = s.read();
    const auto it = ack.frame.status == ReadStatus::frame
                        ? std::find(ids.begin(), ids.end(), NotifyIds{ack.frame.header.stream_id, ack.frame.header.frame_id})
                        : ids.end();
    if (it == ids.end()) {
      return fail("after " + std::to_string(n) + " ACK(s): " +
                  (ack.frame.status == ReadStatus::frame ? "ACK for ids no NOTIFY used: " : "") +
                  describe(ack.frame, ctx.timeout));
    }
    const auto i = static_cast<std::size_t>(it - ids.begin());
    if (seen[i]) return fail("a second ACK for " + ids_text(ids[i]));
    seen[i] = true;
    if (static_cast<int>(i) == n) ++in_order;
    if (std::string e = check_ack(ack.frame, ids[i], s.frame_size(), ctx.timeout); !e.empty()) return fail(e);
    read_ack_actions(ack.frame.payload, ack.contents);
    if (std::string e = verify(content(ctx, *args[i]), ack); !e.empty()) {
      return fail("the ACK for " + ids_text(ids[i]) + " does not echo its own NOTIFY: " + e);
    }
  }
  return pass(std::to_string(count - in_order) + " ACK(s) out of order");
}

// Sends `bytes` in TCP segments of 1, 2 and 3 bytes in turn.
bool send_split(Session& s, const Bytes& bytes) {
  std::size_t off = 0;
  for (std::size_t piece = 1; off < bytes.size(); piece = piece % 3 + 1) {
    const std::size_t n = std::min(piece, bytes.size() - off);
    if (!s.probe().send(std::span<const std::byte>(bytes).subspan(off, n), s.ctx().deadline())) return false;
    off += n;
    std::this_thread::sleep_for(Millis(1));  // pacing so that the pieces leave as separate segments
  }
  return true;
}

Outcome split_segments(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  EchoArgs echo;
  echo.add("str_split", Value::string("split across many TCP segments"));
  echo.add("int64_split", Value::int64(-123456789));
  const Probe1 p = content(ctx, echo);
  const NotifyIds ids = s.next_ids();
  if (!send_split(s, notify_frame(ids.stream_id, ids.frame_id, p.name, p.args))) {
    return fail("the agent closed the connection");
  }
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail(e);
  if (std::string e = verify(p, ack); !e.empty()) return fail(e);
  return pass();
}

Outcome coalesced(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  if (!s.pipelining()) return skip("the agent did not announce pipelining");
  std::vector<NotifyIds> ids;
  Bytes all;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(s.next_ids());
    const Bytes f = notify_frame(ids.back().stream_id, ids.back().frame_id, standard_message, standard_args());
    all.insert(all.end(), f.begin(), f.end());
  }
  const Bytes last = notify_frame(ids[3].stream_id, ids[3].frame_id, standard_message, standard_args());
  const std::size_t cut = all.size() - last.size() / 2;  // three frames and half of the fourth
  if (!s.send(std::span<const std::byte>(all).first(cut))) return fail("the agent closed the connection");
  std::vector<NotifyIds> acked;
  for (int n = 0; n < 3; ++n) {
    const Received r = s.read();
    if (r.status != ReadStatus::frame || r.header.type != FrameType::ack) {
      return fail("after " + std::to_string(n) + " ACK(s) of the 3 complete NOTIFYs: " + describe(r, ctx.timeout));
    }
    const NotifyIds got{r.header.stream_id, r.header.frame_id};
    if (std::find(ids.begin(), ids.begin() + 3, got) == ids.begin() + 3 ||
        std::find(acked.begin(), acked.end(), got) != acked.end()) {
      return fail("unexpected " + describe(r, ctx.timeout) + " (the fourth NOTIFY is not complete yet)");
    }
    if (std::string e = check_ack(r, got, s.frame_size(), ctx.timeout); !e.empty()) return fail(e);
    acked.push_back(got);
  }
  if (!s.send(std::span<const std::byte>(all).subspan(cut))) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(ids[3], ack); !e.empty()) return fail("fourth NOTIFY: " + e);
  return pass();
}

Outcome no_arguments(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  AckReply ack;
  const std::string_view name = ctx.facts.echo ? echo_message : standard_message;
  if (std::string e = s.round_trip(name, {}, ack); !e.empty()) return fail(e);
  if (ctx.facts.echo && !ack.contents.actions.empty()) {
    return fail("the echo of no arguments sets " + std::to_string(ack.contents.actions.size()) + " variable(s)");
  }
  return pass();
}

Outcome no_messages(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids = s.next_ids();
  if (!s.send(raw_frame(static_cast<std::uint8_t>(FrameType::notify), frame_flags::fin, ids.stream_id,
                        ids.frame_id, {}))) {
    return fail("the agent closed the connection");
  }
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail(e);
  return pass();
}

Outcome unknown_message(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  AckReply ack;
  if (std::string e = s.round_trip("spop-conformance-no-such-message", standard_args(), ack); !e.empty()) {
    return fail(e);
  }
  return pass(std::to_string(ack.contents.actions.size()) + " action(s)");
}

Outcome several_messages(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  EchoArgs echo;
  echo.add("str_middle", Value::string("between two unknown messages"));
  const NotifyIds ids = s.next_ids();
  Bytes frame;
  {
    NotifyBuilder b(frame, ids.stream_id, ids.frame_id, default_max_frame_size);
    b.add_message("spop-conformance-unknown-1", standard_args());
    b.add_message(ctx.facts.echo ? echo_message : standard_message,
                  ctx.facts.echo ? echo.args() : standard_args());
    b.add_message("spop-conformance-unknown-2", {});
    b.finish();
  }
  if (!s.send(frame)) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail(e);
  if (ctx.facts.echo) {
    if (std::string e = compare_echo(echo.args(), ack.contents); !e.empty()) return fail(e);
  }
  return pass();
}

Outcome many_arguments(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  EchoArgs echo;
  for (int i = 0; i < 255; ++i) echo.add("int32_" + std::to_string(i), Value::int32(i * 1000 - 127000));
  const std::string_view name = ctx.facts.echo ? echo_message : "spop-conformance-255-args";
  AckReply ack;
  if (std::string e = s.round_trip(name, echo.args(), ack); !e.empty()) return fail(e);
  if (ctx.facts.echo) {
    if (std::string e = compare_echo(echo.args(), ack.contents); !e.empty()) return fail(e);
  }
  return pass();
}

Outcome ack_within_frame_size(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(min_max_frame_size); !e.empty()) return fail(e);
  EchoArgs echo;
  // 23 BOOL arguments: the NOTIFY takes about 237 bytes, but each SET-VAR adds 3 bytes (action,
  // nb-args, scope) to its argument, so the full echo would need about 283.
  constexpr int count = 23;
  for (int i = 0; i < count; ++i) echo.add((i < 10 ? "bool_0" : "bool_") + std::to_string(i), Value::boolean(i % 2 == 0));
  AckReply ack;
  if (std::string e = s.round_trip(echo_message, echo.args(), ack); !e.empty()) return fail(e);
  return pass(std::to_string(ack.contents.actions.size()) + " of " + std::to_string(count) +
              " variables fitted in " + std::to_string(ack.frame.length) + " bytes");
}

}  // namespace

void add_notify_checks(std::vector<Check>& out) {
  const std::string_view g = "notify/ack";
  out.insert(out.end(), {
      {"NA-01", g, Level::must, "§3, §5.6", "a NOTIFY gets an ACK with the same ids",
       "the standard check-client-ip NOTIFY (bool, int64, ipv4, ipv6, string)",
       "ACK: FIN, same stream-id and frame-id, within max-frame-size, well-formed actions", standard_notify},
      {"NA-02", g, Level::must, "§5.6", "stream-id 0 is a normal 2.6 stream", "NOTIFY with stream-id 0, frame-id 1",
       "ACK with stream-id 0, frame-id 1 (2.6 only)", stream_id_zero},
      {"NA-03", g, Level::must, "§5.6", "32-bit ids are copied back",
       "NOTIFY with stream-id 4294967295 and frame-id 4294967295 (3.2: frame-id 1)", "ACK with the same ids",
       large_ids},
      {"NA-04", g, Level::should, "§2.1, §5.6", "64-bit ids are copied back",
       "NOTIFY with stream-id 2^64-1 and frame-id 2^63 (3.2: frame-id 1): 10-byte varints",
       "ACK with the same ids", huge_ids},
      {"NA-05", g, Level::must, "§5.6", "NOTIFYs in sequence on one connection",
       "five NOTIFYs one after the other (2.6: one stream, frame-id 1..5; 3.2: streams 1, 3, 5...)",
       "five ACKs with matching ids", sequence},
      {"NA-06", g, Level::must, "§5.6", "the same ids twice are answered twice",
       "two NOTIFYs with the same stream-id and frame-id, one after the other (2.6 only)",
       "two ACKs with those ids", reused_ids},
      {"NA-07", g, Level::must, "§5.4, §5.6", "20 pipelined NOTIFYs, ACKs in any order",
       "20 NOTIFYs in one write (echo: each with its own values)",
       "20 ACKs, one per NOTIFY, in any order, each with its own NOTIFY's content (needs pipelining)", pipelined},
      {"NA-08", g, Level::must, "§1", "a NOTIFY split across TCP segments",
       "one NOTIFY written in pieces of 1, 2 and 3 bytes", "its ACK (echo: the right values)", split_segments},
      {"NA-09", g, Level::must, "§1", "coalesced NOTIFYs and a frame cut in half",
       "three NOTIFYs and half of a fourth in one write, the rest after three ACKs",
       "three ACKs, then the fourth (needs pipelining)", coalesced},
      {"NA-10", g, Level::must, "§3", "a message without arguments", "NOTIFY with one message and nb-args 0",
       "ACK (echo: no actions)", no_arguments},
      {"NA-11", g, Level::should, "§3", "a NOTIFY without messages", "NOTIFY with an empty payload",
       "an ACK with the same ids", no_messages},
      {"NA-12", g, Level::must, "§3", "an unknown message is answered", "NOTIFY with a message no agent handles",
       "ACK with the same ids (no actions needed)", unknown_message},
      {"NA-13", g, Level::must, "§3", "several messages in one NOTIFY get one ACK",
       "NOTIFY with an unknown message, a known one (echo if available), another unknown one",
       "one ACK (echo: the known message's variables)", several_messages},
      {"NA-14", g, Level::must, "§3", "255 arguments, the most nb-args can say",
       "NOTIFY with one message of 255 INT32 arguments", "ACK (echo: 255 variables in order)", many_arguments},
      {"NA-15", g, Level::must, "§1, §5.3", "an ACK never exceeds the negotiated max-frame-size",
       "HELLO offering 256, then an echo NOTIFY of 23 BOOLs whose full echo needs about 283 bytes",
       "an ACK of at most 256 bytes holding the variables that fit (needs echo)", ack_within_frame_size, true},
  });
}

}  // namespace spop::sim::conform
