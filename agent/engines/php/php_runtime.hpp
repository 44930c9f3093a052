// The process's one PHP runtime (embed SAPI): module started on first use, one request per engine, and the
// Session that tells the `spoa` functions which engine's script code is running.
//
// PHP keeps its state in process globals (this build is not thread-safe, NTS), so a process has one PHP
// runtime. An engine lives inside one PHP request: its scripts' functions, classes and globals are the
// request's and vanish with it. One PHP engine may exist at a time in a process (the agent makes one per
// worker); the thread that creates it must drive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "agent/engines/engine.hpp"
#include "spop/ack_builder.hpp"

namespace spoa::php {

class HandlerTable;

/// What script code may touch right now. Null members mean "not available here".
struct Session {
  const EngineOptions* options = nullptr;          ///< the engine whose script code runs (load or call)
  HandlerTable* handlers = nullptr;                ///< during load(): where register_message() adds
  const std::filesystem::path* loading = nullptr;  ///< during load(): the file being run
  spop::AckBuilder* actions = nullptr;             ///< during call(): the ACK the setters append to
  const CallInfo* call = nullptr;                  ///< during call()
};

/// The Session of this process.
Session& session() noexcept;

/// Starts PHP's module once per process (INI: see php_runtime.cpp), then a request with `memory_limit`
/// (bytes; 0 = PHP's own configuration, php.ini's memory_limit). Throws std::runtime_error if PHP cannot
/// start; a memory_limit PHP refuses (below what it already uses) is returned as text, "" when applied.
std::string start_request(std::size_t memory_limit);

/// Ends the request: shutdown functions and destructors run, every request allocation is freed.
void end_request() noexcept;

/// True between start_request() and end_request().
bool request_active() noexcept;

/// The signal that interrupts a blocking system call of a handler past its budget (SIGRTMIN + 7). Its
/// handler does nothing: the EINTR is the point.
int watchdog_signal() noexcept;

/// Run by the watchdog thread when a call's budget expires: raises the Zend VM's interrupt flag (atomic).
/// CallWatchdog::Interrupt::on_expiry (the arguments are unused: one PHP thread, one call at a time).
void request_vm_interrupt(void* context, std::uint64_t call) noexcept;

/// Where the interrupt hook stopped the last timed-out call ("in spin() at /x.php:4"), "" if it did not.
std::string take_interrupt_location();

/// The last error PHP reported (error_get_last()), taken out of PHP (cleared afterwards).
struct LastError {
  int type = 0;  ///< E_* constant; 0 = none
  std::string message;
  std::string file;
  std::uint32_t line = 0;
  /// "PHP Fatal error", "PHP Parse error", ... as PHP labels its log lines.
  std::string label() const;
};
LastError take_last_error();

}  // namespace spoa::php
