// Test helper: a small in-process SPOP agent (spop::AgentConnection behind plain sockets) that
// implements spop-conformance-echo and can be told to break one rule, so that the conformance tests can
// check which checks each defect fails.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace spop::sim::conform::test {

/// The one rule a fake agent breaks.
enum class Fault {
  none,              ///< a correct agent
  wrong_ids,         ///< ACKs carry frame-id + 1
  no_fin,            ///< ACKs without FIN
  oversize_ack,      ///< echo ACKs ignore the negotiated max-frame-size (built up to 16380)
  ack_non_notify,    ///< also ACKs frames that are not NOTIFYs (DISCONNECT, unknown types)
  wrong_version,     ///< AGENT-HELLO says version "1.0"
  crash_on_garbage,  ///< stops serving entirely when a connection starts with a byte that is not 0
  blocking,          ///< serves one connection at a time, blocking on a silent peer
};

class FakeAgent {
 public:
  explicit FakeAgent(Fault fault);
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;
  ~FakeAgent();

  std::uint16_t port() const noexcept { return port_; }

 private:
  void accept_loop();
  void serve(int fd);

  Fault fault_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
};

}  // namespace spop::sim::conform::test
