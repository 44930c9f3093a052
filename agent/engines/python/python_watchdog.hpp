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
// Limits: CPython runs signal handlers only in its main thread (the one that started the interpreter, which
// is also the one that drives the engines), and C code that blocks without checking for signals (a long
// regex match, a C extension's loop) cannot be interrupted before it returns.
#pragma once

#include "agent/engines/support/call_watchdog.hpp"

namespace spoa::python {

/// The signal the watchdog uses for Python: SIGRTMIN + 6 (the agent uses SIGTERM, SIGINT, SIGHUP, SIGCHLD,
/// SIGPIPE).
int watchdog_signal() noexcept;

/// The process's watchdog. The first use needs the GIL in the interpreter's main thread: it installs the
/// signal's Python-level handler.
CallWatchdog& watchdog();

/// How the watchdog interrupts a Python handler (for CallWatchdog::arm).
CallWatchdog::Interrupt watchdog_interrupt() noexcept;

}  // namespace spoa::python
