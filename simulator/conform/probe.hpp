// The conformance suite's raw connection to an agent (plaintext or TLS): blocking waits, each with a
// deadline, byte-exact writes (whole, in chunks, or cut off by a reset) and frame reads that report
// how the agent ended the connection. Unlike the HaproxyConnection drivers it validates nothing: the
// checks decide what the bytes mean.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "netclient/transport.hpp"
#include "spop/frame.hpp"

namespace spop::sim::conform {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

/// Where the agent listens: host and port, or a Unix socket path (which wins when set).
using Endpoint = spop::netclient::Endpoint;

/// How a read ended.
enum class ReadStatus {
  frame,    ///< a whole frame arrived
  closed,   ///< orderly close (EOF) at a frame boundary
  reset,    ///< connection reset by the agent
  timeout,  ///< nothing (or only part of a frame) before the deadline
  broken,   ///< the bytes cannot be a frame (LEN < 7 or a header that does not decode), or EOF mid-frame
};

/// One read: a frame with its payload owned, or why there is none.
struct Received {
  ReadStatus status = ReadStatus::timeout;
  FrameHeader header;
  std::vector<std::byte> payload;
  std::size_t length = 0;  ///< LEN of the frame
  std::string error;       ///< broken: what was wrong
};

class Probe {
 public:
  /// Connects (and with `tls`, runs the TLS handshake) before `deadline`. Returns "" or a one-line
  /// reason ("connection refused").
  std::string connect(const Endpoint& endpoint, const spop::netclient::ClientContext* tls, Clock::time_point deadline);
  bool is_open() const noexcept { return io_.is_open(); }

  /// Writes every byte (blocking, bounded by `deadline`). False when the agent closed or reset first.
  bool send(std::span<const std::byte> bytes, Clock::time_point deadline);
  /// Writes `bytes` in pieces of `chunk` bytes, one send() each with `gap` between them, so that they
  /// leave as separate TCP segments (TCP_NODELAY is on; over TLS, as separate records).
  bool send_chunked(std::span<const std::byte> bytes, std::size_t chunk, Millis gap, Clock::time_point deadline);

  /// Reads the next frame. Frames up to 16 MiB are accepted so that an agent's oversized frame can be
  /// reported as such; anything larger is `broken`.
  Received read_frame(Clock::time_point deadline);
  /// True when bytes (or EOF) are ready within `wait`, without consuming them.
  bool readable(Millis wait);

  /// Resets the connection (SO_LINGER 0 then close), as HAProxy ends a health check.
  void reset() noexcept;
  void close() noexcept;
  /// Half-close: no more bytes from us.
  void shutdown_write() noexcept;

 private:
  enum class Fill { ok, closed, reset, timeout };
  Fill fill(Clock::time_point deadline);  // reads what is available (waits until something is)

  spop::netclient::Transport io_;
  std::vector<std::byte> in_;
};

}  // namespace spop::sim::conform
