// The one interface every script language implements: load files, list messages, run a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "spop/ack_builder.hpp"
#include "spop/value.hpp"

namespace boost::asio {
class io_context;
}

namespace spoa {

class SharedStore;  // agent/engines/shared_store.hpp

enum class LogLevel : std::uint8_t { trace, debug, info, warning, error, critical };

/// Where engines send records (spoa.log() from scripts, warnings such as a dropped variable).
using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Settings shared by all engines of one worker.
/// Which event loop runs Python `async def` handlers (--asyncio-loop). `automatic` takes uvloop (Debian's
/// python3-uvloop: the same asyncio API, its loop written in C) when it can be imported, else asyncio's own.
enum class AsyncioLoop : std::uint8_t { automatic, asyncio, uvloop };

struct EngineOptions {
  std::chrono::milliseconds call_budget{1000};  ///< wall time allowed per handler call; 0 = unlimited
  std::size_t memory_limit = 0;                 ///< bytes per script state where the engine can cap it; 0 = none
  LogSink log;                                  ///< may be empty: records are then dropped
  /// The store behind spoa.state_get/set/incr/del (issue #11). Null: those functions raise "no shared store".
  std::shared_ptr<SharedStore> state;
  AsyncioLoop asyncio_loop = AsyncioLoop::automatic;  ///< Python only; the first engine's choice holds
};

class PendingCall;

/// What a handler call is about (for error records and spoa.log context).
struct CallInfo {
  std::string_view message;
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  /// Non-null when the caller accepts a handler that finishes later (CallResult::Kind::pending): set by
  /// the worker for every call it runs, on an executor thread (PendingCall::thread_loop()) or on the
  /// engine's own event loop (Registration::on_loop). Null in tests and fuzzing: nothing can wait.
  PendingCall* pending = nullptr;
};

/// How a handler call ended. Actions appended before a failure stay in the ACK.
struct CallResult {
  enum class Kind : std::uint8_t {
    ok,
    script_error,   ///< the handler raised; `detail` holds the error text and traceback
    timeout,        ///< stopped after EngineOptions::call_budget
    out_of_memory,  ///< hit EngineOptions::memory_limit
    pending,        ///< still running (it waits): it ends later through CallInfo::pending
    cancelled,      ///< stopped while waiting because its connection went away (PendingCall::cancel)
  };
  Kind kind = Kind::ok;
  std::string detail;

  bool ok() const noexcept { return kind == Kind::ok; }
};

/// A script failed to load. what() names the file and, where known, the line:
/// "ps_lua.lua:12: unexpected symbol near 'x'".
class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A message name and the file whose code registered it.
struct Registration {
  std::string message;
  std::filesystem::path file;
  /// The handler waits without holding a thread (a Python `async def`): it runs on the engine's
  /// event loop (Engine::event_loop()), never on an executor thread.
  bool on_loop = false;
};

/// A handler call that outlived Engine::call() (which returned CallResult::Kind::pending): a handler
/// waiting (a timer, a socket, a store reply) without holding a thread. Implemented by the worker (one
/// per call in progress) and handed to the engine in CallInfo::pending. A handler waits either on the
/// engine's own event loop (Python's asyncio loop, Engine::event_loop()) or on the event loop of the
/// executor thread that called it (Lua: thread_loop()); the engine uses this object on that thread only.
///
/// Contract: after Kind::pending, the engine calls finish() exactly once, on that thread, unless the
/// process stops first. Waits never outlive the call: finish() comes after everything the handler
/// started is closed or cancelled.
class PendingCall {
 public:
  /// The handler ended (never Kind::pending). Afterwards the engine no longer touches this object or
  /// the call's AckBuilder.
  virtual void finish(CallResult result) noexcept = 0;

  /// When the call runs on an executor thread: that thread's event loop. A handler may wait on it (its
  /// timers and sockets) and is resumed only from its handlers. Null on an engine's own loop.
  virtual boost::asio::io_context* thread_loop() noexcept { return nullptr; }
  /// When the call's budget ends, its waits included; time_point::max() without a budget.
  virtual std::chrono::steady_clock::time_point deadline() const noexcept {
    return std::chrono::steady_clock::time_point::max();
  }
  /// Runs `fn(arg)` with the call's context set for log records (an engine resumes a handler in it).
  virtual void in_context(void (*fn)(void*), void* arg) { fn(arg); }

  /// How the worker asks a waiting handler to stop: set by the engine while the call is pending,
  /// cleared before finish(); run on the thread where it waits. `why`: cancelled (its connection closed
  /// or sent DISCONNECT) or timeout (its budget ended). The engine closes what the handler waits on
  /// (sockets closed, never pooled) and finishes the call, now or from a later handler of that loop.
  void (*cancel)(void* context, CallResult::Kind why) noexcept = nullptr;
  void* cancel_context = nullptr;

 protected:
  ~PendingCall() = default;
};

/// An event loop that an engine runs on a thread of its own (Python: the asyncio loop), for handlers
/// that wait without holding a thread. The engine owns it; it outlives every engine that uses it.
class EventLoop {
 public:
  /// Runs `task(context)` on the loop's thread, soon, in posting order. Any thread; never waits for
  /// the engine's locks (no GIL): the worker's I/O thread posts. Posts made while the loop has not yet
  /// woken up are run together after one wake-up. False (nothing will run) once the loop has stopped.
  virtual bool post(void (*task)(void* context), void* context) = 0;
  /// True on the loop's thread.
  virtual bool on_loop_thread() const noexcept = 0;

 protected:
  ~EventLoop() = default;
};

/// How a worker's executor threads may share an engine (see agent/executor/).
enum class ThreadModel : std::uint8_t {
  per_thread,  ///< one engine per executor thread, each loading every file (Lua: a lua_State each)
  shared,      ///< one engine, called from several threads at once (Python: one interpreter, the GIL)
  single,      ///< one engine, one executor thread, never two calls at once (PHP's embed SAPI)
};

/// One language runtime of one worker: its own script state, loaded once per worker.
///
/// An engine is driven from one thread at a time (ThreadModel::shared engines: from several). load() may be called several times (one per `-f` file of
/// this language, in command-line order). A name registered twice within the engine is a LoadError
/// naming both files. call() never throws for script faults: it reports them in CallResult.
class Engine {
 public:
  virtual ~Engine() = default;

  /// "lua", "python", ...
  virtual std::string_view language() const noexcept = 0;
  /// How executor threads may use this engine.
  virtual ThreadModel thread_model() const noexcept { return ThreadModel::single; }
  /// The calling thread is done with the engine for now (Python: releases the GIL that the thread
  /// which started the interpreter holds), so that other threads can drive it.
  virtual void leave_thread() noexcept {}
  /// Runs `file`; throws LoadError.
  virtual void load(const std::filesystem::path& file) = 0;
  /// Every message registered so far, in registration order.
  virtual std::vector<Registration> registrations() const = 0;
  /// Called once after the last load(), before any call: runs what the scripts asked to run before
  /// serving (Python's start-up hooks). Throws LoadError. Not called by `spoa --check`.
  virtual void prepare() {}
  /// The loop that handlers registered with Registration::on_loop run on; null if the engine has none.
  virtual EventLoop* event_loop() noexcept { return nullptr; }
  /// For `--check` and the log: what runs that loop, e.g. "uvloop 0.17.0 (--asyncio-loop auto)"; empty
  /// if the engine has none.
  virtual std::string event_loop_description() const { return {}; }
  /// Runs the handler of `info.message` with `args`; each setter the script calls appends to `actions`.
  /// A setter whose action does not fit in the ACK (AckBuilder returns frame_too_big) raises a script
  /// error naming the variable, so the handler sees it and the ACK stays within the frame size.
  /// With info.pending set, a handler may wait and the engine may then return Kind::pending: it goes on,
  /// appending to `actions`, until it calls info.pending->finish(). `info` and `args` need not outlive
  /// call() (an engine that waits keeps its own copy); `actions` lives until finish(). Python: a
  /// handler registered with on_loop, called on the loop's thread; Lua: any handler on an executor
  /// thread (thread_loop()). Without info.pending, call() returns the outcome (Python waits for an
  /// `async def` handler to end; a Lua handler that tries to wait gets a script error).
  virtual CallResult call(const CallInfo& info, std::span<const spop::Argument> args,
                          spop::AckBuilder& actions) = 0;
};

/// Builds the engine for a file suffix (".lua", ".luac", ".py"); nullptr if no engine handles it.
std::unique_ptr<Engine> make_engine_for(const std::filesystem::path& file, const EngineOptions& options);

/// The suffixes make_engine_for() knows, for messages such as "unknown script type".
std::vector<std::string> known_script_suffixes();

}  // namespace spoa
