// Fuzz target: a whole agent-side session (spop::AgentConnection) from before the handshake. The input
// drives a sequence of steps: HAProxy bytes (raw, or generated HELLO / NOTIFY / UNSET / DISCONNECT
// frames with fuzzed fields) fed in random chunks, ACKs for NOTIFYs seen (in any order, with random
// actions, sometimes for ids never seen), ACKs built outside the connection as the agent's executor
// threads build them (several under construction at once, committed later in any order with
// commit_ack(frame), sometimes cut after any action as a budget takeover does), input paused and
// resumed, partial writes, clock ticks and local disconnects. An input
// starting with a 0 byte (as every real frame does: LEN's high byte) is instead a raw HAProxy byte
// stream, fed in growing chunks, each NOTIFY answered at once with its arguments echoed as SET-VARs:
// so captures are seeds.
// Invariants checked on everything the agent writes:
// * the output is a sequence of whole frames, each within our limit before the handshake and within
//   the negotiated size after it; only AGENT-HELLO (first, once), ACK and AGENT-DISCONNECT appear;
// * the AGENT-HELLO says version 2.0 and the negotiated size the HelloEvent reported;
// * each ACK answers a NOTIFY delivered and not yet answered, and carries exactly the actions added;
// * commit_ack() and commit_ack(frame) succeed exactly when the ids are unanswered and the connection
//   is not closing; the action observer reports the end of each complete action;
// * a paused connection consumes no input after the handshake (unless closing);
// * nothing follows an AGENT-DISCONNECT (or a health check's AGENT-HELLO); its status is the one
//   reported (0 for a HAProxy-initiated disconnect);
// * no event follows a DisconnectEvent, and the statuses are the ones a peer can cause.
#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "fuzz/fuzz_support.hpp"
#include "spop/ack_reader.hpp"
#include "spop/agent_connection.hpp"

namespace {

using fuzz::require;
using Ids = std::pair<std::uint64_t, std::uint64_t>;

struct ExpectedAck {
  Ids ids;
  std::vector<spop::Action> actions;  // views into the session's storage
};

/// An ACK under construction outside the connection, in a buffer of its own (as an executor's call).
struct ExternalAck {
  Ids ids;
  std::vector<std::byte> buffer;
  std::vector<std::size_t> ends;  // ends[j]: the frame's end after j actions
  std::vector<spop::Action> actions;
};

class Session {
 public:
  /// `stream`: the input is a raw HAProxy byte stream (a capture); the options are the defaults
  /// with fragmentation on, and every NOTIFY is answered at once with its arguments as SET-VARs.
  Session(FuzzedDataProvider& in, bool stream) : in_(in), auto_answer_(stream) {
    if (stream) {
      opts_.fragmentation = true;
      our_limit_ = opts_.max_frame_size;
      conn_ = std::make_unique<spop::AgentConnection>(opts_, now_);
      return;
    }
    static constexpr std::uint32_t sizes[] = {0, 256, 300, 1024, 16380, 65536};
    opts_.max_frame_size = in.ConsumeBool() ? in.PickValueInArray(sizes) : in.ConsumeIntegral<std::uint32_t>();
    opts_.pipelining = in.ConsumeBool();
    opts_.async = in.ConsumeBool();
    opts_.fragmentation = in.ConsumeBool();
    opts_.max_in_flight = in.ConsumeIntegralInRange<std::size_t>(0, 8);
    opts_.max_pending_output = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
    opts_.hello_timeout = std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 50));
    opts_.idle_timeout = std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 50));
    opts_.max_reassembled_size = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<std::size_t>(0, 5000);
    our_limit_ = std::max(opts_.max_frame_size, spop::min_max_frame_size);
    conn_ = std::make_unique<spop::AgentConnection>(opts_, now_);
  }

  void run_stream(std::span<const std::byte> bytes) {
    input_.assign(bytes.begin(), bytes.end());
    std::size_t chunk = 1;
    while (!input_.empty()) {
      const std::size_t before = input_.size();
      feed(chunk);
      write(SIZE_MAX);
      // A trailing partial frame (or backpressure) leaves bytes that no bigger chunk will take.
      if (input_.size() == before && (chunk >= before || !conn_->wants_read())) break;
      chunk = std::min<std::size_t>(chunk * 3 + 1, 1u << 24);  // small chunks first (partial frames), then whole runs
    }
    write(SIZE_MAX);
    require(wire_.empty(), "output ends in a partial frame");
  }

  void run() {
    while (in_.remaining_bytes() > 0) {
      switch (in_.ConsumeIntegralInRange<int>(0, 11)) {
        case 0: case 1: case 2: generate_input(); break;
        case 3: case 4: feed(); break;
        case 5: answer(); break;
        case 6: write(in_.ConsumeIntegralInRange<std::size_t>(0, 600)); break;
        case 7: tick(); break;
        case 8: if (in_.ConsumeIntegralInRange<int>(0, 7) == 0) local_disconnect(); break;
        case 10: if (in_.ConsumeBool()) open_external(); else commit_external(); break;
        case 11:
          paused_ = !paused_;
          conn_->pause_input(paused_);
          break;
        default: feed(); answer(); break;
      }
    }
    // Flush everything: the whole output must parse.
    feed();
    write(SIZE_MAX);
    require(wire_.empty(), "output ends in a partial frame");
    require(!conn_->wants_write(), "wants_write with nothing pending");
  }

 private:
  // --- HAProxy's side --------------------------------------------------------------------------
  void generate_input() {
    const std::uint64_t sid = fuzz::random_id(in_);
    const std::uint64_t fid = fuzz::random_id(in_);
    switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {
        const auto raw = in_.ConsumeRandomLengthString(200);
        const auto b = fuzz::as_bytes(raw);
        input_.insert(input_.end(), b.begin(), b.end());
        break;
      }
      case 1: case 2: hello(); break;
      case 3: case 4: case 5: fuzz::append_notify(in_, input_, sid, fid, spop::frame_flags::fin); break;
      case 6: {  // a fragmented NOTIFY: first piece without FIN, then UNSET pieces
        const std::size_t start = input_.size();
        fuzz::append_notify(in_, input_, sid, fid, 0);
        fragment(start, sid, fid);
        break;
      }
      case 7: {
        std::uint32_t flags = in_.ConsumeIntegralInRange<std::uint32_t>(0, 3);
        fuzz::append_raw_frame(in_, input_, spop::FrameType::unset, flags, sid, fid);
        break;
      }
      case 8: fuzz::append_kv_frame(in_, input_, spop::FrameType::haproxy_disconnect, spop::frame_flags::fin); break;
      default: {
        const auto type = static_cast<spop::FrameType>(in_.ConsumeIntegral<std::uint8_t>());
        fuzz::append_raw_frame(in_, input_, type, in_.ConsumeIntegral<std::uint32_t>(), sid, fid);
        break;
      }
    }
  }

  void hello() {
    if (in_.ConsumeBool()) {
      fuzz::append_kv_frame(in_, input_, spop::FrameType::haproxy_hello, spop::frame_flags::fin);
      return;
    }
    static constexpr std::string_view caps[] = {"pipelining,async", "pipelining", "async", "", "fragmentation"};
    spop::HaproxyHelloParams p;
    p.max_frame_size = in_.ConsumeIntegralInRange<std::uint32_t>(200, 70000);
    p.capabilities = in_.PickValueInArray(caps);
    p.healthcheck = in_.ConsumeIntegralInRange<int>(0, 7) == 0;
    p.engine_id = "3d7c0ab8-2b4c-4bb8-9b71-0b1d1cf1fc5a";
    (void)spop::write_haproxy_hello(input_, p, 1u << 20);
  }

  /// Cuts the NOTIFY written at `start` into pieces: NOTIFY (no FIN), UNSET..., UNSET with FIN (or an
  /// abort), each piece a random size.
  void fragment(std::size_t start, std::uint64_t sid, std::uint64_t fid) {
    spop::Frame f;
    std::size_t used = 0;
    std::vector<std::byte> whole(input_.begin() + static_cast<std::ptrdiff_t>(start), input_.end());
    input_.resize(start);
    if (spop::split_frame(whole, 1u << 20, f, used) != spop::Errc::ok) return;
    const auto payload = f.payload;
    std::size_t offset = 0;
    bool first = true;
    do {
      const std::size_t n = std::min(payload.size() - offset, in_.ConsumeIntegralInRange<std::size_t>(1, 400));
      const bool last = offset + n == payload.size();
      std::uint32_t flags = last ? spop::frame_flags::fin : 0u;
      if (!first && in_.ConsumeIntegralInRange<int>(0, 15) == 0) flags = spop::frame_flags::fin | spop::frame_flags::abort;
      spop::FrameWriter w(input_, {first ? spop::FrameType::notify : spop::FrameType::unset, flags, sid, fid}, 1u << 20);
      w.payload().put_bytes(payload.subspan(offset, n));
      w.finish();
      offset += n;
      first = false;
      if (flags & spop::frame_flags::abort) break;
    } while (offset < payload.size());
  }

  void feed() { feed(in_.ConsumeIntegralInRange<std::size_t>(0, 4096)); }

  void feed(std::size_t max) {
    const std::size_t chunk = std::min(input_.size(), max);
    const auto before = conn_->state();
    const std::size_t used = conn_->feed(std::span<const std::byte>(input_).first(chunk), now_);
    require(used <= chunk, "feed used more than given");
    if (before >= spop::AgentState::closing) require(used == chunk, "closing connection must swallow input");
    if (paused_ && before == spop::AgentState::running) require(used == 0, "paused connection consumed input");
    drain_events();  // views point into input_: read them before it changes
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(used));
  }

  void drain_events() {
    std::vector<spop::Argument> args;
    draining_ = true;
    while (auto ev = conn_->next_event()) {
      require(!disconnect_event_, "event after a DisconnectEvent");
      if (auto* h = std::get_if<spop::HelloEvent>(&*ev)) {
        require(!hello_event_ && events_ == 0, "HelloEvent not first or twice");
        require(h->max_frame_size >= spop::min_max_frame_size && h->max_frame_size <= our_limit_, "hello size");
        require(h->max_frame_size == conn_->negotiated_frame_size(), "hello size vs connection");
        require(opts_.fragmentation == spop::has_capability(h->capabilities, spop::capability::fragmentation),
                "fragmentation capability follows the option");
        if (!opts_.pipelining) require(!spop::has_capability(h->capabilities, spop::capability::pipelining), "pipelining off");
        if (!opts_.async) require(!spop::has_capability(h->capabilities, spop::capability::async), "async off");
        hello_event_ = *h;
        hello_caps_.assign(h->capabilities);
      } else if (auto* n = std::get_if<spop::NotifyEvent>(&*ev)) {
        require(hello_event_ && !hello_event_->healthcheck, "NOTIFY before the handshake");
        std::size_t count = 0;
        for (const auto& m : n->messages) {
          m.arguments(args);
          require(args.size() == m.argument_count(), "argument count");
          for (const auto& a : args) checksum_ += a.name.size() + a.value.as_bytes().size();
          checksum_ += m.name().size();
          ++count;
        }
        require(count == n->messages.message_count(), "message count");
        outstanding_.emplace_back(n->stream_id, n->frame_id);
        unanswered_on_wire_.emplace_back(n->stream_id, n->frame_id);
        if (auto_answer_) echo_arguments(*n);
      } else if (std::get_if<spop::AbortEvent>(&*ev)) {
        require(opts_.fragmentation, "AbortEvent without fragmentation");
      } else if (auto* d = std::get_if<spop::DisconnectEvent>(&*ev)) {
        disconnect_event_ = true;
        if (d->by_peer) {
          expected_disconnect_ = spop::Status::normal;
        } else {
          static constexpr spop::Status peer_caused[] = {
              spop::Status::timeout, spop::Status::frame_too_big, spop::Status::invalid_frame,
              spop::Status::no_version, spop::Status::no_max_frame_size, spop::Status::unsupported_version,
              spop::Status::bad_max_frame_size, spop::Status::fragmentation_not_supported,
              spop::Status::invalid_interlaced_frames};
          require(std::find(std::begin(peer_caused), std::end(peer_caused), d->status) != std::end(peer_caused),
                  "DisconnectEvent status a peer cannot cause");
          require(!d->message.empty(), "DisconnectEvent without a reason");
          if (!expected_disconnect_) expected_disconnect_ = d->status;
        }
        require(conn_->state() >= spop::AgentState::closing, "DisconnectEvent but not closing");
      }
      ++events_;
    }
    draining_ = false;
    require(conn_->in_flight() == outstanding_.size(), "in_flight vs NOTIFYs delivered and not answered");
  }

  // --- the agent's side ------------------------------------------------------------------------
  void answer() {
    Ids ids{fuzz::random_id(in_), fuzz::random_id(in_)};
    if (!outstanding_.empty() && in_.ConsumeIntegralInRange<int>(0, 7) != 0) {
      ids = outstanding_[in_.ConsumeIntegralInRange<std::size_t>(0, outstanding_.size() - 1)];
    }
    std::vector<spop::Action> actions(in_.ConsumeIntegralInRange<std::size_t>(0, 12));
    for (auto& a : actions) {
      a.scope = static_cast<spop::Scope>(in_.ConsumeIntegralInRange<int>(0, 4));
      a.name = fuzz::keep(storage_, in_.ConsumeRandomLengthString(40));
      a.type = in_.ConsumeBool() ? spop::ActionType::set_var : spop::ActionType::unset_var;
      if (a.type == spop::ActionType::set_var) a.value = fuzz::random_value(in_, storage_, 300);
    }
    commit(ids, actions, in_.ConsumeIntegralInRange<int>(0, 9));
  }

  /// The ACK a simple script would send: one SET-VAR per argument, with its value (copied, because
  /// the NOTIFY's bytes go away before the ACK is checked on the wire).
  void echo_arguments(const spop::NotifyEvent& n) {
    std::vector<spop::Action> actions;
    std::vector<spop::Argument> args;
    for (const auto& m : n.messages) {
      m.arguments(args);
      for (const auto& arg : args) {
        spop::Action a;
        a.name = fuzz::keep(storage_, std::string(arg.name));
        a.value = arg.value;
        if (a.value.type() == spop::DataType::string) a.value = spop::Value::string(fuzz::keep(storage_, std::string(arg.value.as_bytes())));
        if (a.value.type() == spop::DataType::binary) a.value = spop::Value::binary(fuzz::keep(storage_, std::string(arg.value.as_bytes())));
        actions.push_back(a);
      }
    }
    commit({n.stream_id, n.frame_id}, actions, 2);
  }

  /// Builds and commits one ACK. `variant` 0 cancels it first, 1 abandons it for an empty one.
  void commit(Ids ids, const std::vector<spop::Action>& actions, int variant) {
    auto& ack = conn_->start_ack(ids.first, ids.second);
    ExpectedAck expected{ids, {}};
    for (const auto& a : actions) {
      const auto e = a.type == spop::ActionType::set_var ? ack.set_var(a.scope, a.name, a.value)
                                                         : ack.unset_var(a.scope, a.name);
      require(e == spop::Errc::ok || e == spop::Errc::frame_too_big, "set_var/unset_var error");
      require(ack.frame_length() <= conn_->negotiated_frame_size(), "open ACK above the frame size");
      if (e == spop::Errc::ok) expected.actions.push_back(a);
    }
    if (variant == 0) {
      conn_->cancel_ack();
      require(conn_->commit_ack() == spop::Errc::invalid_argument, "commit after cancel");
      return;
    }
    if (variant == 1) {
      conn_->start_ack(ids.first, ids.second);  // abandons the first
      expected.actions.clear();
    }
    const auto it = std::find(outstanding_.begin(), outstanding_.end(), ids);
    const bool should_succeed = it != outstanding_.end() && conn_->state() < spop::AgentState::closing;
    const auto e = conn_->commit_ack();
    require((e == spop::Errc::ok) == should_succeed, "commit_ack accepts exactly the unanswered NOTIFYs");
    if (e == spop::Errc::ok) {
      outstanding_.erase(it);
      acks_.push_back(std::move(expected));
    }
    // While events are drained, later NotifyEvents of the same feed() already count in in_flight().
    if (!draining_) require(conn_->in_flight() == outstanding_.size(), "in_flight after an ACK");
  }

  /// Starts an ACK in a buffer of its own for ids usually outstanding; actions are added at once, their
  /// ends recorded (as the agent's executor publishes them), and the commit comes later.
  void open_external() {
    auto ack = std::make_unique<ExternalAck>();
    ack->ids = {fuzz::random_id(in_), fuzz::random_id(in_)};
    if (!outstanding_.empty() && in_.ConsumeIntegralInRange<int>(0, 7) != 0) {
      ack->ids = outstanding_[in_.ConsumeIntegralInRange<std::size_t>(0, outstanding_.size() - 1)];
    }
    spop::AckBuilder b(ack->buffer, ack->ids.first, ack->ids.second, conn_->negotiated_frame_size());
    std::size_t observed = 0;
    b.observe_actions([](void* at, std::size_t end) noexcept { *static_cast<std::size_t*>(at) = end; }, &observed);
    ack->ends.push_back(spop::frame_length_prefix + b.frame_length());
    const std::size_t count = in_.ConsumeIntegralInRange<std::size_t>(0, 8);
    for (std::size_t i = 0; i < count; ++i) {
      spop::Action a;
      a.scope = static_cast<spop::Scope>(in_.ConsumeIntegralInRange<int>(0, 4));
      a.name = fuzz::keep(storage_, in_.ConsumeRandomLengthString(40));
      a.type = in_.ConsumeBool() ? spop::ActionType::set_var : spop::ActionType::unset_var;
      if (a.type == spop::ActionType::set_var) a.value = fuzz::random_value(in_, storage_, 300);
      const auto e = a.type == spop::ActionType::set_var ? b.set_var(a.scope, a.name, a.value) : b.unset_var(a.scope, a.name);
      require(e == spop::Errc::ok || e == spop::Errc::frame_too_big, "external set_var/unset_var error");
      if (e != spop::Errc::ok) continue;
      require(observed == spop::frame_length_prefix + b.frame_length(), "observer reports the frame's end");
      ack->actions.push_back(a);
      ack->ends.push_back(observed);
    }
    external_.push_back(std::move(ack));
  }

  /// Commits one open external ACK (any of them: completion order), whole or cut after some action.
  void commit_external() {
    if (external_.empty()) return;
    const std::size_t k = in_.ConsumeIntegralInRange<std::size_t>(0, external_.size() - 1);
    std::unique_ptr<ExternalAck> ack = std::move(external_[k]);
    external_.erase(external_.begin() + static_cast<std::ptrdiff_t>(k));
    const std::size_t cut = in_.ConsumeBool() ? ack->actions.size() : in_.ConsumeIntegralInRange<std::size_t>(0, ack->actions.size());
    const auto it = std::find(outstanding_.begin(), outstanding_.end(), ack->ids);
    // Built against the frame size of its time: a handshake since then may have lowered it.
    const bool fits = ack->ends[cut] - spop::frame_length_prefix <= conn_->negotiated_frame_size();
    const bool should_succeed = it != outstanding_.end() && conn_->state() < spop::AgentState::closing && fits;
    const auto e = conn_->commit_ack(std::span<const std::byte>(ack->buffer).first(ack->ends[cut]));
    require((e == spop::Errc::ok) == should_succeed, "commit_ack(frame) accepts exactly the unanswered NOTIFYs");
    if (e == spop::Errc::ok) {
      outstanding_.erase(it);
      acks_.push_back({ack->ids, std::vector<spop::Action>(ack->actions.begin(), ack->actions.begin() + static_cast<std::ptrdiff_t>(cut))});
    }
    if (!draining_) require(conn_->in_flight() == outstanding_.size(), "in_flight after an external ACK");
  }

  void tick() {
    now_ += std::chrono::milliseconds(in_.ConsumeIntegralInRange<int>(0, 60));
    if (in_.ConsumeBool()) {
      if (const auto d = conn_->next_deadline()) now_ = std::max(now_, *d);
    }
    conn_->on_tick(now_);
    drain_events();
  }

  void local_disconnect() {
    const bool was_open = conn_->state() < spop::AgentState::closing;
    const auto status = static_cast<spop::Status>(in_.ConsumeIntegralInRange<std::uint32_t>(0, 14));
    conn_->submit_disconnect(status, in_.ConsumeRandomLengthString(300));
    if (was_open) {
      require(conn_->state() >= spop::AgentState::closing, "submit_disconnect did not close");
      expected_disconnect_ = status;
    }
  }

  // --- what went on the wire -------------------------------------------------------------------
  void write(std::size_t max) {
    const auto out = conn_->pending_output();
    require(conn_->wants_write() == !out.empty(), "wants_write vs pending output");
    const std::size_t n = std::min(max, out.size());
    wire_.insert(wire_.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    conn_->consume_output(n);
    check_wire();
  }

  void check_wire() {
    std::size_t pos = 0;
    while (pos < wire_.size()) {
      const std::uint32_t limit = agent_hello_size_ ? *agent_hello_size_ : our_limit_;
      spop::Frame f;
      std::size_t used = 0;
      const auto e = spop::split_frame(std::span<const std::byte>(wire_).subspan(pos), limit, f, used);
      if (e == spop::Errc::need_more) break;
      require(e == spop::Errc::ok, "agent output is not a valid frame within the frame size");
      require(!finished_, "output after AGENT-DISCONNECT or a health-check AGENT-HELLO");
      check_frame(f);
      pos += used;
    }
    wire_.erase(wire_.begin(), wire_.begin() + static_cast<std::ptrdiff_t>(pos));
  }

  void check_frame(const spop::Frame& f) {
    require(f.header.fin(), "agent frame without FIN");
    switch (f.header.type) {
      case spop::FrameType::agent_hello: {
        require(!agent_hello_size_, "second AGENT-HELLO");
        require(hello_event_.has_value(), "AGENT-HELLO without HelloEvent");
        require(f.header.stream_id == 0 && f.header.frame_id == 0, "AGENT-HELLO ids");
        spop::AgentHello h;
        require(spop::parse_agent_hello(f.payload, h) == spop::Errc::ok, "AGENT-HELLO parses");
        require(h.version && *h.version == spop::protocol_version, "AGENT-HELLO version");
        require(h.max_frame_size && *h.max_frame_size == hello_event_->max_frame_size, "AGENT-HELLO size");
        require(h.capabilities.value_or("") == hello_caps_, "AGENT-HELLO capabilities");
        agent_hello_size_ = static_cast<std::uint32_t>(*h.max_frame_size);
        if (hello_event_->healthcheck) finished_ = true;
        break;
      }
      case spop::FrameType::ack: {
        require(agent_hello_size_.has_value(), "ACK before AGENT-HELLO");
        const Ids ids{f.header.stream_id, f.header.frame_id};
        const auto it = std::find(unanswered_on_wire_.begin(), unanswered_on_wire_.end(), ids);
        require(it != unanswered_on_wire_.end(), "ACK for a NOTIFY not seen or already answered");
        unanswered_on_wire_.erase(it);
        require(!acks_.empty() && acks_.front().ids == ids, "ACKs leave in commit order");
        spop::AckContents got;
        spop::read_ack_actions(f.payload, got);
        require(got.stop_reason == spop::Errc::ok, "ACK reads to the end");
        const auto& want = acks_.front().actions;
        require(got.actions.size() == want.size(), "ACK action count");
        for (std::size_t i = 0; i < want.size(); ++i) {
          require(got.actions[i].type == want[i].type && got.actions[i].scope == want[i].scope &&
                      got.actions[i].name == want[i].name && got.actions[i].value == want[i].value,
                  "ACK action contents");
        }
        acks_.pop_front();
        break;
      }
      case spop::FrameType::agent_disconnect: {
        require(f.header.stream_id == 0 && f.header.frame_id == 0, "AGENT-DISCONNECT ids");
        spop::DisconnectInfo d;
        require(spop::parse_disconnect(f.payload, d) == spop::Errc::ok, "AGENT-DISCONNECT parses");
        require(d.status_code.has_value() && expected_disconnect_.has_value(), "AGENT-DISCONNECT status present");
        require(*d.status_code == static_cast<std::uint32_t>(*expected_disconnect_), "AGENT-DISCONNECT status");
        require(d.message.size() <= 255, "AGENT-DISCONNECT message length");
        finished_ = true;
        break;
      }
      default: require(false, "agent sent a frame type it must not send");
    }
  }

  FuzzedDataProvider& in_;
  bool auto_answer_ = false;
  bool draining_ = false;
  spop::AgentOptions opts_;
  std::uint32_t our_limit_ = 0;
  spop::Clock::time_point now_{};
  std::unique_ptr<spop::AgentConnection> conn_;
  std::vector<std::unique_ptr<ExternalAck>> external_;  // under construction, not yet committed
  bool paused_ = false;
  std::vector<std::byte> input_;
  std::vector<std::byte> wire_;
  fuzz::Storage storage_;
  std::optional<spop::HelloEvent> hello_event_;
  std::string hello_caps_;
  bool disconnect_event_ = false;
  std::size_t events_ = 0;
  std::vector<Ids> outstanding_;          // delivered, not yet committed
  std::vector<Ids> unanswered_on_wire_;   // delivered, ACK not yet seen on the wire
  std::deque<ExpectedAck> acks_;          // committed, not yet seen on the wire
  std::optional<spop::Status> expected_disconnect_;
  std::optional<std::uint32_t> agent_hello_size_;
  bool finished_ = false;
  std::size_t checksum_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // A real frame starts with LEN's high byte, 0: such inputs (captures) are replayed as a byte stream.
  const bool stream = size > 0 && data[0] == 0;
  Session session(in, stream);
  if (stream) {
    session.run_stream({reinterpret_cast<const std::byte*>(data), size});
  } else {
    session.run();
  }
  return 0;
}
