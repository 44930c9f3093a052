// The built-in `spoa` module of script-api.md, and the Session its functions act on.
//
// The module is process-wide (one interpreter) but each engine has its own handlers: an engine points the
// Session at its own state while its script code runs (load() or call()), and the module's functions use
// whatever the Session points at.
#pragma once

#include <filesystem>

#include "agent/engines/engine.hpp"
#include "agent/engines/python/python_api.hpp"
#include "spop/ack_builder.hpp"

namespace spoa::python {

class HandlerTable;

/// What script code may touch right now. Null members mean "not available here".
struct Session {
  const EngineOptions* options = nullptr;          ///< the engine whose script code runs (load or call)
  HandlerTable* handlers = nullptr;                ///< during load(): where register_message() adds
  const std::filesystem::path* loading = nullptr;  ///< during load(): the file being run
  spop::AckBuilder* actions = nullptr;             ///< during call(): the ACK the setters append to
  const CallInfo* call = nullptr;                  ///< during call()
};

/// The Session of this thread (a plain handler's call, or a load).
Session& session() noexcept;
/// The Session of the code running now: this thread's, else that of the coroutine call or start-up
/// hook whose task (or asyncio.to_thread thread) runs (see python_coroutine.hpp).
Session active_session() noexcept;

/// Points the Session at one engine's load() for the scope's lifetime, then restores the previous state.
class LoadScope {
 public:
  LoadScope(const EngineOptions& options, HandlerTable& handlers, const std::filesystem::path& file) noexcept;
  ~LoadScope();
  LoadScope(const LoadScope&) = delete;
  LoadScope& operator=(const LoadScope&) = delete;

 private:
  Session saved_;
};

/// Points the Session at one handler call for the scope's lifetime.
class CallScope {
 public:
  CallScope(const EngineOptions& options, const CallInfo& call, spop::AckBuilder& actions) noexcept;
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  Session saved_;
};

/// The module's init function, for PyImport_AppendInittab (before the interpreter starts).
extern "C" PyObject* init_spoa_module();

/// spoa.error (an Exception subclass) and spoa.TimeBudgetExceeded (a BaseException subclass, so that
/// `except Exception:` in a handler cannot swallow it). Null before the module is imported.
PyObject* error_class() noexcept;
PyObject* timeout_class() noexcept;

}  // namespace spoa::python
