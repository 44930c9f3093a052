// A scripted fake SPOP agent for the spop-cli tests: a thread listening on 127.0.0.1 (port 0) that runs
// a script on each accepted connection. Scripts read whole frames and reply with whatever bytes the test
// wants, including broken ones, so that every error path of the client can be reached without our agent.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace spop_cli::test {

class FakeAgent;

/// One accepted connection, as the script sees it.
class AgentSide {
 public:
  AgentSide(int fd, FakeAgent& owner);
  ~AgentSide();  ///< closes the connection (FIN) unless reset() did (RST)
  AgentSide(const AgentSide&) = delete;
  AgentSide& operator=(const AgentSide&) = delete;

  /// The next whole frame (LEN prefix included); nullopt on EOF, error, timeout or shutdown.
  std::optional<std::vector<std::byte>> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void send(std::span<const std::byte> bytes);
  /// Hex with spaces, as in spop-protocol.md ("00 00 00 07 67 ...").
  void send_hex(std::string_view hex);
  /// Closes with an RST instead of a FIN.
  void reset();
  /// Waits until the peer closes (or `timeout`), reading and dropping what it sends.
  void wait_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// How the peer ended the connection, as read_frame() last saw it (none while it is open).
  enum class PeerEnd : std::uint8_t { none, fin, reset, error };
  PeerEnd peer_end() const noexcept { return end_; }

 private:
  int fd_;
  FakeAgent& owner_;
  std::vector<std::byte> buffer_;
  PeerEnd end_ = PeerEnd::none;
};

class FakeAgent {
 public:
  using Script = std::function<void(AgentSide&)>;

  /// Starts listening at once (on 127.0.0.1, or on the Unix socket `unix_path` when it is given);
  /// connections are served one after the other.
  explicit FakeAgent(Script script, std::string unix_path = {});
  ~FakeAgent();
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string port_text() const { return std::to_string(port_); }
  /// Every frame the scripts read, in order (copied under a lock).
  std::vector<std::vector<std::byte>> frames() const;
  std::size_t connections() const noexcept { return connections_.load(); }

 private:
  friend class AgentSide;
  void serve();
  void record(const std::vector<std::byte>& frame);

  Script script_;
  std::string unix_path_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::vector<std::byte>> frames_;
  std::thread thread_;
};

// ---- canned replies and scripts --------------------------------------------------------------

/// AGENT-HELLO with version, max-frame-size and capabilities.
std::vector<std::byte> agent_hello(std::string_view capabilities = "pipelining", std::uint32_t frame_size = 16380,
                                   std::string_view version = "2.0");
std::vector<std::byte> agent_disconnect(std::uint32_t status, std::string_view message);

/// The ACK an echo agent sends for a NOTIFY frame (LEN included): for every argument of every message,
/// SET-VAR txn.<arg name> (or txn.arg<N> when unnamed) = the argument's value, same type.
std::vector<std::byte> echo_ack(std::span<const std::byte> notify_frame);

/// The well-behaved agent: AGENT-HELLO, an echo ACK per NOTIFY, AGENT-DISCONNECT after a
/// HAPROXY-DISCONNECT. Records nothing beyond what FakeAgent records.
FakeAgent::Script echo_script(std::string capabilities = "pipelining");

/// A free TCP port on 127.0.0.1 with nothing listening on it (bound, then closed).
std::uint16_t unused_port();

/// The type byte of a recorded frame.
std::uint8_t frame_type(const std::vector<std::byte>& frame);

}  // namespace spop_cli::test
