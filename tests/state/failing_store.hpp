// Test double: a SharedStore whose every call fails the way an unreachable Redis does.
#pragma once

#include "agent/engines/shared_store.hpp"

namespace spoa::test {

class UnreachableStore final : public SharedStore {
 public:
  std::string describe() const override { return "redis 127.0.0.1:1"; }

 protected:
  std::optional<StateValue> do_get(const StateKey&) override { fail(); }
  void do_set(const StateKey&, const StateValue&, std::chrono::milliseconds) override { fail(); }
  std::int64_t do_incr(const StateKey&, std::int64_t, std::chrono::milliseconds) override { fail(); }
  bool do_del(const StateKey&) override { fail(); }

 private:
  [[noreturn]] void fail() const {
    throw StateError(StateErrc::unavailable, describe() + ": connection lost: Connection reset by peer");
  }
};

}  // namespace spoa::test
