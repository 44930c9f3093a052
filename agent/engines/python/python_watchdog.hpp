// The per-call time budget of Python handlers: the shared CallWatchdog plus a Python-level signal handler.
//
// How a handler is stopped: when the deadline passes, the watchdog thread (agent/engines/support/
// call_watchdog.hpp) sends a real-time signal to the thread running the handler. The signal has a
// Python-level handler (installed through the `signal` module), so CPython's own C handler records it and:
//  * a busy loop notices it at the next bytecode boundary (the eval breaker) and runs the handler;
//  * a blocking call (time.sleep, select, socket reads) returns EINTR, and CPython's retry loop runs the
//    handler (PEP 475) before retrying.
// The Python-level handler raises spoa.TimeBudgetExceeded (a BaseException) while a call is past its
// deadline and does nothing otherwise (a late signal arriving after the call ended is ignored). The watchdog
// sends the signal again every 10-100 ms until the call returns, which covers a signal that landed just
// before a blocking syscall and handlers that catch BaseException once.
//
// On any other thread (the worker's executor threads) CPython runs no signal handler: there the watchdog
// instead sets an asynchronous exception (PyThreadState_SetAsyncExc) for the thread, which a busy loop
// sees at its next bytecode boundary; no signal is sent (CPython would retry the interrupted call).
//
// Limits: C code that blocks (time.sleep, a socket read, a long regex match, a C extension's loop) cannot
// be interrupted on an executor thread before it returns; the worker sends the call's ACK at the budget
// anyway (with the variables set so far), and the thread stays busy until the C call returns.
#pragma once

#include <chrono>

#include "agent/engines/support/call_watchdog.hpp"

namespace spoa::python {

/// The signal the watchdog uses for Python: SIGRTMIN + 6 (the agent uses SIGTERM, SIGINT, SIGHUP, SIGCHLD,
/// SIGPIPE).
int watchdog_signal() noexcept;

/// The process's watchdog. The first use needs the GIL in the interpreter's main thread: it installs the
/// signal's Python-level handler.
CallWatchdog& watchdog();

/// Arms the watchdog for a handler call on the calling thread, which holds the GIL (it must until
/// end_budget(): the interrupt checks the call under the GIL).
void start_budget(std::chrono::milliseconds budget);
/// Disarms it; true if the deadline passed. Clears an asynchronous exception not yet delivered.
bool end_budget() noexcept;

}  // namespace spoa::python
