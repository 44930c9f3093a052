// Fragmentation checks (FR-*): NOTIFY + UNSET fragments (§5.4), only for an agent that announces
// "fragmentation" and only as HAProxy 2.6, the one version that fragments.
#include <string>

#include "simulator/conform/echo.hpp"
#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

std::optional<Outcome> not_applicable(const Context& ctx) {
  if (ctx.profile != HaproxyProfile::v2_6) return skip("only HAProxy 2.6 fragments NOTIFYs");
  if (!ctx.facts.fragmentation) return skip("the agent did not announce fragmentation");
  return std::nullopt;
}

// The payload of a NOTIFY (its messages) and the frames that carry it in `parts` fragments.
Bytes fragments(NotifyIds ids, std::span<const std::byte> payload, int parts, bool abort_after_first) {
  Bytes out;
  const std::size_t step = (payload.size() + static_cast<std::size_t>(parts) - 1) / static_cast<std::size_t>(parts);
  for (int i = 0; i < parts; ++i) {
    const std::size_t off = std::min(payload.size(), static_cast<std::size_t>(i) * step);
    const auto piece = payload.subspan(off, std::min(step, payload.size() - off));
    const bool last = i == parts - 1;
    const auto type = static_cast<std::uint8_t>(i == 0 ? FrameType::notify : FrameType::unset);
    const Bytes f = raw_frame(type, last ? frame_flags::fin : 0, ids.stream_id, ids.frame_id, piece);
    out.insert(out.end(), f.begin(), f.end());
    if (abort_after_first) {
      const Bytes a = raw_frame(static_cast<std::uint8_t>(FrameType::unset), frame_flags::fin | frame_flags::abort,
                                ids.stream_id, ids.frame_id, {});
      out.insert(out.end(), a.begin(), a.end());
      break;
    }
  }
  return out;
}

Bytes payload_of(const Bytes& frame) {
  // Skip LEN, type, flags and the two ids (1 byte each for the small ids used here).
  return Bytes(frame.begin() + 4 + 1 + 4 + 2, frame.end());
}

Outcome reassembled(Context& ctx) {
  if (auto n = not_applicable(ctx)) return *n;
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  EchoArgs echo;
  echo.add("str_fragmented", Value::string(std::string(600, 'f')));
  echo.add("int64_after", Value::int64(-42));
  const bool use_echo = ctx.facts.echo;
  const NotifyIds ids{ctx.next_uniq_id++ % 200, 1};
  const Bytes whole = notify_frame(ids.stream_id, ids.frame_id, use_echo ? echo_message : standard_message,
                                   use_echo ? echo.args() : standard_args());
  if (!s.send(fragments(ids, payload_of(whole), 3, false))) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(ids, ack); !e.empty()) return fail(e);
  if (use_echo) {
    if (std::string e = compare_echo(echo.args(), ack.contents); !e.empty()) return fail(e);
  }
  return pass();
}

Outcome aborted(Context& ctx) {
  if (auto n = not_applicable(ctx)) return *n;
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const NotifyIds first{ctx.next_uniq_id++ % 200, 1};
  const NotifyIds second{ctx.next_uniq_id++ % 200, 1};
  const Bytes whole = notify_frame(first.stream_id, first.frame_id, standard_message, standard_args());
  Bytes frames = fragments(first, payload_of(whole), 2, true);
  const Bytes next = notify_frame(second.stream_id, second.frame_id, standard_message, standard_args());
  frames.insert(frames.end(), next.begin(), next.end());
  if (!s.send(frames)) return fail("the agent closed the connection");
  AckReply ack;
  if (std::string e = s.expect_ack(second, ack); !e.empty()) return fail("after the aborted NOTIFY: " + e);
  return pass();
}

Outcome stray_unset(Context& ctx) {
  if (auto n = not_applicable(ctx)) return *n;
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return fail(e);
  const std::byte junk[] = {std::byte{0}};
  s.send(raw_frame(static_cast<std::uint8_t>(FrameType::unset), frame_flags::fin, 3, 1, junk));
  return refused_with(s.read_ending(), {Status::invalid_frame, Status::invalid_interlaced_frames}, ctx.timeout);
}

}  // namespace

void add_fragmentation_checks(std::vector<Check>& out) {
  const std::string_view g = "fragmentation";
  out.insert(out.end(), {
      {"FR-01", g, Level::must, "§5.4", "a fragmented NOTIFY is reassembled",
       "NOTIFY without FIN, UNSET, UNSET with FIN (same ids), 2.6 only",
       "one ACK for the whole NOTIFY (echo: the values intact)", reassembled},
      {"FR-02", g, Level::must, "§5.4", "an aborted fragmented NOTIFY is dropped",
       "NOTIFY without FIN, UNSET with FIN|ABORT, then a normal NOTIFY", "only the normal NOTIFY's ACK", aborted},
      {"FR-03", g, Level::should, "§5.4, §4", "an UNSET without a NOTIFY in progress is refused",
       "an UNSET frame with FIN and no fragmented NOTIFY before it", "AGENT-DISCONNECT status 4 (or 11)",
       stray_unset},
  });
}

}  // namespace spop::sim::conform
