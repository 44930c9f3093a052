// Limit checks (LM-*): frame sizes at and over the limit, malformed frames and payloads (§1, §2, §5.7).
#include <string>

#include "simulator/conform/session.hpp"
#include "spop/wire.hpp"

namespace spop::sim::conform {

namespace {

// A NOTIFY of exactly `length` bytes (LEN), padded with a STRING argument. The string's length varint
// grows at 240 and 2288 bytes, so the argument name is lengthened by up to 3 bytes to hit the size.
Bytes notify_of_length(std::uint64_t sid, std::uint64_t fid, std::size_t length) {
  const auto build = [&](std::size_t extra, std::size_t pad) {
    const std::string name = "str_pad" + std::string(extra, 'x');
    const std::string value(pad, 'p');
    const Argument arg{name, Value::string(value)};
    return notify_frame(sid, fid, "spop-conformance-padding", std::span<const Argument>(&arg, 1));
  };
  const std::size_t base = build(0, 0).size() - frame_length_prefix;
  if (length <= base) return build(0, 0);
  for (std::size_t extra = 0; extra <= 3; ++extra) {
    for (std::size_t pad = length - base; pad + 4 > length - base && pad > 0; --pad) {
      Bytes f = build(extra, pad);
      if (f.size() - frame_length_prefix == length) return f;
    }
  }
  return build(0, length - base);
}

Outcome oversized(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids = s.next_ids();
  if (!s.send(notify_of_length(ids.stream_id, ids.frame_id, s.frame_size() + 1))) return pass("closed at once");
  return refused(s.read_ending(), ctx.timeout);
}

Outcome oversized_status(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids = s.next_ids();
  s.send(notify_of_length(ids.stream_id, ids.frame_id, s.frame_size() + 1));
  return refused_with(s.read_ending(), {Status::frame_too_big}, ctx.timeout);
}

Outcome exactly_max(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids = s.next_ids();
  const Bytes f = notify_of_length(ids.stream_id, ids.frame_id, s.frame_size());
  if (f.size() - frame_length_prefix != s.frame_size()) return fail("internal: cannot build the frame");
  if (!s.send(f)) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail(e);
  return pass(std::to_string(s.frame_size()) + "-byte NOTIFY answered");
}

Bytes tiny_frame() {
  // LEN 3: type NOTIFY and two flag bytes; not even a header.
  return Bytes{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{3}, std::byte{3}, std::byte{0}, std::byte{0}};
}

Outcome too_small(Context& ctx) { return must_refuse(ctx, SendAt::after_handshake, tiny_frame()); }
Outcome too_small_status(Context& ctx) { return should_refuse_with(ctx, SendAt::after_handshake, tiny_frame(), {Status::invalid_frame}); }

Bytes truncated_notify(std::uint64_t sid) {
  // One message whose STRING argument announces 100 bytes and carries 3.
  Bytes payload;
  WireWriter w(payload);
  w.put_raw_string("spop-conformance-truncated");
  w.put_u8(1);
  w.put_raw_string("str_cut");
  w.put_u8(static_cast<std::uint8_t>(DataType::string));
  w.put_varint(100);
  w.put_raw_string("abc");
  return raw_frame(static_cast<std::uint8_t>(FrameType::notify), frame_flags::fin, sid, 1, payload);
}

Outcome truncated(Context& ctx) { return must_refuse(ctx, SendAt::after_handshake, truncated_notify(ctx.profile == HaproxyProfile::v2_6 ? 7 : 1)); }
Outcome truncated_status(Context& ctx) {
  return should_refuse_with(ctx, SendAt::after_handshake, truncated_notify(ctx.profile == HaproxyProfile::v2_6 ? 7 : 1), {Status::invalid_frame});
}

Outcome reserved_type(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids = s.next_ids();
  Bytes payload;
  WireWriter w(payload);
  w.put_raw_string("spop-conformance-reserved");
  w.put_u8(1);
  w.put_raw_string("reserved");
  w.put_u8(10);  // type id 10: reserved
  if (!s.send(raw_frame(static_cast<std::uint8_t>(FrameType::notify), frame_flags::fin, ids.stream_id, ids.frame_id,
                        payload))) {
    return pass("closed at once");
  }
  // Either answer is acceptable (HAProxy's own reader skips the type byte): an ACK, or ending the
  // connection. Hanging, or answering anything else, is not; nor is failing the next connection.
  const Received r = s.read();
  std::string what;
  if (r.status == ReadStatus::frame && r.header.type == FrameType::ack) {
    if (std::string e = check_ack(r, ids, s.frame_size(), ctx.timeout); !e.empty()) return fail(e);
    what = "answered with an ACK";
  } else if (r.status == ReadStatus::frame && r.header.type == FrameType::agent_disconnect) {
    what = describe(r, ctx.timeout);
  } else if (r.status == ReadStatus::closed || r.status == ReadStatus::reset) {
    what = describe(r, ctx.timeout);
  } else {
    return fail("expected an ACK or the end of the connection, received " + describe(r, ctx.timeout));
  }
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail(e);
  return pass(what);
}

Outcome long_varint(Context& ctx) {
  // NOTIFY whose stream-id is an 11-byte varint (F0, nine 80s, 00).
  // LEN (set below), type, flags, then the stream-id.
  Bytes f{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{3},
          std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}, std::byte{0xF0}};
  for (int i = 0; i < 9; ++i) f.push_back(std::byte{0x80});
  f.push_back(std::byte{0});
  f.push_back(std::byte{1});  // frame-id
  f[3] = static_cast<std::byte>(f.size() - frame_length_prefix);
  return must_refuse(ctx, SendAt::after_handshake, f);
}

Outcome no_fin_notify(Context& ctx) {
  if (ctx.facts.fragmentation) return skip("the agent announced fragmentation: see FR-*");
  const std::uint64_t sid = ctx.profile == HaproxyProfile::v2_6 ? 9 : 1;
  return should_refuse_with(ctx, SendAt::after_handshake, notify_frame(sid, 1, "spop-conformance-fragment", {}, 0),
                            {Status::fragmentation_not_supported});
}

Outcome unknown_type(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds ids = s.next_ids();
  const std::byte junk[] = {std::byte{1}, std::byte{2}, std::byte{3}};
  Bytes frames = raw_frame(42, frame_flags::fin, 5, 5, junk);
  const Bytes n = notify_frame(ids.stream_id, ids.frame_id, standard_message, standard_args());
  frames.insert(frames.end(), n.begin(), n.end());
  if (!s.send(frames)) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail("after a frame of type 42: " + e);
  return pass();
}

Outcome second_hello(Context& ctx) {
  return should_refuse_with(ctx, SendAt::after_handshake, standard_hello(ctx.profile), {Status::invalid_frame});
}

}  // namespace

void add_limit_checks(std::vector<Check>& out) {
  const std::string_view g = "limits";
  out.insert(out.end(), {
      {"LM-01", g, Level::must, "§1, §5.3", "a frame above max-frame-size is refused",
       "after the handshake, a NOTIFY one byte longer than the agreed max-frame-size",
       "no ACK: AGENT-DISCONNECT or close", oversized},
      {"LM-02", g, Level::should, "§1, §4", "a frame above max-frame-size gets status 3",
       "a NOTIFY one byte longer than the agreed max-frame-size", "AGENT-DISCONNECT status 3", oversized_status},
      {"LM-03", g, Level::must, "§1", "a frame of exactly max-frame-size is accepted",
       "a NOTIFY whose LEN equals the agreed max-frame-size", "its ACK", exactly_max},
      {"LM-04", g, Level::must, "§1", "LEN below 7 is refused without hanging", "a frame with LEN 3",
       "AGENT-DISCONNECT or close (not a hang)", too_small},
      {"LM-05", g, Level::should, "§1, §4", "LEN below 7 gets status 4", "a frame with LEN 3",
       "AGENT-DISCONNECT status 4", too_small_status},
      {"LM-06", g, Level::must, "§1, §2.2", "a truncated payload is refused",
       "a NOTIFY whose STRING argument announces 100 bytes and holds 3", "no ACK: AGENT-DISCONNECT or close",
       truncated},
      {"LM-07", g, Level::should, "§4", "a truncated payload gets status 4",
       "a NOTIFY whose STRING argument runs past the frame", "AGENT-DISCONNECT status 4", truncated_status},
      {"LM-08", g, Level::must, "§2.2", "a reserved type id does not break the agent",
       "a NOTIFY argument with type id 10 (reserved)",
       "an ACK or the end of the connection, and a new connection still works", reserved_type},
      {"LM-09", g, Level::must, "§2.1", "a varint longer than 10 bytes is refused",
       "a NOTIFY whose stream-id is an 11-byte varint", "no ACK: AGENT-DISCONNECT or close", long_varint},
      {"LM-10", g, Level::should, "§5.4, §5.7", "a NOTIFY without FIN is refused when fragmentation is off",
       "a NOTIFY with flags 0 to an agent that did not announce fragmentation", "AGENT-DISCONNECT status 10",
       no_fin_notify},
      {"LM-11", g, Level::should, "§5.7", "an unknown frame type is ignored",
       "a frame of type 42, then a NOTIFY", "the NOTIFY's ACK first (nothing for the type-42 frame)", unknown_type},
      {"LM-12", g, Level::should, "§5.1", "a second HELLO is refused", "a HELLO after the handshake",
       "AGENT-DISCONNECT status 4", second_hello},
  });
}

}  // namespace spop::sim::conform
