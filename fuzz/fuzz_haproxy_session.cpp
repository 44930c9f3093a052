// Fuzz target: a whole HAProxy-side session (spop::HaproxyConnection, 2.6 or 3.1 profile) fed with agent
// replies. The input drives steps: agent bytes (raw, or generated AGENT-HELLO / ACK / AGENT-DISCONNECT
// frames with fuzzed fields, ACKs mostly for waiting NOTIFYs) fed in random chunks, NOTIFYs sent,
// NOTIFYs cancelled, partial writes, clock ticks and local disconnects. An input starting with a 0
// byte (LEN's high byte of a real frame) is a raw agent byte stream instead (captures are seeds): the
// harness then sends NOTIFYs whenever it may and feeds the stream in growing chunks.
// Invariants:
// * an AckEvent comes from an ACK frame (FIN set, LEN within the negotiated size) that was consumed,
//   whose ids were waiting (sent, not answered, not cancelled); its actions are exactly what the ACK
//   reader reads from that frame; only then are they applied to the variable store, under names
//   "<scope>.<prefix>.<name>" of at most 63 characters;
// * a ConnectedEvent comes from a consumed AGENT-HELLO (FIN, ids 0) with version 2.0 and a size in
//   [256, ours] (absent only on 3.1), and reports that size;
// * nothing is delivered after a ProtocolErrorEvent or AgentDisconnectedEvent; their statuses are
//   the ones the agent can cause (6 only on 2.6), and the HAPROXY-DISCONNECT written carries the
//   reported status;
// * the output is HAPROXY-HELLO first, then NOTIFY/UNSET frames within the negotiated size, then at
//   most one HAPROXY-DISCONNECT and nothing after it.
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

#include "fuzz/fuzz_support.hpp"
#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"
#include "spop/haproxy_connection.hpp"
#include "spop/notify.hpp"

namespace {

using fuzz::require;

class Session {
 public:
  Session(FuzzedDataProvider& in, bool stream) : in_(in) {
    if (!stream) {
      static constexpr std::uint32_t sizes[] = {0, 256, 300, 1024, 16380, 65536};
      opts_.profile = in.ConsumeBool() ? spop::HaproxyProfile::v3_1 : spop::HaproxyProfile::v2_6;
      opts_.max_frame_size = in.ConsumeBool() ? in.PickValueInArray(sizes) : in.ConsumeIntegralInRange<std::uint32_t>(0, 70000);
      if (in.ConsumeBool()) opts_.pipelining = in.ConsumeBool();
      if (in.ConsumeBool()) opts_.async = in.ConsumeBool();
      opts_.healthcheck = in.ConsumeIntegralInRange<int>(0, 7) == 0;
      opts_.engine_id = in.ConsumeBool() ? spop::make_engine_id(in.ConsumeIntegral<std::uint64_t>()) : "";
      opts_.max_in_flight = in.ConsumeIntegralInRange<std::size_t>(0, 6);
      opts_.var_prefix = in.ConsumeBool() ? std::string("spoe") : in.ConsumeRandomLengthString(70);
      opts_.hello_timeout = std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 50));
      opts_.idle_timeout = std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 50));
    }
    our_limit_ = std::max(opts_.max_frame_size, spop::min_max_frame_size);
    conn_ = std::make_unique<spop::HaproxyConnection>(opts_, now_);
  }

  void run_stream(std::span<const std::byte> bytes) {
    input_.assign(bytes.begin(), bytes.end());
    std::size_t chunk = 1;
    while (!input_.empty()) {
      while (conn_->can_send()) send(false);
      write(SIZE_MAX);
      const std::size_t before = input_.size();
      feed(chunk);
      if (input_.size() == before && (chunk >= before || !conn_->wants_read())) break;
      chunk = std::min<std::size_t>(chunk * 3 + 1, 1u << 24);
    }
    finish();
  }

  void run() {
    while (in_.remaining_bytes() > 0) {
      switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
        case 0: case 1: case 2: generate_input(); break;
        case 3: case 4: feed(in_.ConsumeIntegralInRange<std::size_t>(0, 4096)); break;
        case 5: send(true); break;
        case 6: write(in_.ConsumeIntegralInRange<std::size_t>(0, 600)); break;
        case 7: tick(); break;
        case 8: cancel_or_disconnect(); break;
        default: send(true); write(SIZE_MAX); break;
      }
    }
    feed(SIZE_MAX);
    finish();
  }

 private:
  void finish() {
    write(SIZE_MAX);
    // close() drops unsent bytes: only a closed connection may leave a partial frame behind.
    if (conn_->state() != spop::HaproxyState::closed) require(wire_.empty(), "output ends in a partial frame");
  }

  // --- the agent's side ------------------------------------------------------------------------
  std::pair<std::uint64_t, std::uint64_t> pick_ids() {
    if (!waiting_.empty() && in_.ConsumeIntegralInRange<int>(0, 5) != 0) {
      const auto& w = waiting_[in_.ConsumeIntegralInRange<std::size_t>(0, waiting_.size() - 1)];
      return {w.stream_id, w.frame_id};
    }
    return {fuzz::random_id(in_), fuzz::random_id(in_)};
  }

  void generate_input() {
    switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {
        const auto raw = in_.ConsumeRandomLengthString(200);
        const auto b = fuzz::as_bytes(raw);
        input_.insert(input_.end(), b.begin(), b.end());
        break;
      }
      case 1: fuzz::append_kv_frame(in_, input_, spop::FrameType::agent_hello, spop::frame_flags::fin); break;
      case 2: {
        static constexpr std::string_view versions[] = {"2.0", "2.1", "1.0", " 2.0", "x"};
        static constexpr std::string_view caps[] = {"pipelining,async", "pipelining", "async", "",
                                                     "fragmentation", "pipelining,fragmentation"};
        (void)spop::write_agent_hello(input_, in_.PickValueInArray(versions),
                                      in_.ConsumeIntegralInRange<std::uint32_t>(200, 70000), in_.PickValueInArray(caps),
                                      1u << 20);
        break;
      }
      case 3: case 4: case 5: case 6: ack(); break;
      case 7: fuzz::append_kv_frame(in_, input_, spop::FrameType::agent_disconnect, spop::frame_flags::fin); break;
      case 8: {
        const auto [sid, fid] = pick_ids();
        fuzz::append_raw_frame(in_, input_, spop::FrameType::ack, in_.ConsumeIntegral<std::uint32_t>(), sid, fid);
        break;
      }
      default: {
        const auto type = static_cast<spop::FrameType>(in_.ConsumeIntegral<std::uint8_t>());
        const auto [sid, fid] = pick_ids();
        fuzz::append_raw_frame(in_, input_, type, in_.ConsumeIntegral<std::uint32_t>(), sid, fid);
        break;
      }
    }
  }

  void ack() {
    const auto [sid, fid] = pick_ids();
    const std::size_t start = input_.size();
    {
      spop::AckBuilder b(input_, sid, fid, 1u << 20);
      const int actions = in_.ConsumeIntegralInRange<int>(0, 8);
      for (int i = 0; i < actions; ++i) {
        const auto scope = static_cast<spop::Scope>(in_.ConsumeIntegralInRange<int>(0, 4));
        const auto name = fuzz::keep(storage_, in_.ConsumeRandomLengthString(80));
        if (in_.ConsumeBool()) {
          (void)b.set_var(scope, name, fuzz::random_value(in_, storage_, 300));
        } else {
          (void)b.unset_var(scope, name);
        }
      }
      b.finish();
    }
    // Sometimes damage it: clear FIN, or append junk (a bad action) to the payload.
    switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: input_[start + 8] &= std::byte{0xFE}; break;
      case 1: {
        const auto junk = in_.ConsumeRandomLengthString(8);
        const auto b = fuzz::as_bytes(junk);
        input_.insert(input_.end(), b.begin(), b.end());
        const auto len = static_cast<std::uint32_t>(input_.size() - start - spop::frame_length_prefix);
        for (int i = 0; i < 4; ++i) input_[start + static_cast<std::size_t>(i)] = static_cast<std::byte>(len >> (24 - 8 * i));
        break;
      }
      default: break;
    }
  }

  void feed(std::size_t max) {
    const std::size_t chunk = std::min(input_.size(), max);
    const bool was_readable = conn_->wants_read();
    const std::size_t used = conn_->feed(std::span<const std::byte>(input_).first(chunk), now_);
    require(used <= chunk, "feed used more than given");
    if (!was_readable) require(used == chunk, "an unreadable connection swallows input");
    // Frames consumed by this feed(), in order, to match the events against. After a bad LEN or
    // header everything is reported used: stop at the first frame that does not split.
    consumed_.clear();
    std::size_t pos = 0;
    while (was_readable && pos < used) {
      spop::Frame f;
      std::size_t n = 0;
      if (spop::split_frame(std::span<const std::byte>(input_).subspan(pos, used - pos), UINT32_MAX, f, n) !=
          spop::Errc::ok) {
        break;
      }
      consumed_.push_back(f);
      pos += n;
    }
    next_frame_ = 0;
    drain_events();  // views point into input_
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(used));
  }

  /// The next consumed frame of `type` (FIN set) with these ids, skipping the others.
  const spop::Frame* find_frame(spop::FrameType type, std::uint64_t sid, std::uint64_t fid) {
    while (next_frame_ < consumed_.size()) {
      const spop::Frame& f = consumed_[next_frame_++];
      if (f.header.type == type && f.header.fin() && f.header.stream_id == sid && f.header.frame_id == fid) return &f;
    }
    return nullptr;
  }

  void drain_events() {
    while (auto ev = conn_->next_event()) {
      require(!closed_by_agent_, "event after AgentDisconnectedEvent");
      // After HAProxy gave up it still reads the agent's AGENT-DISCONNECT, nothing else.
      require(!ended_ || std::holds_alternative<spop::AgentDisconnectedEvent>(*ev), "event after the session ended");
      if (auto* c = std::get_if<spop::ConnectedEvent>(&*ev)) on_connected(*c);
      else if (auto* a = std::get_if<spop::AckEvent>(&*ev)) on_ack(*a);
      else if (auto* d = std::get_if<spop::AgentDisconnectedEvent>(&*ev)) {
        require(std::any_of(consumed_.begin(), consumed_.end(),
                            [](const spop::Frame& f) { return f.header.type == spop::FrameType::agent_disconnect; }),
                "AgentDisconnectedEvent without AGENT-DISCONNECT");
        require(conn_->state() == spop::HaproxyState::closed, "agent disconnect closes");
        (void)d;
        ended_ = closed_by_agent_ = true;
      } else if (auto* p = std::get_if<spop::ProtocolErrorEvent>(&*ev)) {
        on_protocol_error(*p);
      }
    }
    sync_waiting();
  }

  void on_connected(const spop::ConnectedEvent& c) {
    require(!connected_, "second ConnectedEvent");
    const spop::Frame* f = find_frame(spop::FrameType::agent_hello, 0, 0);
    require(f != nullptr, "ConnectedEvent without a consumed AGENT-HELLO");
    spop::AgentHello h;
    require(spop::parse_agent_hello(f->payload, h) == spop::Errc::ok, "accepted AGENT-HELLO parses");
    require(h.version && spop::parse_version(*h.version) == 2000, "accepted AGENT-HELLO says 2.0");
    if (h.max_frame_size) {
      require(*h.max_frame_size >= spop::min_max_frame_size && *h.max_frame_size <= our_limit_, "accepted size range");
      require(c.max_frame_size == *h.max_frame_size, "ConnectedEvent size is the agent's");
    } else {
      require(opts_.profile == spop::HaproxyProfile::v3_1 && c.max_frame_size == our_limit_, "size absent only on 3.1");
    }
    require(c.healthcheck == opts_.healthcheck, "healthcheck flag");
    if (opts_.profile == spop::HaproxyProfile::v3_1) require(!c.async && !c.fragmentation, "3.1 has no async/fragmentation");
    connected_ = true;
    negotiated_ = c.max_frame_size;
  }

  void on_ack(const spop::AckEvent& a) {
    require(connected_ && !opts_.healthcheck, "AckEvent before the handshake");
    const auto it = std::find(waiting_.begin(), waiting_.end(), spop::NotifyIds{a.stream_id, a.frame_id});
    require(it != waiting_.end(), "AckEvent for a NOTIFY not waiting");
    waiting_.erase(it);
    const spop::Frame* f = find_frame(spop::FrameType::ack, a.stream_id, a.frame_id);
    require(f != nullptr, "AckEvent without a consumed ACK frame with FIN");
    if (opts_.profile == spop::HaproxyProfile::v2_6) {
      require(f->length <= negotiated_, "ACK above the negotiated size applied");
    } else {
      require(f->payload.size() <= negotiated_, "ACK payload above the negotiated size applied");
    }
    spop::AckContents want;
    spop::read_ack_actions(f->payload, want);
    require(a.stop_reason == want.stop_reason && a.stop_offset == want.stop_offset, "ACK stop point");
    require(a.actions.size() == want.actions.size(), "ACK actions: only those before the first bad one");
    for (std::size_t i = 0; i < want.actions.size(); ++i) {
      const auto& got = a.actions[i];
      require(got.type == want.actions[i].type && got.scope == want.actions[i].scope &&
                  got.name == want.actions[i].name && got.value == want.actions[i].value,
              "ACK action contents");
      require(got.variable == spop::variable_name(got.scope, opts_.var_prefix, got.name), "variable name");
      require(got.variable.size() <= 63, "variable name length");
    }
    spop::apply_actions(a.actions, store_, in_.ConsumeBool());
    for (const auto& [name, value] : store_) require(name.size() <= 63, "stored variable name length");
  }

  void on_protocol_error(const spop::ProtocolErrorEvent& p) {
    static constexpr spop::Status agent_caused[] = {
        spop::Status::timeout, spop::Status::frame_too_big, spop::Status::invalid_frame,
        spop::Status::no_version, spop::Status::no_max_frame_size, spop::Status::unsupported_version,
        spop::Status::bad_max_frame_size, spop::Status::fragmentation_not_supported,
        spop::Status::frame_id_not_found};
    require(std::find(std::begin(agent_caused), std::end(agent_caused), p.status) != std::end(agent_caused),
            "ProtocolErrorEvent status the agent cannot cause");
    if (p.status == spop::Status::no_max_frame_size) require(opts_.profile == spop::HaproxyProfile::v2_6, "status 6 on 3.1");
    require(!p.detail.empty(), "ProtocolErrorEvent without detail");
    require(p.disconnect_sent == !opts_.healthcheck || p.status == spop::Status::timeout, "disconnect_sent");
    if (p.disconnect_sent && !expected_disconnect_) expected_disconnect_ = p.status;
    ended_ = true;
  }

  // --- HAProxy's side --------------------------------------------------------------------------
  void sync_waiting() {
    if (conn_->state() != spop::HaproxyState::running) waiting_.clear();
    require(conn_->in_flight() == waiting_.size(), "in_flight vs NOTIFYs waiting");
  }

  void send(bool fuzzed) {
    std::vector<spop::Argument> args;
    std::vector<spop::NotifyMessage> messages;
    fuzz::Storage storage;
    std::vector<std::vector<spop::Argument>> all_args;
    const int count = fuzzed ? in_.ConsumeIntegralInRange<int>(0, 3) : 1;
    all_args.resize(static_cast<std::size_t>(count));
    for (auto& margs : all_args) {
      const int nargs = fuzzed ? in_.ConsumeIntegralInRange<int>(0, 5) : 1;
      for (int i = 0; i < nargs; ++i) {
        margs.push_back({fuzz::keep(storage, fuzzed ? in_.ConsumeRandomLengthString(10) : "ip"),
                         fuzzed ? fuzz::random_value(in_, storage, 2000) : spop::Value::ipv4({{127, 0, 0, 1}})});
      }
      messages.push_back({fuzz::keep(storage, fuzzed ? in_.ConsumeRandomLengthString(20) : "check-client-ip"), margs});
    }
    const bool could = conn_->can_send();
    std::error_code ec;
    spop::NotifyIds ids;
    if (fuzzed && in_.ConsumeBool()) {
      ids = {fuzz::random_id(in_), fuzz::random_id(in_)};
      ec = conn_->send_notify_with_ids(ids, messages, now_);
    } else {
      ec = conn_->send_notify(messages, now_, ids);
    }
    if (!could) require(static_cast<bool>(ec), "send_notify while it may not send");
    if (!ec) {
      require(std::find(waiting_.begin(), waiting_.end(), ids) == waiting_.end(), "duplicate ids accepted");
      if (opts_.profile == spop::HaproxyProfile::v3_1 && !fuzzed) require(ids.stream_id % 2 == 1 && ids.frame_id == 1, "3.1 ids");
      waiting_.push_back(ids);
    }
    drain_events();
  }

  void cancel_or_disconnect() {
    if (in_.ConsumeIntegralInRange<int>(0, 7) != 0) {
      const auto [sid, fid] = pick_ids();
      const auto it = std::find(waiting_.begin(), waiting_.end(), spop::NotifyIds{sid, fid});
      require(conn_->cancel_notify({sid, fid}) == (it != waiting_.end()), "cancel_notify result");
      if (it != waiting_.end()) waiting_.erase(it);
    } else {
      const bool can = !opts_.healthcheck && (conn_->state() == spop::HaproxyState::running ||
                                              conn_->state() == spop::HaproxyState::hello_sent);
      const auto status = static_cast<spop::Status>(in_.ConsumeIntegralInRange<std::uint32_t>(0, 14));
      conn_->submit_disconnect(status, in_.ConsumeRandomLengthString(300), now_);
      if (can) {
        require(conn_->state() == spop::HaproxyState::disconnecting, "submit_disconnect state");
        if (!expected_disconnect_) expected_disconnect_ = status;
      }
    }
    sync_waiting();
  }

  void tick() {
    now_ += std::chrono::milliseconds(in_.ConsumeIntegralInRange<int>(0, 60));
    if (in_.ConsumeBool()) {
      if (const auto d = conn_->next_deadline()) now_ = std::max(now_, *d);
    }
    conn_->on_tick(now_);
    drain_events();
  }

  // --- what HAProxy wrote ----------------------------------------------------------------------
  void write(std::size_t max) {
    const auto out = conn_->pending_output();
    require(conn_->wants_write() == !out.empty(), "wants_write vs pending output");
    const std::size_t n = std::min(max, out.size());
    wire_.insert(wire_.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    conn_->consume_output(n);
    std::size_t pos = 0;
    while (pos < wire_.size()) {
      spop::Frame f;
      std::size_t used = 0;
      const auto e = spop::split_frame(std::span<const std::byte>(wire_).subspan(pos), our_limit_, f, used);
      if (e == spop::Errc::need_more) break;
      require(e == spop::Errc::ok, "HAProxy output is not a valid frame within its size");
      check_output_frame(f);
      pos += used;
    }
    wire_.erase(wire_.begin(), wire_.begin() + static_cast<std::ptrdiff_t>(pos));
  }

  void check_output_frame(const spop::Frame& f) {
    require(!disconnect_written_, "output after HAPROXY-DISCONNECT");
    if (!hello_written_) {
      require(f.header.type == spop::FrameType::haproxy_hello, "first frame is HAPROXY-HELLO");
      spop::HaproxyHello h;
      require(spop::parse_haproxy_hello(f.payload, h) == spop::Errc::ok, "HAPROXY-HELLO parses");
      require(h.supported_versions && spop::supports_version_2_0(*h.supported_versions), "HELLO offers 2.0");
      require(h.max_frame_size == our_limit_, "HELLO size");
      require(h.healthcheck == opts_.healthcheck, "HELLO healthcheck");
      hello_written_ = true;
      return;
    }
    switch (f.header.type) {
      case spop::FrameType::notify:
      case spop::FrameType::unset: {
        require(negotiated_ != 0 && f.length <= negotiated_, "NOTIFY within the negotiated size");
        if (f.header.type == spop::FrameType::unset) require(fragmenting_, "UNSET outside a fragmented NOTIFY");
        fragmenting_ = !f.header.fin();
        if (!fragmenting_ && f.header.type == spop::FrameType::notify) {
          spop::NotifyView v;
          require(spop::NotifyView::parse(f.payload, v) == spop::Errc::ok, "NOTIFY parses");
        }
        break;
      }
      case spop::FrameType::haproxy_disconnect: {
        spop::DisconnectInfo d;
        require(spop::parse_disconnect(f.payload, d) == spop::Errc::ok, "HAPROXY-DISCONNECT parses");
        require(expected_disconnect_ && d.status_code == static_cast<std::uint64_t>(*expected_disconnect_),
                "HAPROXY-DISCONNECT carries the reported status");
        disconnect_written_ = true;
        break;
      }
      default: require(false, "HAProxy wrote a frame type it never sends");
    }
  }

  FuzzedDataProvider& in_;
  spop::HaproxyOptions opts_;
  std::uint32_t our_limit_ = 0;
  spop::Clock::time_point now_{};
  std::unique_ptr<spop::HaproxyConnection> conn_;
  std::vector<std::byte> input_;
  std::vector<spop::Frame> consumed_;
  std::size_t next_frame_ = 0;
  std::vector<std::byte> wire_;
  fuzz::Storage storage_;
  std::vector<spop::NotifyIds> waiting_;
  spop::VariableStore store_;
  bool connected_ = false;
  std::uint32_t negotiated_ = 0;
  bool ended_ = false;
  bool closed_by_agent_ = false;
  std::optional<spop::Status> expected_disconnect_;
  bool hello_written_ = false;
  bool disconnect_written_ = false;
  bool fragmenting_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool stream = size > 0 && data[0] == 0;
  Session session(in, stream);
  if (stream) {
    session.run_stream({reinterpret_cast<const std::byte*>(data), size});
  } else {
    session.run();
  }
  return 0;
}
