#include "tests/lua/waiting_calls.hpp"

#include <stdexcept>

#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"

namespace spoa::lua::test {

struct WaitingCalls::Pending final : PendingCall {
  Pending(boost::asio::io_context& io, std::string_view name, std::uint64_t stream,
          std::chrono::steady_clock::time_point until)
      : loop_(io), message(name), deadline_(until), builder(ack.frame, stream, 1, spop::default_max_frame_size) {}

  boost::asio::io_context* thread_loop() noexcept override { return &loop_; }
  std::chrono::steady_clock::time_point deadline() const noexcept override { return deadline_; }
  void finish(CallResult result) noexcept override {
    if (!waiting || result.kind == CallResult::Kind::pending || cancel != nullptr) {
      misused = true;  // finish() for a call that did not wait, twice, without an outcome, or with its hook set
      return;
    }
    waiting = false;
    done(std::move(result));
  }
  void done(CallResult result) {
    ack.result = std::move(result);
    ack.actions = builder.action_count();
    builder.finish();
    over = true;
  }

  boost::asio::io_context& loop_;
  std::string message;
  std::chrono::steady_clock::time_point deadline_;
  Ack ack;
  spop::AckBuilder builder;
  bool waiting = false;
  bool misused = false;
  bool over = false;
};

WaitingCalls::WaitingCalls(Engine& engine, std::chrono::milliseconds budget)
    : engine_(engine), budget_(budget), loop_(&own_loop_) {}

WaitingCalls::WaitingCalls(Engine& engine, boost::asio::io_context& loop, std::chrono::milliseconds budget)
    : engine_(engine), budget_(budget), loop_(&loop) {}

WaitingCalls::~WaitingCalls() = default;

std::size_t WaitingCalls::start(std::string_view message, std::span<const spop::Argument> args, std::uint64_t stream) {
  const auto now = std::chrono::steady_clock::now();
  const auto until = budget_.count() > 0 ? now + budget_ : std::chrono::steady_clock::time_point::max();
  calls_.push_back(std::make_unique<Pending>(*loop_, message, stream, until));
  Pending& p = *calls_.back();
  const CallInfo info{p.message, stream, 1, &p};
  CallResult r = engine_.call(info, args, p.builder);
  if (r.kind == CallResult::Kind::pending) {
    if (p.cancel == nullptr) throw std::logic_error("pending without a cancellation hook");
    ++suspended_;
    p.waiting = true;
  } else {
    p.done(std::move(r));
  }
  return calls_.size() - 1;
}

bool WaitingCalls::run_until(const std::function<bool()>& done) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  loop_->restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    loop_->run_one_for(std::chrono::milliseconds(50));
    loop_->restart();
  }
  return true;
}

bool WaitingCalls::run() {
  return run_until([this] {
    for (const auto& c : calls_) {
      if (!c->over) return false;
    }
    return true;
  });
}

bool WaitingCalls::finished(std::size_t call) const { return calls_.at(call)->over; }

const Ack& WaitingCalls::ack(std::size_t call) const {
  if (!finished(call)) throw std::logic_error("call " + std::to_string(call) + " has not finished");
  if (calls_.at(call)->misused) throw std::logic_error("call " + std::to_string(call) + ": PendingCall::finish() misused");
  return calls_.at(call)->ack;
}

std::vector<std::string> WaitingCalls::vars(std::size_t call) const {
  const auto& frame = ack(call).frame;
  spop::Frame parsed;
  std::vector<std::string> out;
  if (spop::decode_frame(std::span<const std::byte>(frame).subspan(spop::frame_length_prefix), parsed) != spop::Errc::ok) {
    throw std::logic_error("the ACK does not decode");
  }
  spop::AckContents contents;
  spop::read_ack_actions(parsed.payload, contents);
  for (const auto& a : contents.actions) {
    std::string text(a.name);
    text += '=';
    const spop::Value& v = a.value;
    if (v.is_null()) {
      text += "nil";
    } else if (v.is_integer()) {
      text += std::to_string(v.as_int64());
    } else if (v.type() == spop::DataType::boolean) {
      text += v.as_bool() ? "true" : "false";
    } else {
      text += v.as_bytes();
    }
    out.push_back(std::move(text));
  }
  return out;
}

bool WaitingCalls::waiting(std::size_t call) const { return calls_.at(call)->waiting; }

void WaitingCalls::cancel(std::size_t call, CallResult::Kind why) {
  Pending& p = *calls_.at(call);
  if (!p.waiting) throw std::logic_error("cancel() of a call that does not wait");
  p.cancel(p.cancel_context, why);
}

}  // namespace spoa::lua::test
