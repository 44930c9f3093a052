// A tiny TLS server for the TLS tests, built from the agent's own TLS parts (agent/tls/: the server
// context and its reload, AgentStream, server_handshake) but not from the agent's connection code:
// a thread running an io_context that accepts on 127.0.0.1 (port 0), handshakes each connection
// with a deadline and then either answers SPOP with the sans-I/O spop::AgentConnection (empty ACKs:
// enough for spop-cli, spop-sim run and conform) or echoes bytes. It records every handshake result,
// the SNI each client sent and the reads it made, and logs through spdlog like the agent.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/tls/context_holder.hpp"
#include "agent/tls/handshake.hpp"

namespace spoa::tls::test {

class TlsTestAgent {
 public:
  enum class Mode { spop, echo };

  struct Settings {
    Options tls;
    std::chrono::milliseconds handshake_timeout{5000};
    Mode mode = Mode::spop;
  };

  struct Handshake {
    HandshakeResult result;
    std::string server_name;  ///< the SNI the client sent, "" for none
    std::string peer;
  };

  explicit TlsTestAgent(Settings settings);
  ~TlsTestAgent();
  TlsTestAgent(const TlsTestAgent&) = delete;
  TlsTestAgent& operator=(const TlsTestAgent&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string port_text() const { return std::to_string(port_); }

  /// The handshakes so far, in completion order.
  std::vector<Handshake> handshakes() const;
  /// Waits (bounded) until `n` handshakes have ended; false on timeout.
  bool wait_handshakes(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// NOTIFYs answered (spop mode).
  std::size_t notifies() const noexcept { return notifies_.load(); }

  /// ContextHolder::reload() on the server's thread (as the worker would run it on SIGHUP).
  ContextHolder::ReloadResult reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> notifies_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Handshake> handshakes_;
  std::thread thread_;

  friend struct Impl;
};

}  // namespace spoa::tls::test
