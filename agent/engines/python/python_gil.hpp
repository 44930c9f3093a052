// Holding CPython's GIL from any thread: the worker's executor threads call Python handlers side by
// side, each with a thread state of its own, and hold the GIL only while Python code runs.
#pragma once

namespace spoa::python {

/// Holds the GIL for its lifetime; does nothing when the calling thread already holds it (the thread
/// that started the interpreter holds it until release_gil(); the engine's own nested scopes).
/// A thread's first scope gives it a thread state of its own, kept for the thread's life.
class GilScope {
 public:
  GilScope() noexcept;
  ~GilScope();
  GilScope(const GilScope&) = delete;
  GilScope& operator=(const GilScope&) = delete;

 private:
  bool acquired_;
};

/// If the calling thread holds the GIL (the thread that started the interpreter does), releases it;
/// its thread state is kept for its next GilScope.
void release_gil() noexcept;

/// True on the thread that started the interpreter (the only one where CPython runs signal handlers).
bool on_main_thread() noexcept;

}  // namespace spoa::python
