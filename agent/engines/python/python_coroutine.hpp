// `async def` handlers: each call runs as an asyncio task on the worker's loop (python_loop.hpp).
//
// The task does not run the handler's coroutine directly but a small driver around it (a C type that
// asyncio accepts as a coroutine), which sees every step of the task:
//  * the first step binds the call to the task through a contextvars.ContextVar, so that spoa.set_var_*
//    write into that call's ACK before and after awaits, with any number of calls interleaved on the
//    loop, and in the sub-tasks a handler starts (they inherit a copy of its context);
//  * each step arms the call watchdog for what is left of the call's budget: a step that blocks the loop
//    past it (a busy loop, time.sleep() in an async def) gets spoa.TimeBudgetExceeded raised where it
//    runs (the loop's thread is the interpreter's main thread, so the signal also ends a blocking sleep);
//  * the last step (the handler returned or raised) finishes the call: its result goes to the worker's
//    PendingCall, and nothing escapes into asyncio (no "exception never retrieved", no SystemExit
//    stopping the loop).
// The budget covers the whole coroutine: at the call's deadline its task is cancelled, so
// asyncio.CancelledError is raised at the await where it waits and its `finally:` blocks run. A closed
// connection cancels the same way (PendingCall::cancel).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "agent/engines/engine.hpp"
#include "agent/engines/python/python_api.hpp"
#include "agent/engines/support/call_text.hpp"
#include "spop/ack_builder.hpp"

namespace spoa::python {

/// What the coroutine running now (or a thread it started with asyncio.to_thread) is bound to.
struct BoundCall {
  spop::AckBuilder* actions = nullptr;        ///< null outside a call, or once the call has ended
  const EngineOptions* options = nullptr;     ///< null once the engine that ran it is gone
  const CallInfo* call = nullptr;             ///< null for a start-up hook
  const std::string* hook_label = nullptr;    ///< a start-up hook's label ("<file>: start-up hook f")
  bool ended = false;                         ///< the call was answered: setters no longer apply

  /// "message 'x' (stream 1, frame 2)" or the hook's label, for messages.
  std::string label() const { return call != nullptr ? describe(*call) : hook_label != nullptr ? *hook_label : ""; }
};

/// The binding of the current context (GIL held); false if none (plain handlers, load time).
bool bound_call(BoundCall& out) noexcept;

/// 1 if `fn` is a coroutine function (inspect.iscoroutinefunction of fn or of fn.__call__: `async def`,
/// async methods, functools.partial of one, objects with `async def __call__`), 0 if not, -1 with an
/// exception set.
int is_coroutine_function(PyObject* fn);

/// One engine's coroutine calls and start-up hooks. Made and destroyed with the GIL held (moving it
/// needs none); it keeps its own copy of the options, so that it may outlive its engine a little.
class CoroutineRunner {
 public:
  explicit CoroutineRunner(const EngineOptions& options);
  /// Calls still running keep working; what they reach through the engine's options (shared state,
  /// logs) raises or is dropped from then on.
  ~CoroutineRunner();
  CoroutineRunner(const CoroutineRunner&) = delete;
  CoroutineRunner& operator=(const CoroutineRunner&) = delete;

  /// On the loop's thread: starts `handler(args=list)` as a task and returns Kind::pending (it ends
  /// through `pending`), or the error if it could not start.
  CallResult start(PyObject* handler, PyObject* list, const CallInfo& info, spop::AckBuilder& actions,
                   PendingCall& pending);
  /// On any other thread: starts it through the loop and waits for it to end (without the GIL).
  CallResult run_and_wait(PyObject* handler, PyObject* list, const CallInfo& info, spop::AckBuilder& actions);
  /// Not on the loop's thread: runs `hook()` on the loop (awaiting its result when it is awaitable)
  /// within `limit`, and waits. "" on success, else the error text with the traceback.
  std::string run_hook(PyObject* hook, const std::string& label, std::chrono::milliseconds limit);

 private:
  std::unique_ptr<EngineOptions> options_;
  Ref scope_;  // a capsule pointing at options_, shared with every binding (see the .cpp)
};

}  // namespace spoa::python
