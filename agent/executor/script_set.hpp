// One generation of a worker's scripts: the message table and every engine the executor threads use.
// A reload builds a new ScriptSet beside the old one; calls in progress finish on the set they started on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/dispatcher.hpp"
#include "agent/engines/engine.hpp"

namespace spoa::exec {

class ExecutorLane;
class LoopLane;

/// The engines of one language within a ScriptSet: the dispatcher's engine, plus, for a per-thread
/// language (Lua), one twin per further executor thread with the same files loaded.
struct LanguageEngines {
  std::string_view language;
  ThreadModel model = ThreadModel::single;
  Engine* primary = nullptr;                     ///< owned by the dispatcher
  std::vector<std::unique_ptr<Engine>> twins;    ///< per_thread only: engines of threads 1..n-1
  /// The executor threads that run this language (set by CallScheduler::install()).
  ExecutorLane* lane = nullptr;
  /// Where its handlers registered with Registration::on_loop run (set by CallScheduler::install()
  /// when the engine has an event loop and such handlers); null otherwise.
  LoopLane* loop_lane = nullptr;
  /// The engine that thread `index` of the language's executors calls.
  Engine& for_thread(unsigned index) const noexcept {
    return index == 0 || twins.empty() ? *primary : *twins[(index - 1) % twins.size()];
  }
};

class ScriptSet {
 public:
  /// Loads `files` (Dispatcher::load) and, for per-thread languages, `threads - 1` twins of their
  /// engines, then runs Engine::prepare() on each (start-up hooks). Throws StartupError. Ends with
  /// leave_thread() on every engine: the loading thread lets the executors have them.
  static std::unique_ptr<ScriptSet> load(const std::vector<std::filesystem::path>& files,
                                         const EngineOptions& options, unsigned threads);
  /// A set with no scripts (every message unhandled).
  ScriptSet() = default;
  ScriptSet(const ScriptSet&) = delete;
  ScriptSet& operator=(const ScriptSet&) = delete;
  ~ScriptSet();

  Dispatcher& dispatcher() noexcept { return dispatcher_; }
  const Dispatcher& dispatcher() const noexcept { return dispatcher_; }
  /// The languages, in the dispatcher's engine order.
  const std::vector<LanguageEngines>& languages() const noexcept { return languages_; }
  std::vector<LanguageEngines>& languages() noexcept { return languages_; }
  /// The index in languages() of the language of dispatcher engine `primary`.
  std::size_t language_of(const Engine* primary) const noexcept;

  /// Calls in progress on this set (the worker's I/O thread counts them; the set is freed at 0 once
  /// it is no longer the current one).
  std::size_t calls = 0;

 private:
  Dispatcher dispatcher_;
  std::vector<LanguageEngines> languages_;
};

}  // namespace spoa::exec
