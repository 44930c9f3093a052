// Shared body of the lua_engine and python_engine fuzz targets: a NOTIFY with random messages and
// arguments goes through a real engine running fuzz/scripts/fuzz_engine.<lang> (which touches every
// argument and calls every setter with values taken from them), as the agent would run it.
// Invariants: the ACK is always valid: it splits as one frame within the negotiated frame size, the
// ACK reader reads it to the end, and it holds exactly the actions the builder counted; the
// handlers end as the script says ("touch" catches every setter error, "error" always raises).
// Calls run as the executor runs them (with a PendingCall over an event loop): a script that registers
// "sleep" (Lua) has a handler that waits on the loop, through its own coroutines too; the input decides
// whether such a call is cancelled while it waits (as when its connection closes), and a cancelled
// call must end as cancelled with a valid ACK.
// An input starting with a 0 byte is a NOTIFY frame as captured (seeds), run with the default size.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "agent/engines/engine.hpp"
#include "fuzz/fuzz_support.hpp"
#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"
#include "spop/notify.hpp"

namespace fuzz {

class EngineHarness {
 public:
  explicit EngineHarness(std::unique_ptr<spoa::Engine> engine, const std::string& script) : engine_(std::move(engine)) {
    engine_->load(script);
    engine_->prepare();
    for (const auto& r : engine_->registrations()) registered_.insert(r.message);
    require(registered_.count("touch") == 1 && registered_.count("raw") == 1 && registered_.count("error") == 1,
            "the fuzz script registers touch, raw and error");
    // The messages a NOTIFY picks from; a script's further messages (Python: coroutine twins such as
    // "atouch") come after, so that the same input picks the same message in every language.
    names_ = {"touch", "touch", "raw", "error", "unknown"};
    for (const auto& name : registered_) {
      if (name != "touch" && name != "raw" && name != "error") names_.push_back(name);
    }
  }

  void run(const std::uint8_t* data, std::size_t size) {
    std::vector<std::byte> notify;
    std::uint32_t frame_size = spop::default_max_frame_size;
    std::uint32_t cancel_mask = 0;  // bit i: cancel message i if it waits
    if (size > 0 && data[0] == 0) {
      notify.assign(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
      cancel_mask = size > 1 ? data[size - 1] : 0;
    } else {
      FuzzedDataProvider in(data, size);
      frame_size = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint32_t>(spop::min_max_frame_size, 2000)
                                    : spop::default_max_frame_size;
      cancel_mask = in.ConsumeIntegral<std::uint8_t>();
      build_notify(in, notify);
    }
    spop::Frame f;
    std::size_t used = 0;
    if (spop::split_frame(notify, 1u << 24, f, used) != spop::Errc::ok) return;
    spop::NotifyView view;
    if (spop::NotifyView::parse(f.payload, view) != spop::Errc::ok) return;

    std::vector<std::byte> out;
    spop::AckBuilder ack(out, f.header.stream_id, f.header.frame_id, frame_size);
    std::vector<spop::Argument> args;
    unsigned index = 0;
    for (const auto& m : view) {
      if (registered_.count(std::string(m.name())) == 0) continue;  // the agent ignores unknown messages
      m.arguments(args);
      const spoa::CallInfo info{m.name(), f.header.stream_id, f.header.frame_id};
      const bool cancel = ((cancel_mask >> (index++ % 8)) & 1) != 0;
      const spoa::CallResult r = run_call(info, args, ack, cancel);
      using Kind = spoa::CallResult::Kind;
      // "error" and "aerror" always raise; "touch" and "atouch" catch every setter error.
      if (m.name().ends_with("error")) require(r.kind == Kind::script_error || r.kind == Kind::timeout, "error handler must fail");
      if (m.name().ends_with("touch")) require(r.kind == Kind::ok || r.kind == Kind::timeout, "touch catches every error");
      if (m.name() == "sleep") {
        require(r.kind == (cancel ? Kind::cancelled : Kind::ok) || r.kind == Kind::timeout,
                "sleep waits, and ends cancelled only when cancelled");
      }
      if (r.kind == Kind::script_error) require(!r.detail.empty(), "script error without detail");
      require(ack.frame_length() <= frame_size, "ACK above the frame size while building");
    }
    const std::size_t actions = ack.action_count();
    ack.finish();
    spop::Frame got;
    require(spop::split_frame(out, frame_size, got, used) == spop::Errc::ok && used == out.size(),
            "ACK is one frame within the frame size");
    require(got.header.type == spop::FrameType::ack && got.header.fin(), "ACK header");
    spop::AckContents contents;
    spop::read_ack_actions(got.payload, contents);
    require(contents.stop_reason == spop::Errc::ok, "the ACK reader reads the whole ACK");
    require(contents.actions.size() == actions, "ACK holds the actions counted");
  }

 private:
  /// The executor's side of a call that may wait: an event loop of its own, run until the call ends.
  struct LoopPending final : spoa::PendingCall {
    explicit LoopPending(boost::asio::io_context& io) : io_(io) {}
    boost::asio::io_context* thread_loop() noexcept override { return &io_; }
    void finish(spoa::CallResult r) noexcept override {
      require(!result.has_value(), "finish() once");
      require(r.kind != spoa::CallResult::Kind::pending, "finish() with an outcome");
      require(cancel == nullptr, "the cancellation hook is cleared before finish()");
      result = std::move(r);
    }
    boost::asio::io_context& io_;
    std::optional<spoa::CallResult> result;
  };

  spoa::CallResult run_call(const spoa::CallInfo& info, std::span<const spop::Argument> args, spop::AckBuilder& ack,
                            bool cancel) {
    LoopPending pending(loop_);
    spoa::CallInfo waiting = info;
    waiting.pending = &pending;
    spoa::CallResult r = engine_->call(waiting, args, ack);
    if (r.kind != spoa::CallResult::Kind::pending) return r;
    require(pending.cancel != nullptr, "a waiting call has a cancellation hook");
    if (cancel) pending.cancel(pending.cancel_context, spoa::CallResult::Kind::cancelled);
    loop_.restart();
    while (!pending.result) {
      require(loop_.run_one() > 0, "a waiting call always has something on its loop");
    }
    return std::move(*pending.result);
  }

  void build_notify(FuzzedDataProvider& in, std::vector<std::byte>& out) const {
    Storage storage;
    spop::NotifyBuilder b(out, in.ConsumeIntegral<std::uint32_t>(), in.ConsumeIntegral<std::uint32_t>(), 1u << 24);
    const int messages = in.ConsumeIntegralInRange<int>(1, 3);
    std::vector<spop::Argument> args;
    for (int i = 0; i < messages; ++i) {
      args.clear();
      const int nargs = in.ConsumeIntegralInRange<int>(0, 8);
      for (int a = 0; a < nargs; ++a) {
        args.push_back({keep(storage, in.ConsumeRandomLengthString(24)), random_value(in, storage, 3000)});
      }
      (void)b.add_message(names_[in.ConsumeIntegralInRange<std::size_t>(0, names_.size() - 1)], args);
    }
    b.finish();
  }

  boost::asio::io_context loop_;  // before the engine: its waits' timers outlive nothing they need
  std::unique_ptr<spoa::Engine> engine_;
  std::set<std::string> registered_;
  std::vector<std::string> names_;
};

}  // namespace fuzz
