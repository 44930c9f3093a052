// Test helper: a bound unix datagram socket that plays syslogd, journald or systemd's NOTIFY_SOCKET.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace spoa::test {

class DatagramSocket {
 public:
  /// Binds `path` (removed first if it is a stale file). Check bound().
  explicit DatagramSocket(std::filesystem::path path);
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;
  ~DatagramSocket();  ///< closes and unlinks the path

  bool bound() const noexcept { return fd_ >= 0; }
  const std::filesystem::path& path() const noexcept { return path_; }

  /// The next datagram, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Receives until `match` accepts a datagram (returned), or nullopt once `timeout` has passed.
  std::optional<std::string> receive_until(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace spoa::test
