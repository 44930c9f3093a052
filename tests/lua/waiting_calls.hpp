// Handler calls that may wait, driven by a test: each call gets a PendingCall over an event loop that
// the test runs (as an executor thread runs its own), so handlers that sleep or use sockets suspend and
// resume as in the agent, and the test sees every call's ACK and outcome.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/engines/engine.hpp"
#include "spop/ack_builder.hpp"
#include "tests/lua/lua_test_support.hpp"

namespace spoa::lua::test {

class WaitingCalls {
 public:
  /// Calls of `engine`, each with `budget` (0: none) counted from its start, its waits included.
  explicit WaitingCalls(Engine& engine, std::chrono::milliseconds budget = std::chrono::milliseconds(0));
  /// The same on `loop` (which the test also uses, e.g. for a peer).
  WaitingCalls(Engine& engine, boost::asio::io_context& loop, std::chrono::milliseconds budget = std::chrono::milliseconds(0));
  ~WaitingCalls();
  WaitingCalls(const WaitingCalls&) = delete;
  WaitingCalls& operator=(const WaitingCalls&) = delete;

  /// Starts `message` with stream-id `stream`; returns the call's index. A call that does not wait is
  /// finished when this returns.
  std::size_t start(std::string_view message, std::span<const spop::Argument> args = {}, std::uint64_t stream = 1);
  /// Runs the loop until every call started so far finished; false after the hang guard (10 s).
  bool run();
  /// Runs the loop until `done` holds; false after the hang guard.
  bool run_until(const std::function<bool()>& done);

  bool finished(std::size_t call) const;
  /// The outcome and the finished ACK of a finished call.
  const Ack& ack(std::size_t call) const;
  /// The variables a finished call's ACK sets, in order, as "name=value" (strings as they are, integers
  /// in decimal, booleans as true/false, NULL as nil).
  std::vector<std::string> vars(std::size_t call) const;
  /// Still waiting (CallResult::Kind::pending returned and not finished yet).
  bool waiting(std::size_t call) const;
  /// Cancels a waiting call, as the executor does when its connection closes.
  void cancel(std::size_t call, CallResult::Kind why = CallResult::Kind::cancelled);
  /// How many times the engine returned pending (calls that waited at all).
  std::size_t suspended_count() const noexcept { return suspended_; }

  boost::asio::io_context& loop() noexcept { return *loop_; }

 private:
  struct Pending;
  Engine& engine_;
  std::chrono::milliseconds budget_;
  boost::asio::io_context own_loop_;
  boost::asio::io_context* loop_;
  std::vector<std::unique_ptr<Pending>> calls_;
  std::size_t suspended_ = 0;
};

}  // namespace spoa::lua::test
