// The HTTP endpoint of --metrics-address: prometheus-cpp's Exposer (civetweb) serving GET /metrics from
// its own threads, reading the shared counters at each scrape. It runs in the metrics process
// (metrics_process.hpp) when spoa supervises workers, in the only process with -d.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace spoa::metrics {

class Segment;

/// The endpoint could not be started; what() names the address.
class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// nullopt when `address` is "IPv4:PORT" (port 0..65535, 0 = any free port), else what is wrong.
std::optional<std::string> check_address(std::string_view address);

class Server {
 public:
  /// Binds `address` (checked by check_address()) and serves `segment`, which must outlive the server.
  /// Throws ServerError.
  Server(const std::string& address, const Segment& segment);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  /// The bound port (the chosen one when 0 was asked for).
  std::uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:9100/metrics", for the log.
  std::string url() const;

 private:
  std::string host_;
  std::uint16_t port_ = 0;
  std::shared_ptr<prometheus::Collectable> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace spoa::metrics
