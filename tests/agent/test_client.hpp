// Test helper: a small blocking SPOP client (HAProxy's side) built on the spop codec.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spop/frame.hpp"
#include "spop/hello.hpp"
#include "spop/value.hpp"

namespace spoa::test {

/// One received frame, owning its payload.
struct ReceivedFrame {
  spop::FrameHeader header;
  std::vector<std::byte> payload;
};

/// How a read ended when no frame came.
enum class ReadEnd { frame, closed, reset, timeout };

/// A blocking TCP connection to the agent with a receive timeout on every read.
class TestClient {
 public:
  /// Connects to 127.0.0.1:port; check connected().
  explicit TestClient(std::uint16_t port);
  /// Connects to a unix socket.
  explicit TestClient(const std::string& unix_path);
  TestClient(TestClient&& other) noexcept;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;
  ~TestClient();

  bool connected() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }

  /// Sends all bytes (in chunks of `chunk` bytes, one write each, when chunk > 0). False on error.
  bool send(std::span<const std::byte> bytes, std::size_t chunk = 0);

  /// Reads the next whole frame. `end` says why there is none.
  std::optional<ReceivedFrame> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                          ReadEnd* end = nullptr);
  /// True if the agent closes the connection (EOF or reset) within `timeout`, skipping frames.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends a HAPROXY-HELLO and reads the answer.
  std::optional<ReceivedFrame> hello(const spop::HaproxyHelloParams& params = default_hello());
  /// Sends a NOTIFY carrying one message `name` with `args`.
  bool notify(std::uint64_t sid, std::uint64_t fid, std::string_view name = "check-client-ip",
              std::span<const spop::Argument> args = {});
  /// Closes the connection with a reset (SO_LINGER 0), like HAProxy after a health check.
  void reset();
  void close();

  static spop::HaproxyHelloParams default_hello();

 private:
  int fd_ = -1;
  std::vector<std::byte> in_;
};

/// Bytes of a NOTIFY frame with one message.
std::vector<std::byte> notify_frame(std::uint64_t sid, std::uint64_t fid, std::string_view name = "check-client-ip",
                                    std::span<const spop::Argument> args = {});

/// The status-code and message of a DISCONNECT frame's payload.
spop::DisconnectInfo disconnect_info(const ReceivedFrame& frame);

}  // namespace spoa::test
