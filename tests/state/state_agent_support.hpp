// Test helpers for real agents using the shared state: one NOTIFY and the integer variables of its ACK,
// and a load of several client threads counting what the agents answered.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/agent/test_client.hpp"

namespace spoa::test {

/// The integer variables of one NOTIFY's ACK (empty map when the handler failed), nullopt when no ACK came.
std::optional<std::map<std::string, std::int64_t>> ask(TestClient& c, std::uint64_t sid, const std::string& message);

/// One NOTIFY on a new connection (so that connections spread over the workers).
std::optional<std::map<std::string, std::int64_t>> ask_once(std::uint16_t port, const std::string& message);

/// Client threads sending NOTIFYs of `message` back to back to the agents on `ports` (thread i uses
/// ports[i % size]), until stop(). Each ACK counts as ok (it sets `variable`: its value is kept) or as
/// failed (the handler failed, so the ACK sets nothing); a missing ACK counts as missing.
class CountingLoad {
 public:
  CountingLoad(std::vector<std::uint16_t> ports, int threads, std::string message, std::string variable);
  ~CountingLoad();
  CountingLoad(const CountingLoad&) = delete;
  CountingLoad& operator=(const CountingLoad&) = delete;

  void stop();
  std::uint64_t ok() const noexcept { return ok_.load(); }
  std::uint64_t failed() const noexcept { return failed_.load(); }
  std::uint64_t missing() const noexcept { return missing_.load(); }
  /// Every value of `variable` the ACKs carried, in no particular order.
  std::vector<std::int64_t> values() const;

 private:
  void run(std::uint16_t port);

  std::string message_, variable_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> ok_{0}, failed_{0}, missing_{0};
  mutable std::mutex mutex_;
  std::vector<std::int64_t> values_;
  std::vector<std::thread> threads_;
};

}  // namespace spoa::test
