// Agent-side SPOP connection: handshake, NOTIFY delivery and reassembly, ACK queueing, backpressure,
// timeouts and disconnects (spop-protocol.md §1, §3, §5, §8).
#include "spop/agent_connection.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "spop/hello.hpp"

namespace spop {

namespace {


std::string frame_type_detail(std::string_view what, FrameType type) {
  std::string s(what);
  s += " (type ";
  s += std::to_string(static_cast<unsigned>(type));
  s += ')';
  return s;
}

}  // namespace

std::string_view to_string(AgentState s) {
  switch (s) {
    case AgentState::awaiting_hello: return "awaiting_hello";
    case AgentState::running: return "running";
    case AgentState::closing: return "closing";
    case AgentState::closed: return "closed";
  }
  return "?";
}

AgentConnection::AgentConnection(const AgentOptions& options, Clock::time_point now)
    : options_(options), frame_size_(0), last_activity_(now), created_(now) {
  options_.max_frame_size = std::max(options_.max_frame_size, min_max_frame_size);
  options_.max_in_flight = std::max<std::size_t>(options_.max_in_flight, 1);
  // Until the handshake, incoming LENs are checked against our own limit.
  frame_size_ = options_.max_frame_size;
  // Sized once per connection so that steady-state frames never allocate.
  outstanding_.reserve(std::min<std::size_t>(options_.max_in_flight, 1024));
  events_.reserve(16);
}

// --- input -------------------------------------------------------------------------------------

std::size_t AgentConnection::feed(std::span<const std::byte> data, Clock::time_point now) {
  if (state_ >= AgentState::closing) return data.size();  // nothing is read after our DISCONNECT
  if (event_head_ == events_.size()) {
    events_.clear();
    event_head_ = 0;
  }
  hold_input_ = false;
  std::size_t used = 0;
  while (state_ < AgentState::closing && !hold_input_ && !backpressured()) {
    Frame frame;
    std::size_t n = 0;
    const Errc e = split_frame(data.subspan(used), frame_size_, frame, n);
    if (e == Errc::need_more) break;
    if (e != Errc::ok) {
      // LEN out of range or a header that does not fit in LEN: 3 for too big, 4 otherwise.
      fail(to_status(e), e == Errc::frame_too_big ? "frame length above max-frame-size"
                         : e == Errc::frame_too_small ? "frame length below 7"
                                                      : "malformed frame header");
      break;
    }
    used += n;
    ++stats_.frames_in;
    ++stats_.frames_in_by_type[std::min<std::size_t>(static_cast<std::size_t>(frame.header.type), 4)];
    stats_.bytes_in += n;
    last_activity_ = now;
    on_frame(frame);
  }
  return state_ >= AgentState::closing ? data.size() : used;
}

void AgentConnection::on_frame(const Frame& frame) {
  const FrameType type = frame.header.type;
  if (state_ == AgentState::awaiting_hello) {
    if (type == FrameType::haproxy_hello) return on_hello(frame);
    if (type == FrameType::haproxy_disconnect) return on_disconnect(frame);
    return fail(Status::invalid_frame, frame_type_detail("first frame is not HAPROXY-HELLO", type));
  }
  switch (type) {
    case FrameType::haproxy_hello:
      return fail(Status::invalid_frame, "second HAPROXY-HELLO");
    case FrameType::haproxy_disconnect:
      return on_disconnect(frame);
    case FrameType::notify:
      return on_notify(frame);
    case FrameType::unset:
      return on_unset(frame);
    case FrameType::agent_hello:
    case FrameType::agent_disconnect:
    case FrameType::ack:
      return fail(Status::invalid_frame, frame_type_detail("agent frame sent to the agent", type));
    default:
      // HAProxy itself reads and drops unknown frame types; do the same, but count them.
      ++stats_.unknown_frames;
      return;
  }
}

void AgentConnection::on_hello(const Frame& frame) {
  const FrameHeader& h = frame.header;
  if (!h.fin()) return fail(Status::fragmentation_not_supported, "HAPROXY-HELLO without FIN");
  if (h.stream_id != 0 || h.frame_id != 0) {
    return fail(Status::invalid_frame, "HAPROXY-HELLO with a non-zero stream-id or frame-id");
  }
  HaproxyHello hello;
  if (parse_haproxy_hello(frame.payload, hello) != Errc::ok) {
    return fail(Status::invalid_frame, "malformed HAPROXY-HELLO");
  }
  if (!hello.supported_versions) return fail(Status::no_version, "HAPROXY-HELLO without supported-versions");
  if (!supports_version_2_0(*hello.supported_versions)) {
    return fail(Status::unsupported_version, "HAPROXY-HELLO does not offer version 2.0");
  }
  if (!hello.max_frame_size) return fail(Status::no_max_frame_size, "HAPROXY-HELLO without max-frame-size");
  if (*hello.max_frame_size < min_max_frame_size) {
    return fail(Status::bad_max_frame_size, "HAPROXY-HELLO max-frame-size below 256");
  }
  frame_size_ = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(options_.max_frame_size, *hello.max_frame_size));
  capabilities_ = negotiate_capabilities(hello.capabilities.value_or(std::string_view{}));
  pipelining_on_ = has_capability(capabilities_, capability::pipelining);
  healthcheck_ = hello.healthcheck;
  engine_id_.assign(hello.engine_id);
  if (write_agent_hello(out_.buffer(), protocol_version, frame_size_, capabilities_, frame_size_) !=
      Errc::ok) {
    // Cannot happen with a frame size >= 256 (an AGENT-HELLO is under 100 bytes); fail loudly anyway.
    return fail(Status::resource_allocation, "AGENT-HELLO does not fit");
  }
  ++stats_.agent_hellos;
  events_.emplace_back(HelloEvent{healthcheck_, frame_size_, capabilities_, engine_id_});
  if (healthcheck_) {
    enter_closing();  // HAProxy resets the connection after reading the answer
  } else {
    state_ = AgentState::running;
  }
}

std::string AgentConnection::negotiate_capabilities(std::string_view offered) const {
  std::string caps;
  auto add = [&caps](std::string_view name) {
    if (!caps.empty()) caps += ',';
    caps += name;
  };
  if (options_.pipelining && has_capability(offered, capability::pipelining)) add(capability::pipelining);
  if (options_.async && has_capability(offered, capability::async)) add(capability::async);
  // One-sided ("I can receive fragments"): HAProxy never offers it, so claim it on our option alone.
  if (options_.fragmentation) add(capability::fragmentation);
  return caps;
}

void AgentConnection::on_notify(const Frame& frame) {
  const FrameHeader& h = frame.header;
  const Ids ids{h.stream_id, h.frame_id};
  if (fragment_ids_) {
    // A fragmented NOTIFY continues with UNSET frames only; anything else interlaces.
    return fail(Status::invalid_interlaced_frames, "NOTIFY while a fragmented NOTIFY is in progress");
  }
  if (h.fin()) return deliver_notify(ids, frame.payload);
  if (!options_.fragmentation) {
    return fail(Status::fragmentation_not_supported, "NOTIFY without FIN and fragmentation is off");
  }
  if (frame.payload.size() > reassembly_limit()) {
    return fail(Status::frame_too_big, "fragmented NOTIFY above the reassembly limit");
  }
  fragments_.assign(frame.payload.begin(), frame.payload.end());
  fragment_ids_ = ids;
}

void AgentConnection::on_unset(const Frame& frame) {
  const FrameHeader& h = frame.header;
  const Ids ids{h.stream_id, h.frame_id};
  // HAProxy only sends UNSET to continue a fragmented NOTIFY; one out of nowhere is invalid (4), like
  // any frame that makes no sense in the current state.
  if (!fragment_ids_) return fail(Status::invalid_frame, "UNSET frame without a fragmented NOTIFY");
  if (ids != *fragment_ids_) {
    return fail(Status::invalid_interlaced_frames, "fragment of another NOTIFY interlaced");
  }
  if (h.abort()) {
    fragment_ids_.reset();
    fragments_.clear();
    events_.emplace_back(AbortEvent{ids.first, ids.second});
    return;
  }
  if (frame.payload.size() > reassembly_limit() - fragments_.size()) {
    return fail(Status::frame_too_big, "fragmented NOTIFY above the reassembly limit");
  }
  fragments_.insert(fragments_.end(), frame.payload.begin(), frame.payload.end());
  if (!h.fin()) return;
  fragment_ids_.reset();
  deliver_notify(ids, fragments_);
  // The event views fragments_, which the next fragmented NOTIFY would overwrite: stop here.
  hold_input_ = true;
}

void AgentConnection::deliver_notify(Ids ids, std::span<const std::byte> payload) {
  NotifyView view;
  if (NotifyView::parse(payload, view) != Errc::ok) {
    return fail(Status::invalid_frame, "malformed NOTIFY payload");
  }
  outstanding_.push_back(ids);
  ++stats_.notifies;
  events_.emplace_back(NotifyEvent{ids.first, ids.second, view});
}

void AgentConnection::on_disconnect(const Frame& frame) {
  DisconnectInfo info;
  if (parse_disconnect(frame.payload, info) != Errc::ok) {
    return fail(Status::invalid_frame, "malformed HAPROXY-DISCONNECT");
  }
  // Any 32-bit code is kept as is (agents and HAProxy may use their own); a missing or wider one
  // becomes 99 "an unknown error occurred".
  const bool usable = info.status_code && *info.status_code <= std::numeric_limits<std::uint32_t>::max();
  status_ = usable ? static_cast<Status>(*info.status_code) : Status::unknown;
  reason_.assign(info.message);
  queue_disconnect(Status::normal, status_message(Status::normal));
  events_.emplace_back(DisconnectEvent{status_, reason_, true});
}

// --- output and ACKs ---------------------------------------------------------------------------

AckBuilder& AgentConnection::start_ack(std::uint64_t stream_id, std::uint64_t frame_id) {
  cancel_ack();
  return open_ack_.emplace(ack_buf_, stream_id, frame_id, frame_size_);
}

Errc AgentConnection::commit_ack() {
  if (!open_ack_) return Errc::invalid_argument;
  const Ids ids{open_ack_->stream_id(), open_ack_->frame_id()};
  const auto it = std::find(outstanding_.begin(), outstanding_.end(), ids);
  if (state_ >= AgentState::closing || it == outstanding_.end()) {
    cancel_ack();
    return Errc::invalid_argument;
  }
  open_ack_->finish();
  auto& out = out_.buffer();
  out.insert(out.end(), ack_buf_.begin(), ack_buf_.end());
  cancel_ack();
  answered(it);
  return Errc::ok;
}

Errc AgentConnection::commit_ack(std::span<const std::byte> frame) {
  if (state_ >= AgentState::closing || frame.size() < frame_length_prefix) return Errc::invalid_argument;
  const std::size_t length = frame.size() - frame_length_prefix;
  if (check_frame_length(static_cast<std::uint32_t>(std::min<std::size_t>(length, UINT32_MAX)), frame_size_) !=
      Errc::ok) {
    return Errc::invalid_argument;
  }
  // Appended first and checked in place: the common case (a valid ACK) then costs one copy.
  auto& out = out_.buffer();
  const std::size_t at = out.size();
  out.insert(out.end(), frame.begin(), frame.end());
  std::byte* p = out.data() + at;
  p[0] = static_cast<std::byte>(length >> 24);
  p[1] = static_cast<std::byte>(length >> 16);
  p[2] = static_cast<std::byte>(length >> 8);
  p[3] = static_cast<std::byte>(length);
  Frame parsed;
  std::size_t n = 0;
  const auto it = split_frame(std::span<const std::byte>(out).subspan(at), frame_size_, parsed, n) == Errc::ok &&
                          parsed.header.type == FrameType::ack
                      ? std::find(outstanding_.begin(), outstanding_.end(),
                                  Ids{parsed.header.stream_id, parsed.header.frame_id})
                      : outstanding_.end();
  if (it == outstanding_.end()) {
    out.resize(at);
    return Errc::invalid_argument;
  }
  answered(it);
  return Errc::ok;
}

void AgentConnection::answered(std::vector<Ids>::iterator outstanding) {
  *outstanding = outstanding_.back();  // order of outstanding NOTIFYs does not matter
  outstanding_.pop_back();
  ++stats_.acks;
  if (outstanding_.empty()) idle_restart_ = true;
}

void AgentConnection::cancel_ack() noexcept {
  open_ack_.reset();
  ack_buf_.clear();
}

void AgentConnection::submit_disconnect(Status status, std::string_view message) {
  if (state_ >= AgentState::closing) return;
  status_ = status;
  reason_.assign(message.substr(0, max_disconnect_message_length));
  queue_disconnect(status, reason_);
}

void AgentConnection::consume_output(std::size_t n) noexcept {
  stats_.bytes_out += out_.consume(n);
  if (state_ == AgentState::closing && out_.empty()) state_ = AgentState::closed;
}

bool AgentConnection::wants_read() const noexcept {
  return state_ < AgentState::closing && !backpressured();
}

bool AgentConnection::wants_write() const noexcept {
  return state_ != AgentState::closed && !out_.empty();
}

// --- failure, closing and timers ---------------------------------------------------------------

void AgentConnection::fail(Status status, std::string_view detail) {
  status_ = status;
  reason_.assign(detail);
  queue_disconnect(status, status_message(status));
  events_.emplace_back(DisconnectEvent{status, reason_, false});
}

void AgentConnection::queue_disconnect(Status status, std::string_view message) {
  // An open ACK is left alone (the caller may still hold its builder); commit_ack() refuses it now.
  fragment_ids_.reset();
  auto& out = out_.buffer();
  const auto code = static_cast<std::uint32_t>(status);
  // A 255-byte message does not fit a 256-byte frame: fall back to HAProxy's short text for the code.
  if (write_disconnect(out, FrameType::agent_disconnect, code, message, frame_size_) != Errc::ok) {
    write_disconnect(out, FrameType::agent_disconnect, code, status_message(status), frame_size_);
  }
  ++stats_.agent_disconnects;
  enter_closing();
}

void AgentConnection::enter_closing() noexcept {
  state_ = out_.empty() ? AgentState::closed : AgentState::closing;
}

bool AgentConnection::backpressured() const noexcept {
  return (input_paused_ && state_ == AgentState::running) || outstanding_.size() >= options_.max_in_flight ||
         out_.size() > options_.max_pending_output;
}

std::size_t AgentConnection::reassembly_limit() const noexcept {
  return options_.max_reassembled_size != 0 ? options_.max_reassembled_size
                                            : std::size_t{16} * frame_size_;
}

void AgentConnection::on_tick(Clock::time_point now) {
  using std::chrono::milliseconds;
  if (state_ == AgentState::awaiting_hello) {
    if (options_.hello_timeout > milliseconds::zero() && now - created_ >= options_.hello_timeout) {
      fail(Status::timeout, "no HAPROXY-HELLO within hello_timeout");
    }
    return;
  }
  if (state_ != AgentState::running || options_.idle_timeout <= milliseconds::zero()) return;
  if (!outstanding_.empty()) return;  // the engine is busy: not idle
  if (idle_restart_) {
    // The last ACK went out since the previous tick; sending counts as activity, as in HAProxy.
    idle_restart_ = false;
    last_activity_ = now;
    return;
  }
  if (now - last_activity_ >= options_.idle_timeout) fail(Status::timeout, "idle_timeout expired");
}

std::optional<Clock::time_point> AgentConnection::next_deadline() const noexcept {
  using std::chrono::milliseconds;
  if (state_ == AgentState::awaiting_hello && options_.hello_timeout > milliseconds::zero()) {
    return created_ + options_.hello_timeout;
  }
  if (state_ == AgentState::running && options_.idle_timeout > milliseconds::zero() &&
      outstanding_.empty()) {
    return last_activity_ + options_.idle_timeout;
  }
  return std::nullopt;
}

std::optional<AgentEvent> AgentConnection::next_event() {
  if (event_head_ == events_.size()) {
    events_.clear();
    event_head_ = 0;
    return std::nullopt;
  }
  return events_[event_head_++];
}

}  // namespace spop
