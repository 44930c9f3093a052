// Test double: a SharedStore whose every call fails the way an unreachable Redis does.
#pragma once

#include "agent/engines/shared_store.hpp"

namespace spoa::test {

class UnreachableStore final : public SharedStore {
 public:
  std::string describe() const override { return "redis 127.0.0.1:1"; }
  std::optional<StateValue> get(std::string_view) override { fail(); }
  void set(std::string_view, const StateValue&, std::chrono::milliseconds) override { fail(); }
  std::int64_t incr(std::string_view, std::int64_t, std::chrono::milliseconds) override { fail(); }
  bool del(std::string_view) override { fail(); }

 private:
  [[noreturn]] void fail() const {
    throw StateError(StateErrc::unavailable, describe() + ": connection lost: Connection reset by peer");
  }
};

}  // namespace spoa::test
