// Test helper: the StateError a store call throws (one whose code is bad_key and text "no error was
// thrown" when it throws none, so that the expectations on it fail).
#pragma once

#include <functional>

#include "agent/engines/shared_store.hpp"

namespace spoa::test {

inline StateError error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const StateError& e) {
    return e;
  }
  return StateError(StateErrc::bad_key, "no error was thrown");
}

}  // namespace spoa::test
