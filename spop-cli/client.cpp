#include "spop-cli/client.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "spop-cli/exit_codes.hpp"
#include "spop-cli/frame_decoder.hpp"
#include "spop/frame.hpp"

namespace spop_cli {

using spop::Clock;

int exit_code(const Failure& f) noexcept {
  switch (f.kind) {
    case FailureKind::resolve:
    case FailureKind::refused:
    case FailureKind::unreachable:
    case FailureKind::timeout:
    case FailureKind::tls:
      return exit_status::unreachable;
    case FailureKind::closed:
    case FailureKind::disconnected:
    case FailureKind::protocol:
    case FailureKind::io:
      return exit_status::agent_error;
    case FailureKind::request:
      return exit_status::failed;
  }
  return exit_status::agent_error;
}

std::optional<spop::HaproxyProfile> parse_profile(std::string_view text) {
  if (auto p = spop::parse_haproxy_profile(text)) return p;
  if (text == "2") return spop::HaproxyProfile::v2_6;
  if (text == "3" || text == "3.3" || text == "3.0") {
    // 3.0 still had the 2.6 applet; only 3.1+ use the SPOP mux.
    return text == "3.0" ? spop::HaproxyProfile::v2_6 : spop::HaproxyProfile::v3_1;
  }
  return std::nullopt;
}

namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

Failure make_failure(FailureKind kind, std::string message) {
  Failure f;
  f.kind = kind;
  f.message = std::move(message);
  return f;
}

FailureKind failure_kind(spop::netclient::ConnectError error) {
  switch (error) {
    case spop::netclient::ConnectError::resolve:
      return FailureKind::resolve;
    case spop::netclient::ConnectError::refused:
      return FailureKind::refused;
    case spop::netclient::ConnectError::timeout:
      return FailureKind::timeout;
    case spop::netclient::ConnectError::tls:
      return FailureKind::tls;
    default:
      return FailureKind::unreachable;
  }
}

}  // namespace

Client::Client(Endpoint endpoint, ClientOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
  if (options_.haproxy.engine_id.empty() && !options_.haproxy.healthcheck) {
    // Real HAProxy sends a random UUIDv4 per thread (2.6) or per agent (3.1+).
    std::random_device rd;
    options_.haproxy.engine_id = spop::make_engine_id((std::uint64_t{rd()} << 32) | rd());
  }
  if (options_.trace != nullptr) tracer_ = std::make_unique<Tracer>(*options_.trace);
}

Client::~Client() = default;

std::optional<Failure> Client::open_socket() {
  std::optional<spop::netclient::ClientContext> tls;
  if (options_.tls.enabled) {
    try {
      tls.emplace(options_.tls);
    } catch (const std::exception& e) {  // spop::tls::Error: a CA, certificate or key file that cannot be used
      return make_failure(FailureKind::request, e.what());
    }
  }
  auto c = spop::netclient::connect_transport(endpoint_, tls ? &*tls : nullptr, Clock::now() + options_.timeout);
  if (c.transport.is_open()) {
    io_ = std::move(c.transport);
    if (io_.is_tls()) handshake_.tls = io_.tls()->summary();
    return std::nullopt;
  }
  if (c.error == spop::netclient::ConnectError::timeout) c.message += " after " + ms_text(options_.timeout);
  return make_failure(failure_kind(c.error), std::move(c.message));
}

std::optional<Failure> Client::connect() {
  const auto start = Clock::now();
  if (auto f = open_socket()) return f;
  hello_sent_at_ = Clock::now();
  handshake_.connect_time = hello_sent_at_ - start;
  conn_ = std::make_unique<spop::HaproxyConnection>(options_.haproxy, hello_sent_at_);
  const std::string_view what = options_.haproxy.healthcheck ? "the health check's AGENT-HELLO" : "AGENT-HELLO";
  return pump(
      Clock::now() + options_.timeout, [this] { return connected_; }, what);
}

bool Client::can_send() const noexcept { return conn_ && conn_->can_send(); }

std::optional<Failure> Client::send(std::span<const spop::NotifyMessage> messages, spop::NotifyIds& ids) {
  if (failure_) return failure_;
  if (const std::error_code ec = conn_->send_notify(messages, Clock::now(), ids)) {
    drain_events();  // a NOTIFY too big for 2.6 also makes it disconnect
    if (ec == spop::Errc::frame_too_big) {
      return make_failure(FailureKind::request, "the NOTIFY does not fit in the negotiated frame size of " +
                                                    std::to_string(conn_->negotiated_frame_size()) +
                                                    " bytes (HAProxy keeps 32 bytes of it for the header)");
    }
    return make_failure(FailureKind::io, "cannot send the NOTIFY: " + ec.message());
  }
  return flush();
}

std::optional<Failure> Client::wait_ack(AckResult& out) {
  if (auto f = pump(
          Clock::now() + options_.timeout, [this] { return !acks_.empty(); }, "an ACK"))
    return f;
  out = std::move(acks_.front());
  acks_.pop_front();
  return std::nullopt;
}

void Client::close() {
  if (!io_.is_open() || !conn_) return;
  if (conn_->state() == spop::HaproxyState::running && !failure_) {
    conn_->submit_disconnect(spop::Status::normal, spop::status_message(spop::Status::normal));
    // A short, bounded wait: an agent that does not answer the DISCONNECT is not an error.
    const auto limit = std::min<std::chrono::milliseconds>(options_.timeout, std::chrono::milliseconds(1000));
    pump(
        Clock::now() + limit, [this] { return conn_->state() == spop::HaproxyState::closed; }, "AGENT-DISCONNECT");
  }
  io_.close();
}

std::optional<Failure> Client::flush() {
  while (conn_->wants_write()) {
    const auto pending = conn_->pending_output();
    const ssize_t n = io_.send(pending.data(), pending.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;  // poll will say when
      if (errno == EPROTO) return make_failure(FailureKind::tls, io_.error());
      const int err = errno;
      return make_failure(err == EPIPE || err == ECONNRESET ? FailureKind::closed : FailureKind::io,
                          "cannot write to the agent: " + errno_text(err));
    }
    if (tracer_) tracer_->sent(pending.first(static_cast<std::size_t>(n)));
    conn_->consume_output(static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

std::optional<Failure> Client::read_some() {
  std::byte buf[16384];
  const ssize_t n = io_.recv(buf, sizeof buf);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    if (errno == EPROTO) return make_failure(FailureKind::tls, io_.error());
    const int err = errno;
    if (err == ECONNRESET) return make_failure(FailureKind::closed, "the agent reset the connection");
    return make_failure(FailureKind::io, "cannot read from the agent: " + errno_text(err));
  }
  if (n == 0) {
    std::string msg = "the agent closed the connection without sending AGENT-DISCONNECT";
    if (!in_.empty())
      msg += " (" + std::to_string(in_.size()) + " bytes of an unfinished frame at byte " + std::to_string(in_offset_) +
             ")";
    return make_failure(FailureKind::closed, std::move(msg));
  }
  const auto got = std::span<const std::byte>(buf, static_cast<std::size_t>(n));
  if (tracer_) tracer_->received(got);
  in_.insert(in_.end(), got.begin(), got.end());
  feed_frames();
  return std::nullopt;
}

// Feeds one whole frame at a time, so that a protocol error can be pinned to the frame that caused it.
void Client::feed_frames() {
  std::size_t pos = 0;
  while (!failure_ && conn_->state() != spop::HaproxyState::closed) {
    const auto rest = std::span<const std::byte>(in_).subspan(pos);
    std::uint32_t len = 0;
    if (spop::peek_frame_length(rest, len) != spop::Errc::ok) break;
    // A LEN the connection refuses is fed alone: it reports the error from the 4 bytes.
    const bool bad_length = len < spop::min_frame_length;
    const std::size_t size = bad_length ? spop::frame_length_prefix : spop::frame_length_prefix + len;
    if (!bad_length && rest.size() < size && len <= conn_->negotiated_frame_size()) break;
    const auto frame = rest.first(std::min(size, rest.size()));
    frame_offset_ = in_offset_ + pos;
    frame_bytes_.assign(frame.begin(), frame.end());
    const std::size_t used = conn_->feed(frame, Clock::now());
    drain_events();
    if (used == 0) break;  // an oversized LEN: the connection waits for more; the event says why
    pos += used;
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(std::min(pos, in_.size())));
  in_offset_ += pos;
}

Failure Client::protocol_failure(const spop::ProtocolErrorEvent& e) const {
  Failure f;
  f.kind = FailureKind::protocol;
  f.status = e.status;
  f.offset = frame_offset_;
  // Our strict decoder names the byte and the reason when the frame itself is malformed.
  std::string where = "in the frame at byte " + std::to_string(frame_offset_);
  if (frame_bytes_.size() >= spop::frame_length_prefix + spop::min_frame_length) {
    const auto d = decode_stream(frame_bytes_, DecodeOptions{0, frame_offset_});
    if (!d.frames.empty() && d.frames.front().issue) {
      f.offset = d.frames.front().issue->offset;
      where = "at byte " + std::to_string(*f.offset) + ": " + d.frames.front().issue->reason;
    }
  }
  f.message = "malformed reply from the agent " + where + " (" + std::string(e.detail) +
              "); HAProxy would disconnect with status " + std::to_string(static_cast<std::uint32_t>(e.status)) +
              " \"" + std::string(spop::status_message(e.status)) + "\"";
  // A frame length made of text is the usual sign of talking to something else (an HTTP server...).
  if (frame_offset_ == 0 && frame_bytes_.size() >= spop::frame_length_prefix) {
    std::string text;
    for (std::size_t i = 0; i < spop::frame_length_prefix; ++i) {
      const auto c = std::to_integer<unsigned char>(frame_bytes_[i]);
      if (c < 0x20 || c >= 0x7F) return f;
      text += static_cast<char>(c);
    }
    f.message += "; the reply starts with the text \"" + text + "\": is this a SPOP agent?";
  }
  return f;
}

void Client::drain_events() {
  while (auto ev = conn_->next_event()) {
    if (const auto* c = std::get_if<spop::ConnectedEvent>(&*ev)) {
      handshake_.version = c->version;
      handshake_.capabilities = c->capabilities;
      handshake_.max_frame_size = c->max_frame_size;
      handshake_.pipelining = c->pipelining;
      handshake_.async = c->async;
      handshake_.fragmentation = c->fragmentation;
      handshake_.healthcheck = c->healthcheck;
      handshake_.handshake_time = Clock::now() - hello_sent_at_;
      connected_ = true;
    } else if (const auto* a = std::get_if<spop::AckEvent>(&*ev)) {
      AckResult r;
      r.stream_id = a->stream_id;
      r.frame_id = a->frame_id;
      r.stop_reason = a->stop_reason;
      r.stop_offset = a->stop_offset;
      r.round_trip = a->round_trip();
      for (const spop::AckAction& act : a->actions) {
        r.actions.push_back(
            OwnedAction{act.type, act.scope, std::string(act.name), std::string(act.variable), TypedValue(act.value)});
      }
      acks_.push_back(std::move(r));
    } else if (const auto* d = std::get_if<spop::AgentDisconnectedEvent>(&*ev)) {
      if (failure_) continue;
      Failure f;
      f.kind = FailureKind::disconnected;
      f.status = d->status;
      f.agent_message = d->message;
      f.message = "the agent disconnected with status " + std::to_string(static_cast<std::uint32_t>(d->status)) +
                  " \"" + std::string(d->message) + "\"";
      if (spop::is_known_status(static_cast<std::uint32_t>(d->status)) &&
          d->message != spop::status_message(d->status)) {
        f.message += " (" + std::string(spop::status_message(d->status)) + ")";
      }
      failure_ = std::move(f);
    } else if (const auto* p = std::get_if<spop::ProtocolErrorEvent>(&*ev)) {
      if (!failure_) failure_ = protocol_failure(*p);
    }
  }
}

std::optional<Failure> Client::pump(Clock::time_point deadline, const std::function<bool()>& done,
                                    std::string_view waiting_for) {
  while (true) {
    if (failure_) {
      flush();  // best effort: let a queued HAPROXY-DISCONNECT reach the agent
      return failure_;
    }
    if (done()) return std::nullopt;
    if (auto f = flush()) return failure_ = f;
    if (!conn_->wants_read() && !conn_->wants_write()) {
      return failure_ = make_failure(FailureKind::closed,
                                     "the connection closed while waiting for " + std::string(waiting_for));
    }
    Clock::time_point until = deadline;
    if (const auto tick = conn_->next_deadline()) until = std::min(until, *tick);
    short revents = 0;
    const short events = static_cast<short>(POLLIN | (conn_->wants_write() ? POLLOUT : 0));
    // Bytes TLS has already decrypted are not seen by poll(): read them first.
    const int rc = io_.has_buffered_input() ? (revents = POLLIN, 1)
                                            : spop::netclient::wait_fd(io_.fd(), events, until, &revents);
    if (rc < 0) return failure_ = make_failure(FailureKind::io, "poll(): " + errno_text(errno));
    const auto now = Clock::now();
    if (const auto tick = conn_->next_deadline(); tick && now >= *tick) {
      conn_->on_tick(now);
      drain_events();
    }
    if (rc == 0 && now >= deadline) {
      return failure_ =
                 make_failure(FailureKind::timeout, "no answer from the agent within " + ms_text(options_.timeout) +
                                                        " (waiting for " + std::string(waiting_for) + ")");
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
      if (auto f = read_some()) {
        if (!failure_) failure_ = f;
      }
    }
  }
}

}  // namespace spop_cli
