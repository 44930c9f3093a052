// HAProxy-side SPOP connection: HELLO, AGENT-HELLO validation per profile, NOTIFY numbering and
// encoding, ACK matching, disconnects and timeouts (spop-protocol.md §3, §5, §8), plus HAProxy's
// variable naming and action rules.
#include "spop/haproxy_connection.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "spop/hello.hpp"
#include "spop/kv.hpp"
#include "spop/notify_builder.hpp"
#include "spop/varint.hpp"

namespace spop {

namespace {

constexpr std::size_t notify_header_reserve = 32;  // HAProxy's FRAME_HDR_SIZE, kept out of a NOTIFY
constexpr std::size_t max_header_length = 1 + 4 + 2 * max_varint_length;
constexpr std::size_t variable_name_limit = 63;  // HAProxy builds the name in a 64-byte buffer

std::size_t header_length(NotifyIds ids) noexcept {
  return 1 + 4 + varint_size(ids.stream_id) + varint_size(ids.frame_id);
}

std::string with_number(std::string_view text, std::uint64_t n) {
  std::string s(text);
  s += std::to_string(n);
  return s;
}

}  // namespace

std::string_view to_string(HaproxyProfile p) {
  switch (p) {
    case HaproxyProfile::v2_6: return "2.6";
    case HaproxyProfile::v3_1: return "3.2";
  }
  return "?";
}

std::optional<HaproxyProfile> parse_haproxy_profile(std::string_view name) {
  if (name == "2.6") return HaproxyProfile::v2_6;
  if (name == "3.2" || name == "3.1") return HaproxyProfile::v3_1;
  return std::nullopt;
}

std::string_view to_string(HaproxyState s) {
  switch (s) {
    case HaproxyState::hello_sent: return "hello_sent";
    case HaproxyState::running: return "running";
    case HaproxyState::disconnecting: return "disconnecting";
    case HaproxyState::closed: return "closed";
  }
  return "?";
}

// --- construction and input --------------------------------------------------------------------

HaproxyConnection::HaproxyConnection(const HaproxyOptions& options, Clock::time_point now)
    : options_(options), frame_size_(0), created_(now), last_traffic_(now), disconnect_sent_at_(now) {
  options_.max_frame_size = std::max(options_.max_frame_size, min_max_frame_size);
  options_.max_in_flight = std::max<std::size_t>(options_.max_in_flight, 1);
  frame_size_ = options_.max_frame_size;
  const bool v26 = options_.profile == HaproxyProfile::v2_6;
  offer_pipelining_ = !options_.healthcheck && options_.pipelining.value_or(true);
  offer_async_ = !options_.healthcheck && v26 && options_.async.value_or(true);
  std::string caps;
  if (offer_pipelining_) caps = capability::pipelining;
  if (offer_async_) {
    if (!caps.empty()) caps += ',';
    caps += capability::async;
  }
  HaproxyHelloParams hello;
  hello.max_frame_size = frame_size_;
  hello.capabilities = caps;
  hello.engine_id = options_.healthcheck ? std::string_view{} : std::string_view(options_.engine_id);
  hello.healthcheck = options_.healthcheck;
  if (write_haproxy_hello(out_.buffer(), hello, frame_size_) != Errc::ok) {
    detail_ = "HAPROXY-HELLO does not fit max_frame_size (engine-id too long?)";
    close();
  }
  waiting_.reserve(std::min<std::size_t>(options_.max_in_flight, 1024));
  events_.reserve(8);
}

std::size_t HaproxyConnection::length_limit() const noexcept {
  // 2.6 compares LEN with the frame size; 3.1 compares the payload after the header, so only a LEN
  // that cannot hold a small enough payload is refused up front (the rest in on_frame()).
  return options_.profile == HaproxyProfile::v2_6 ? frame_size_ : frame_size_ + max_header_length;
}

std::size_t HaproxyConnection::feed(std::span<const std::byte> data, Clock::time_point now) {
  if (state_ == HaproxyState::closed || input_broken_) return data.size();
  if (event_head_ == events_.size()) {
    // Everything handed out earlier is stale now: recycle the storage of AckEvent actions.
    events_.clear();
    event_head_ = 0;
    actions_.clear();
    names_.clear();
    name_spans_.clear();
  }
  std::size_t used = 0;
  while (state_ != HaproxyState::closed) {
    const auto rest = data.subspan(used);
    std::uint32_t len = 0;
    if (peek_frame_length(rest, len) != Errc::ok) break;
    // Newer HAProxy rejects LEN < 7 (2.6.12 could spin on it; we model the fix).
    if (len < min_frame_length) {
      input_error(Status::invalid_frame, with_number("frame length below 7: ", len), now);
      break;
    }
    if (len > length_limit()) {
      input_error(Status::frame_too_big, with_number("frame length above max-frame-size: ", len), now);
      break;
    }
    if (rest.size() - frame_length_prefix < len) break;
    Frame frame;
    if (decode_frame(rest.subspan(frame_length_prefix, len), frame) != Errc::ok) {
      input_error(Status::invalid_frame, "malformed frame header", now);
      break;
    }
    used += frame_length_prefix + len;
    ++stats_.frames_in;
    stats_.bytes_in += frame_length_prefix + len;
    last_traffic_ = now;
    on_frame(frame, now);
  }
  return state_ == HaproxyState::closed || input_broken_ ? data.size() : used;
}

void HaproxyConnection::input_error(Status status, std::string detail, Clock::time_point now) {
  // The byte stream cannot be resynchronised after a bad LEN or header: stop reading, send our
  // DISCONNECT and close once it is written (no AGENT-DISCONNECT could be parsed anyway).
  input_broken_ = true;
  protocol_error(status, std::move(detail), now);
  if (out_.empty()) close();
}

void HaproxyConnection::on_frame(const Frame& frame, Clock::time_point now) {
  const FrameType type = frame.header.type;
  if (options_.profile == HaproxyProfile::v3_1 && frame.payload.size() > frame_size_) {
    return protocol_error(Status::frame_too_big, "payload above max-frame-size", now);
  }
  switch (state_) {
    case HaproxyState::hello_sent:
      if (type == FrameType::agent_hello) return on_agent_hello(frame, now);
      if (type == FrameType::agent_disconnect) return on_agent_disconnect(frame, now);
      return protocol_error(Status::invalid_frame,
                            with_number("expected AGENT-HELLO, got frame type ", static_cast<unsigned>(type)),
                            now);
    case HaproxyState::running:
      return on_running_frame(frame, now);
    case HaproxyState::disconnecting:
      // HAProxy waits for AGENT-DISCONNECT and ignores everything else.
      if (type == FrameType::agent_disconnect) return on_agent_disconnect(frame, now);
      ++stats_.frames_dropped;
      return;
    case HaproxyState::closed:
      return;
  }
}

// --- handshake ---------------------------------------------------------------------------------

void HaproxyConnection::on_agent_hello(const Frame& frame, Clock::time_point now) {
  const FrameHeader& h = frame.header;
  if (!h.fin()) return protocol_error(Status::fragmentation_not_supported, "AGENT-HELLO without FIN", now);
  if (h.stream_id != 0 || h.frame_id != 0) {
    return protocol_error(Status::invalid_frame, "AGENT-HELLO with a non-zero stream-id or frame-id", now);
  }
  std::string detail;
  const Status s = check_agent_hello(frame.payload, detail);
  if (s != Status::normal) return protocol_error(s, std::move(detail), now);

  const bool v26 = options_.profile == HaproxyProfile::v2_6;
  pipelining_ = offer_pipelining_ && has_capability(agent_capabilities_, capability::pipelining);
  async_ = offer_async_ && has_capability(agent_capabilities_, capability::async);
  agent_fragmentation_ = v26 && has_capability(agent_capabilities_, capability::fragmentation);
  events_.push_back({ConnectedEvent{frame_size_, version_, agent_capabilities_, pipelining_, async_,
                                    agent_fragmentation_, options_.healthcheck}});
  if (options_.healthcheck) {
    close();  // the check passed; HAProxy resets the connection at once
  } else {
    state_ = HaproxyState::running;
  }
}

/// Walks the KV list in order, as HAProxy does, so that the first bad item decides the status.
Status HaproxyConnection::check_agent_hello(std::span<const std::byte> payload, std::string& detail) {
  const bool v26 = options_.profile == HaproxyProfile::v2_6;
  const auto reject = [&detail](Status s, std::string why) {
    detail = std::move(why);
    return s;
  };
  KvReader kv(payload);
  KvItem item;
  bool have_version = false;
  std::optional<std::uint64_t> size;
  Errc e;
  while ((e = kv.next(item)) == Errc::ok) {
    // Both 2.6 and 3.x refuse an empty key before looking at anything else (status 4).
    if (item.key.empty()) return reject(Status::invalid_frame, "empty key in AGENT-HELLO");
    const Value& v = item.value;
    // HAProxy looks at the low nibble only: a STRING byte with flags (read as BINARY) is still a string.
    const auto type = static_cast<DataType>(item.type_byte & data_type_mask);
    const bool is_string = type == DataType::string;
    const bool is_integer = type >= DataType::int32 && type <= DataType::uint64;
    if (key_matches(item.key, keys::version)) {
      if (!is_string) return reject(Status::invalid_frame, "version is not a STRING");
      const std::string quoted = "version \"" + std::string(v.as_bytes()) + "\"";
      const auto parsed = parse_version(v.as_bytes());
      // 3.1 counts an unparsable version as an invalid frame, 2.6 as an unsupported version.
      if (!parsed) return reject(v26 ? Status::unsupported_version : Status::invalid_frame, quoted + " is unparsable");
      if (*parsed != 2000) return reject(Status::unsupported_version, quoted + " is not 2.0");
      version_.assign(v.as_bytes());
      have_version = true;
    } else if (key_matches(item.key, keys::max_frame_size)) {
      if (!is_integer) return reject(Status::invalid_frame, "max-frame-size is not an integer");
      if (v.as_uint64() < min_max_frame_size || v.as_uint64() > options_.max_frame_size) {
        return reject(Status::bad_max_frame_size, with_number("max-frame-size out of [256, ", options_.max_frame_size) +
                                                      "]: " + std::to_string(v.as_int64()));
      }
      size = v.as_uint64();
    } else if (key_matches(item.key, keys::capabilities)) {
      if (!is_string) return reject(Status::invalid_frame, "capabilities is not a STRING");
      agent_capabilities_.assign(v.as_bytes());
    }
  }
  if (e != Errc::need_more) return reject(Status::invalid_frame, "malformed AGENT-HELLO");
  if (!have_version) return reject(Status::no_version, "AGENT-HELLO without version");
  if (!size) {
    // 3.1 keeps its own value; 2.6 insists.
    if (v26) return reject(Status::no_max_frame_size, "AGENT-HELLO without max-frame-size");
    size = options_.max_frame_size;
  }
  frame_size_ = static_cast<std::uint32_t>(*size);
  return Status::normal;
}

// --- running -----------------------------------------------------------------------------------

void HaproxyConnection::on_running_frame(const Frame& frame, Clock::time_point now) {
  const FrameHeader& h = frame.header;
  const bool v31 = options_.profile == HaproxyProfile::v3_1;
  if (v31 && !h.fin()) return protocol_error(Status::fragmentation_not_supported, "frame without FIN", now);
  switch (h.type) {
    case FrameType::ack:
      return on_ack(frame, now);
    case FrameType::agent_disconnect:
      return on_agent_disconnect(frame, now);
    default:
      // 2.6 reads and drops anything else; 3.1 only tolerates it off stream 0.
      if (v31 && h.stream_id == 0 && h.type != FrameType::agent_hello) {
        return protocol_error(Status::invalid_frame,
                              with_number("unexpected frame on stream 0, type ", static_cast<unsigned>(h.type)),
                              now);
      }
      ++stats_.frames_dropped;
      return;
  }
}

void HaproxyConnection::on_ack(const Frame& frame, Clock::time_point now) {
  const FrameHeader& h = frame.header;
  if (!h.fin()) return protocol_error(Status::fragmentation_not_supported, "ACK without FIN", now);
  if (options_.profile == HaproxyProfile::v3_1 && ack_is_invalid_3_1(h, now)) return;
  const NotifyIds ids{h.stream_id, h.frame_id};
  const auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const Waiting& w) { return w.ids == ids; });
  if (it != waiting_.end()) return deliver_ack(it, frame, now);
  // Unmatched (late after a processing timeout, or bogus). 2.6 in sync mode cannot tell it from the
  // answer it waits for, so it gives up; otherwise both versions ignore it.
  if (options_.profile == HaproxyProfile::v2_6 && sync_mode() && !waiting_.empty()) {
    return protocol_error(Status::frame_id_not_found, "ACK matches no waiting NOTIFY (sync mode)", now);
  }
  ++stats_.acks_ignored;
  ++stats_.frames_dropped;
}

bool HaproxyConnection::ack_is_invalid_3_1(const FrameHeader& h, Clock::time_point now) {
  if (h.stream_id == 0 || h.frame_id == 0) {
    protocol_error(Status::invalid_frame, h.stream_id == 0 ? "ACK on stream 0" : "ACK with frame-id 0", now);
    return true;
  }
  if (h.stream_id > highest_stream_id_) {
    protocol_error(Status::frame_id_not_found, with_number("ACK for a stream never opened: ", h.stream_id), now);
    return true;
  }
  // The stream's current frame-id is the one of its waiting NOTIFY. A stream with none waiting was
  // closed (answered or cancelled): its late ACKs are ignored whatever their frame-id.
  const auto it = std::find_if(waiting_.begin(), waiting_.end(),
                               [&](const Waiting& w) { return w.ids.stream_id == h.stream_id; });
  if (it != waiting_.end() && h.frame_id > it->ids.frame_id) {
    protocol_error(Status::frame_id_not_found, with_number("ACK with a frame-id above the stream's: ", h.frame_id),
                   now);
    return true;
  }
  return false;
}

void HaproxyConnection::deliver_ack(std::vector<Waiting>::iterator it, const Frame& frame,
                                    Clock::time_point now) {
  read_ack_actions(frame.payload, ack_contents_);
  AckEvent ack;
  ack.stream_id = it->ids.stream_id;
  ack.frame_id = it->ids.frame_id;
  ack.stop_reason = ack_contents_.stop_reason;
  ack.stop_offset = ack_contents_.stop_offset;
  ack.sent_at = it->sent_at;
  ack.received_at = now;
  ack.payload = frame.payload;
  PendingEvent pending{ack, actions_.size(), ack_contents_.actions.size()};
  for (const Action& a : ack_contents_.actions) {
    const std::size_t offset = names_.size();
    append_variable_name(names_, a.scope, options_.var_prefix, a.name);
    name_spans_.emplace_back(offset, names_.size() - offset);
    actions_.push_back(AckAction{a.type, a.scope, a.name, {}, a.value});
  }
  *it = waiting_.back();  // order does not matter
  waiting_.pop_back();
  ++stats_.acks;
  events_.push_back(std::move(pending));
}

void HaproxyConnection::on_agent_disconnect(const Frame& frame, Clock::time_point now) {
  DisconnectInfo info;
  if (parse_disconnect(frame.payload, info) != Errc::ok) {
    return protocol_error(Status::invalid_frame, "malformed AGENT-DISCONNECT", now);
  }
  if (options_.profile == HaproxyProfile::v2_6 && info.message.size() > max_disconnect_message_length) {
    ++stats_.frames_dropped;  // 2.6 finds it invalid and ignores the frame
    return;
  }
  const bool usable = info.status_code && *info.status_code <= std::numeric_limits<std::uint32_t>::max();
  status_ = usable ? static_cast<Status>(*info.status_code) : Status::unknown;
  agent_message_.assign(info.message);
  agent_disconnected_ = true;
  events_.push_back({AgentDisconnectedEvent{status_, agent_message_, waiting_.size()}});
  close();  // HAProxy does not answer an AGENT-DISCONNECT
}

std::optional<HaproxyEvent> HaproxyConnection::next_event() {
  if (event_head_ == events_.size()) {
    events_.clear();
    event_head_ = 0;
    return std::nullopt;
  }
  PendingEvent& pending = events_[event_head_++];
  if (auto* ack = std::get_if<AckEvent>(&pending.event)) {
    // names_ and actions_ no longer grow until the next feed(), so the views are stable now.
    for (std::size_t i = pending.first_action; i < pending.first_action + pending.action_count; ++i) {
      actions_[i].variable = std::string_view(names_).substr(name_spans_[i].first, name_spans_[i].second);
    }
    ack->actions = std::span<const AckAction>(actions_).subspan(pending.first_action, pending.action_count);
  }
  return pending.event;
}

// --- sending -----------------------------------------------------------------------------------

bool HaproxyConnection::can_send() const noexcept {
  return state_ == HaproxyState::running && waiting_.size() < options_.max_in_flight &&
         !(sync_mode() && !waiting_.empty());
}

std::error_code HaproxyConnection::check_can_send(NotifyIds ids) const {
  if (state_ != HaproxyState::running) return std::make_error_code(std::errc::not_connected);
  if (!can_send()) return std::make_error_code(std::errc::operation_would_block);
  const auto same = [&](const Waiting& w) { return w.ids == ids; };
  if (std::any_of(waiting_.begin(), waiting_.end(), same)) return Errc::invalid_argument;
  return {};
}

std::error_code HaproxyConnection::send_notify(std::span<const NotifyMessage> messages,
                                               Clock::time_point now, NotifyIds& ids) {
  NotifyIds next{next_uniq_id_, 1};
  if (options_.profile == HaproxyProfile::v3_1) next.stream_id = (highest_stream_id_ + 1) | 1;  // odd
  const std::error_code ec = send_notify_with_ids(next, messages, now);
  if (!ec) {
    ids = next;
    if (options_.profile == HaproxyProfile::v2_6) ++next_uniq_id_;
  }
  return ec;
}

std::error_code HaproxyConnection::send_notify_with_ids(NotifyIds ids, std::span<const NotifyMessage> messages,
                                                        Clock::time_point now) {
  if (const std::error_code ec = check_can_send(ids)) return ec;
  Errc e = encode_notify(ids, messages);
  if (e == Errc::frame_too_big && options_.profile == HaproxyProfile::v2_6) {
    if (!agent_fragmentation_) {
      protocol_error(Status::fragmentation_not_supported,
                     "NOTIFY too big for the frame size and the agent cannot receive fragments", now);
      return Errc::frame_too_big;
    }
    e = encode_fragmented(ids, messages);
  }
  if (e != Errc::ok) return e;
  waiting_.push_back(Waiting{ids, now});
  highest_stream_id_ = std::max(highest_stream_id_, ids.stream_id);
  ++stats_.notifies;
  last_traffic_ = now;
  return {};
}

Errc HaproxyConnection::encode_notify(NotifyIds ids, std::span<const NotifyMessage> messages) {
  auto& out = out_.buffer();
  const std::size_t start = out.size();
  NotifyBuilder builder(out, ids.stream_id, ids.frame_id, frame_size_);
  for (const NotifyMessage& m : messages) {
    if (const Errc e = builder.add_message(m.name, m.args); e != Errc::ok) {
      builder.cancel();
      return e;
    }
  }
  const std::size_t total = builder.finish();
  if (total - frame_length_prefix - header_length(ids) > frame_size_ - notify_header_reserve) {
    out.resize(start);
    return Errc::frame_too_big;
  }
  return Errc::ok;
}

/// 2.6 with an agent that claimed fragmentation: the first piece is a NOTIFY without FIN, the others
/// UNSET frames with the same ids, the last one with FIN. We cut at byte boundaries of the payload.
Errc HaproxyConnection::encode_fragmented(NotifyIds ids, std::span<const NotifyMessage> messages) {
  scratch_.clear();
  NotifyBuilder whole(scratch_, ids.stream_id, ids.frame_id, std::numeric_limits<std::uint32_t>::max());
  for (const NotifyMessage& m : messages) {
    if (const Errc e = whole.add_message(m.name, m.args); e != Errc::ok) return e;
  }
  whole.finish();
  encode_fragments(ids, std::span<const std::byte>(scratch_).subspan(frame_length_prefix + header_length(ids)));
  return Errc::ok;
}

void HaproxyConnection::encode_fragments(NotifyIds ids, std::span<const std::byte> payload) {
  const std::size_t piece = frame_size_ - notify_header_reserve;
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(piece, payload.size() - offset);
    const bool last = offset + n == payload.size();
    const FrameHeader h{offset == 0 ? FrameType::notify : FrameType::unset, last ? frame_flags::fin : 0u,
                        ids.stream_id, ids.frame_id};
    FrameWriter writer(out_.buffer(), h, frame_size_);
    writer.payload().put_bytes(payload.subspan(offset, n));
    writer.finish();
    offset += n;
  } while (offset < payload.size());
}

std::error_code HaproxyConnection::send_notify_payload(NotifyIds ids, std::span<const std::byte> payload,
                                                       Clock::time_point now) {
  if (const std::error_code ec = check_can_send(ids)) return ec;
  if (payload.size() > frame_size_ - notify_header_reserve) {
    if (options_.profile != HaproxyProfile::v2_6) return Errc::frame_too_big;
    if (!agent_fragmentation_) {
      protocol_error(Status::fragmentation_not_supported,
                     "NOTIFY too big for the frame size and the agent cannot receive fragments", now);
      return Errc::frame_too_big;
    }
    encode_fragments(ids, payload);
  } else {
    FrameWriter writer(out_.buffer(), FrameHeader{FrameType::notify, frame_flags::fin, ids.stream_id, ids.frame_id},
                       frame_size_);  // the header is at most 25 bytes: it fits in the 32 kept for it
    writer.payload().put_bytes(payload);
    writer.finish();
  }
  waiting_.push_back(Waiting{ids, now});
  highest_stream_id_ = std::max(highest_stream_id_, ids.stream_id);
  ++stats_.notifies;
  last_traffic_ = now;
  return {};
}

bool HaproxyConnection::cancel_notify(NotifyIds ids) noexcept {
  const auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const Waiting& w) { return w.ids == ids; });
  if (it == waiting_.end()) return false;
  *it = waiting_.back();
  waiting_.pop_back();
  return true;
}

// --- disconnects, output and timers ------------------------------------------------------------

void HaproxyConnection::submit_disconnect(Status status, std::string_view message, Clock::time_point now) {
  if (state_ != HaproxyState::running && state_ != HaproxyState::hello_sent) return;
  if (options_.healthcheck) return;
  status_ = status;
  detail_.assign(message.substr(0, max_disconnect_message_length));
  waiting_.clear();
  queue_disconnect(status, detail_, now);
}

void HaproxyConnection::protocol_error(Status status, std::string detail, Clock::time_point now) {
  if (state_ == HaproxyState::closed) return;
  if (state_ == HaproxyState::disconnecting) return close();  // already given up: stop waiting
  status_ = status;
  detail_ = std::move(detail);
  const std::size_t abandoned = waiting_.size();
  waiting_.clear();
  const bool send = !options_.healthcheck;  // a failed check just closes
  if (send) {
    queue_disconnect(status, status_message(status), now);
  } else {
    close();
  }
  events_.push_back({ProtocolErrorEvent{status, detail_, send, abandoned}});
}

void HaproxyConnection::queue_disconnect(Status status, std::string_view message, Clock::time_point now) {
  auto& out = out_.buffer();
  const auto code = static_cast<std::uint32_t>(status);
  if (write_disconnect(out, FrameType::haproxy_disconnect, code, message, frame_size_) != Errc::ok) {
    write_disconnect(out, FrameType::haproxy_disconnect, code, status_message(status), frame_size_);
  }
  state_ = HaproxyState::disconnecting;
  disconnect_sent_at_ = now;
}

void HaproxyConnection::close() noexcept {
  state_ = HaproxyState::closed;
  out_.clear();
  waiting_.clear();
}

std::span<const std::byte> HaproxyConnection::pending_output() const noexcept { return out_.pending(); }

void HaproxyConnection::consume_output(std::size_t n) noexcept {
  stats_.bytes_out += out_.consume(n);
  if (input_broken_ && out_.empty()) close();
}

void HaproxyConnection::on_tick(Clock::time_point now) {
  const auto hello = options_.hello_timeout;
  const auto idle = options_.idle_timeout;
  const auto zero = std::chrono::milliseconds::zero();
  switch (state_) {
    case HaproxyState::hello_sent:
      if (hello > zero && now - created_ >= hello) {
        // 2.6 closes without a DISCONNECT when `timeout hello` expires.
        status_ = Status::timeout;
        detail_ = "no AGENT-HELLO within timeout hello";
        close();
        events_.push_back({ProtocolErrorEvent{Status::timeout, detail_, false, 0}});
      }
      return;
    case HaproxyState::running:
      if (idle > zero && waiting_.empty() && now - last_traffic_ >= idle) {
        protocol_error(Status::timeout, "timeout idle expired", now);
      }
      return;
    case HaproxyState::disconnecting:
      if (idle > zero && now - disconnect_sent_at_ >= idle) close();  // no AGENT-DISCONNECT in time
      return;
    case HaproxyState::closed:
      return;
  }
}

std::optional<Clock::time_point> HaproxyConnection::next_deadline() const noexcept {
  const auto zero = std::chrono::milliseconds::zero();
  switch (state_) {
    case HaproxyState::hello_sent:
      if (options_.hello_timeout > zero) return created_ + options_.hello_timeout;
      break;
    case HaproxyState::running:
      if (options_.idle_timeout > zero && waiting_.empty()) return last_traffic_ + options_.idle_timeout;
      break;
    case HaproxyState::disconnecting:
      if (options_.idle_timeout > zero) return disconnect_sent_at_ + options_.idle_timeout;
      break;
    case HaproxyState::closed:
      break;
  }
  return std::nullopt;
}

// --- variables ---------------------------------------------------------------------------------

void append_variable_name(std::string& out, Scope scope, std::string_view prefix, std::string_view name) {
  const std::size_t start = out.size();
  // printf's "%.*s" stops at a NUL byte, and snprintf cuts the whole name at the buffer's end.
  name = name.substr(0, name.find('\0'));
  const auto put = [&](std::string_view part) {
    const std::size_t used = out.size() - start;
    if (used < variable_name_limit) out.append(part.substr(0, variable_name_limit - used));
  };
  put(to_string(scope));
  put(".");
  put(prefix);
  put(".");
  put(name);
}

std::string variable_name(Scope scope, std::string_view prefix, std::string_view name) {
  std::string s;
  append_variable_name(s, scope, prefix, name);
  return s;
}

OwnedValue::OwnedValue(const Value& v) : scalar_(v) {
  // Keep the bytes here; the stored Value must not point into the sender's buffer.
  if (v.type() == DataType::string || v.type() == DataType::binary) {
    bytes_.assign(v.as_bytes());
    scalar_ = v.type() == DataType::string ? Value::string({}) : Value::binary({});
  }
}

Value OwnedValue::view() const noexcept {
  if (scalar_.type() == DataType::string) return Value::string(bytes_);
  if (scalar_.type() == DataType::binary) return Value::binary(bytes_);
  return scalar_;
}

std::size_t apply_actions(std::span<const AckAction> actions, VariableStore& store, bool force_set_var) {
  std::size_t changed = 0;
  for (const AckAction& a : actions) {
    const auto it = store.find(a.variable);
    if (a.type == ActionType::unset_var || a.value.is_null()) {
      if (it != store.end()) {
        store.erase(it);
        ++changed;
      }
      continue;
    }
    if (it != store.end()) {
      it->second = OwnedValue(a.value);
      ++changed;
    } else if (a.scope != Scope::proc || force_set_var) {
      // Since 2.5 only proc variables must exist beforehand (unless option force-set-var).
      store.emplace(std::string(a.variable), OwnedValue(a.value));
      ++changed;
    }
  }
  return changed;
}

std::string make_engine_id(std::uint64_t seed) {
  // splitmix64: a tiny well-mixed generator, enough to spread a seed over 128 bits.
  const auto next = [&seed]() {
    std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  std::uint8_t bytes[16];
  for (int half = 0; half < 2; ++half) {
    const std::uint64_t r = next();
    for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(r >> (8 * i));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += digits[bytes[i] >> 4];
    id += digits[bytes[i] & 0x0F];
  }
  return id;
}

}  // namespace spop
