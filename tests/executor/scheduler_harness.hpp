// A CallScheduler driven by a test: an event loop on the test thread, an owner that records every ACK,
// scripts written to a scratch directory, and FIFO "gates" that hold a handler in a blocking C call
// until the test opens them (no sleeps, no timing).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/executor/call_scheduler.hpp"

namespace spoa::exec::test {

/// One ACK as the owner received it: its stream-id and its SET-VAR names and integer values.
struct Answer {
  std::uint64_t stream = 0;
  std::vector<std::pair<std::string, std::int64_t>> vars;
};

class RecordingOwner final : public CallOwner {
 public:
  void call_answered(Call& call) override;
  void owner_flush() override { ++flushes; }
  std::vector<Answer> answers;
  int flushes = 0;
};

class SchedulerHarness {
 public:
  explicit SchedulerHarness(SchedulerSettings settings = {});
  ~SchedulerHarness();

  /// Writes `text` to `<scratch>/<name>` and returns the path.
  std::filesystem::path script(const std::string& name, const std::string& text);
  /// Loads `files` (with `threads` executor threads) and installs them.
  void install(const std::vector<std::filesystem::path>& files);
  /// A NOTIFY of stream `stream` (frame 1) with these messages (no arguments), submitted; false if
  /// no message has a handler. `hand_over` false: left for a later scheduler().flush(), as the calls
  /// of one read are.
  bool submit(std::uint64_t stream, const std::vector<std::string>& messages, RecordingOwner& owner,
              const std::vector<spop::Argument>& args = {}, bool hand_over = true);
  /// Runs the event loop (ticking the scheduler every 10 ms) until `done` holds; false after the hang guard.
  bool run_until(const std::function<bool()>& done);

  /// A FIFO that a handler opens and reads (blocking in C) until release() writes a line to it.
  std::filesystem::path gate(const std::string& name);
  void release(const std::filesystem::path& gate);

  CallScheduler& scheduler() { return *scheduler_; }
  EngineOptions options;

 private:
  boost::asio::io_context io_;
  SchedulerSettings settings_;
  std::unique_ptr<CallScheduler> scheduler_;
  std::filesystem::path dir_;
  std::vector<std::vector<std::byte>> payloads_;
};

}  // namespace spoa::exec::test
