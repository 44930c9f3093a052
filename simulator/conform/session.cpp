// Shared pieces of the checks: frame builders, descriptions, the check connection and its verdicts.
#include "simulator/conform/session.hpp"

#include <array>

#include "spop/kv.hpp"
#include "spop/notify_builder.hpp"
#include "spop/wire.hpp"

namespace spop::sim::conform {

namespace {

// Builders here write test frames of any shape, so they use a limit far above any real frame size.
constexpr std::uint32_t no_limit = 1u << 24;

std::string ms(Millis t) { return std::to_string(t.count()) + " ms"; }

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      static constexpr char digits[] = "0123456789abcdef";
      out += "\\x";
      out += digits[static_cast<unsigned char>(c) >> 4];
      out += digits[static_cast<unsigned char>(c) & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ids_text(std::uint64_t sid, std::uint64_t fid) {
  return "sid=" + std::to_string(sid) + " fid=" + std::to_string(fid);
}

}  // namespace

Bytes raw_frame(std::uint8_t type, std::uint32_t flags, std::uint64_t stream_id, std::uint64_t frame_id,
                std::span<const std::byte> payload) {
  Bytes out;
  WireWriter w(out);
  w.put_u32(0);
  w.put_u8(type);
  w.put_u32(flags);
  w.put_varint(stream_id);
  w.put_varint(frame_id);
  w.put_bytes(payload);
  const auto len = static_cast<std::uint32_t>(out.size() - frame_length_prefix);
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::byte>(len >> (24 - 8 * i));
  return out;
}

Bytes kv_payload(std::span<const Kv> items) {
  Bytes out;
  WireWriter w(out);
  for (const Kv& kv : items) put_kv(w, kv.key, kv.value);
  return out;
}

Bytes hello_frame(std::span<const Kv> items, std::uint32_t flags, std::uint64_t sid, std::uint64_t fid) {
  return raw_frame(static_cast<std::uint8_t>(FrameType::haproxy_hello), flags, sid, fid, kv_payload(items));
}

Bytes standard_hello(HaproxyProfile profile, std::uint32_t max_frame_size) {
  static const std::string engine_id = make_engine_id(0x5eed5eed);
  HaproxyHelloParams p;
  p.max_frame_size = max_frame_size;
  p.capabilities = profile == HaproxyProfile::v2_6 ? "pipelining,async" : "pipelining";
  p.engine_id = engine_id;
  Bytes out;
  write_haproxy_hello(out, p, no_limit);
  return out;
}

Bytes healthcheck_hello() {
  HaproxyHelloParams p;
  p.capabilities = "";
  p.healthcheck = true;
  Bytes out;
  write_haproxy_hello(out, p, no_limit);
  return out;
}

Bytes haproxy_disconnect(std::uint32_t status, std::string_view message) {
  Bytes out;
  write_disconnect(out, FrameType::haproxy_disconnect, status, message, no_limit);
  return out;
}

Bytes notify_frame(std::uint64_t sid, std::uint64_t fid, std::string_view name, std::span<const Argument> args,
                   std::uint32_t flags) {
  Bytes out;
  NotifyBuilder b(out, sid, fid, no_limit, flags);
  b.add_message(name, args);
  b.finish();
  return out;
}

std::span<const Argument> standard_args() {
  static const std::array<Argument, 5> args = [] {
    Ipv4Address v4;
    parse_ipv4("127.0.0.1", v4);
    Ipv6Address v6;
    parse_ipv6("::55", v6);
    // As 2.6 sends `args always_true int(1234) src ipv6(::55) req.fhdr(host)`: integers as INT64.
    return std::array<Argument, 5>{Argument{"", Value::boolean(true)}, Argument{"", Value::int64(1234)},
                                   Argument{"", Value::ipv4(v4)}, Argument{"", Value::ipv6(v6)},
                                   Argument{"", Value::string("127.0.0.1:10001")}};
  }();
  return args;
}

std::string describe(const Received& r, Millis timeout) {
  switch (r.status) {
    case ReadStatus::closed: return "the connection was closed";
    case ReadStatus::reset: return "the connection was reset";
    case ReadStatus::timeout: return "nothing within " + ms(timeout);
    case ReadStatus::broken: return "bytes that are not a frame: " + r.error;
    case ReadStatus::frame: break;
  }
  const FrameHeader& h = r.header;
  std::string flags;
  if (!h.fin()) flags += ", no FIN";
  if (h.abort()) flags += ", ABORT";
  const std::string size = ", " + std::to_string(r.length) + " bytes";
  switch (h.type) {
    case FrameType::agent_hello: {
      AgentHello a;
      if (parse_agent_hello(r.payload, a) != Errc::ok) return "a malformed AGENT-HELLO" + flags;
      std::string s = "AGENT-HELLO (version " + (a.version ? quoted(*a.version) : "missing");
      s += ", max-frame-size " + (a.max_frame_size ? std::to_string(*a.max_frame_size) : "missing");
      s += ", capabilities " + (a.capabilities ? quoted(*a.capabilities) : "missing") + ")";
      if (h.stream_id != 0 || h.frame_id != 0) s += " with " + ids_text(h.stream_id, h.frame_id);
      return s + flags;
    }
    case FrameType::agent_disconnect: {
      DisconnectInfo d;
      if (parse_disconnect(r.payload, d) != Errc::ok) return "a malformed AGENT-DISCONNECT" + flags;
      return "AGENT-DISCONNECT status " + (d.status_code ? std::to_string(*d.status_code) : "missing") +
             " (" + quoted(d.message) + ")" + flags;
    }
    case FrameType::ack: {
      AckContents c;
      read_ack_actions(r.payload, c);
      return "ACK " + ids_text(h.stream_id, h.frame_id) + " with " + std::to_string(c.actions.size()) +
             " action(s)" + flags + size;
    }
    default: {
      const auto type = static_cast<unsigned>(h.type);
      std::string name(to_string(h.type));
      return "frame type " + std::to_string(type) + (name == "UNKNOWN" ? "" : " (" + name + ")") + " " +
             ids_text(h.stream_id, h.frame_id) + flags + size;
    }
  }
}

std::string check_agent_hello(const Received& r, std::uint32_t offered, Millis timeout, AgentHelloFacts& out) {
  if (r.status != ReadStatus::frame || r.header.type != FrameType::agent_hello) {
    return "expected AGENT-HELLO, received " + describe(r, timeout);
  }
  if (!r.header.fin()) return "AGENT-HELLO without FIN (HAProxy 2.6 disconnects with status 10)";
  if (r.header.stream_id != 0 || r.header.frame_id != 0) {
    return "AGENT-HELLO with " + ids_text(r.header.stream_id, r.header.frame_id) +
           " instead of 0/0 (HAProxy disconnects with status 4)";
  }
  if (r.length > offered) {
    return "AGENT-HELLO of " + std::to_string(r.length) + " bytes exceeds the offered max-frame-size " +
           std::to_string(offered);
  }
  AgentHello a;
  if (const Errc e = parse_agent_hello(r.payload, a); e != Errc::ok) {
    return "AGENT-HELLO payload does not decode: " + make_error_code(e).message();
  }
  if (!a.version) return "AGENT-HELLO without a version (HAProxy: status 5)";
  if (parse_version(*a.version) != 2000) {
    return "AGENT-HELLO version " + quoted(*a.version) + " is not 2.0 (HAProxy: status 8)";
  }
  if (!a.max_frame_size) return "AGENT-HELLO without max-frame-size (HAProxy 2.6: status 6)";
  if (*a.max_frame_size < min_max_frame_size || *a.max_frame_size > offered) {
    return "AGENT-HELLO max-frame-size " + std::to_string(*a.max_frame_size) + " is outside [256, " +
           std::to_string(offered) + "] (HAProxy: status 9)";
  }
  out.version = std::string(*a.version);
  out.max_frame_size = a.max_frame_size;
  out.has_capabilities = a.capabilities.has_value();
  out.capabilities = a.capabilities ? std::string(*a.capabilities) : std::string();
  return "";
}

std::string check_ack(const Received& r, NotifyIds ids, std::uint32_t frame_size, Millis timeout) {
  if (r.status != ReadStatus::frame || r.header.type != FrameType::ack) {
    return "expected the ACK for " + ids_text(ids.stream_id, ids.frame_id) + ", received " + describe(r, timeout);
  }
  if (!r.header.fin()) return "ACK without FIN (HAProxy disconnects with status 10)";
  if (r.header.stream_id != ids.stream_id || r.header.frame_id != ids.frame_id) {
    return "ACK for " + ids_text(r.header.stream_id, r.header.frame_id) + " instead of " +
           ids_text(ids.stream_id, ids.frame_id);
  }
  if (r.length > frame_size) {
    return "ACK of " + std::to_string(r.length) + " bytes exceeds the negotiated max-frame-size " +
           std::to_string(frame_size) + " (HAProxy 2.6 disconnects with status 3)";
  }
  AckContents c;
  read_ack_actions(r.payload, c);
  if (c.stop_reason != Errc::ok) {
    return "ACK actions are malformed at byte " + std::to_string(c.stop_offset) + " of the payload (" +
           make_error_code(c.stop_reason).message() + "): HAProxy ignores everything from there";
  }
  return "";
}

std::string Ending::summary(Millis timeout) const {
  std::string s;
  for (const std::string& f : other_frames) s += f + ", then ";
  if (disconnect) {
    s += "AGENT-DISCONNECT status " + std::to_string(status) + " (" + quoted(std::string_view(message)) + ")";
    if (!after.empty()) s += ", then " + after;
    return s;
  }
  Received r;
  r.status = end;
  return s + describe(r, timeout);
}

bool Ending::ended() const {
  return disconnect || end == ReadStatus::closed || end == ReadStatus::reset || end == ReadStatus::broken;
}

std::string Session::open() {
  if (probe_.is_open()) return "";
  return probe_.connect(ctx_.endpoint, ctx_.tls.get(), ctx_.deadline());
}

std::string Session::handshake(std::uint32_t offered) {
  return handshake_with(standard_hello(ctx_.profile, offered), offered);
}

std::string Session::handshake_with(std::span<const std::byte> hello, std::uint32_t offered) {
  if (std::string e = open(); !e.empty()) return e;
  if (!send(hello)) return "the agent closed the connection before the HELLO was written";
  const Received r = read();
  if (std::string e = check_agent_hello(r, offered, ctx_.timeout, hello_); !e.empty()) return e;
  frame_size_ = static_cast<std::uint32_t>(*hello_.max_frame_size);
  return "";
}

bool Session::pipelining() const { return has_capability(hello_.capabilities, capability::pipelining); }

NotifyIds Session::next_ids() {
  if (ctx_.profile == HaproxyProfile::v2_6) return {ctx_.next_uniq_id++, 1};
  const NotifyIds ids{next_stream_, 1};
  next_stream_ += 2;
  return ids;
}

bool Session::notify(NotifyIds ids, std::string_view name, std::span<const Argument> args) {
  return send(notify_frame(ids.stream_id, ids.frame_id, name, args));
}

std::string Session::expect_ack(NotifyIds ids, AckReply& out) {
  out.frame = read();
  if (std::string e = check_ack(out.frame, ids, frame_size_, ctx_.timeout); !e.empty()) return e;
  read_ack_actions(out.frame.payload, out.contents);
  return "";
}

std::string Session::round_trip(std::string_view name, std::span<const Argument> args, AckReply& out) {
  const NotifyIds ids = next_ids();
  if (!notify(ids, name, args)) return "the agent closed the connection before the NOTIFY was written";
  return expect_ack(ids, out);
}

Ending Session::read_ending() {
  Ending e;
  for (;;) {
    const Clock::time_point deadline = e.disconnect ? Clock::now() + ctx_.quiet() : ctx_.deadline();
    const Received r = probe_.read_frame(deadline);
    if (r.status != ReadStatus::frame) {
      e.end = r.status;
      return e;
    }
    if (e.disconnect) {
      if (e.after.empty()) e.after = describe(r, ctx_.timeout);
      continue;
    }
    if (r.header.type == FrameType::agent_disconnect) {
      DisconnectInfo d;
      parse_disconnect(r.payload, d);
      e.disconnect = true;
      e.status = d.status_code.value_or(99);
      e.message = std::string(d.message);
      continue;
    }
    e.other_frames.push_back(describe(r, ctx_.timeout));
    if (e.other_frames.size() > 50) {  // an agent that floods us: stop listening
      e.end = ReadStatus::timeout;
      return e;
    }
  }
}

std::string agent_still_serves(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(); !e.empty()) return "a new connection fails: " + e;
  AckReply ack;
  if (std::string e = s.round_trip(standard_message, standard_args(), ack); !e.empty()) {
    return "a NOTIFY on a new connection fails: " + e;
  }
  return "";
}

Outcome refused(const Ending& e, Millis timeout) {
  for (const std::string& f : e.other_frames) {
    if (f.starts_with("AGENT-HELLO") || f.starts_with("ACK")) return fail("the agent answered: " + e.summary(timeout));
  }
  if (!e.ended()) return fail("the agent neither refused nor closed: " + e.summary(timeout));
  return pass(e.summary(timeout));
}

Outcome refused_with(const Ending& e, std::initializer_list<Status> statuses, Millis timeout) {
  std::string want;
  for (Status s : statuses) {
    if (e.disconnect && e.status == static_cast<std::uint64_t>(s)) return pass(e.summary(timeout));
    want += (want.empty() ? "" : " or ") + std::to_string(static_cast<unsigned>(s)) + " (\"" +
            std::string(status_message(s)) + "\")";
  }
  return fail("expected AGENT-DISCONNECT status " + want + ", received " + e.summary(timeout));
}

Ending ending_after(Context& ctx, SendAt when, const Bytes& bytes, std::string& error) {
  Session s(ctx);
  error = when == SendAt::start ? s.open() : s.handshake();
  if (!error.empty()) return {};
  if (!s.send(bytes)) {
    Ending e;
    e.end = ReadStatus::reset;
    return e;
  }
  return s.read_ending();
}

Outcome must_refuse(Context& ctx, SendAt when, const Bytes& bytes) {
  std::string error;
  const Ending e = ending_after(ctx, when, bytes, error);
  if (!error.empty()) return fail(error);
  return refused(e, ctx.timeout);
}

Outcome should_refuse_with(Context& ctx, SendAt when, const Bytes& bytes, std::initializer_list<Status> statuses) {
  std::string error;
  const Ending e = ending_after(ctx, when, bytes, error);
  if (!error.empty()) return fail(error);
  return refused_with(e, statuses, ctx.timeout);
}

}  // namespace spop::sim::conform
