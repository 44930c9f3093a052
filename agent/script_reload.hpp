// Reloading a worker's scripts (SIGHUP) without losing or mixing a call: a complete new script set is
// loaded on a thread of its own (a script that hangs while loading must not stall the event loop, which
// keeps answering health checks), then handed to the event loop, which makes it the current set. Calls
// in progress finish on the set they started on.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/engines/engine.hpp"
#include "agent/executor/script_set.hpp"

namespace spoa {

/// What a background load gives back: the new set, or why it failed (naming the file).
struct LoadedScripts {
  std::unique_ptr<exec::ScriptSet> scripts;
  std::string error;
};

/// Loads script sets off the event loop, one at a time, and delivers each result to the loop.
class ScriptReloader {
 public:
  using Done = std::function<void(LoadedScripts)>;

  /// `done` runs on `io`'s thread.
  ScriptReloader(boost::asio::io_context& io, Done done);
  /// A load still running is abandoned: its result is dropped when it ends.
  ~ScriptReloader();
  ScriptReloader(const ScriptReloader&) = delete;
  ScriptReloader& operator=(const ScriptReloader&) = delete;

  /// Starts loading `files` on a new thread; false (nothing started) while a load is in progress.
  /// Throws std::system_error if the thread cannot start.
  bool start(const std::vector<std::filesystem::path>& files, const EngineOptions& options, unsigned threads);
  bool busy() const noexcept { return busy_; }

 private:
  struct Mailbox;  // shared with the loading thread, which may outlive the reloader
  std::shared_ptr<Mailbox> mailbox_;
  bool busy_ = false;
};

}  // namespace spoa
