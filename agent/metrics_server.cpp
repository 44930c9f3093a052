// Starting prometheus-cpp's Exposer on --metrics-address (see metrics_server.hpp).
#include "agent/metrics_server.hpp"

#include <arpa/inet.h>
#include <pthread.h>

#include <prometheus/exposer.h>

#include <charconv>
#include <csignal>

#include "agent/metrics_collector.hpp"

namespace spoa::metrics {

namespace {

// Scrapes are rare (every few seconds) and cheap: one worker thread is plenty.
constexpr std::size_t http_threads = 1;

}  // namespace

std::optional<std::string> check_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return "expected HOST:PORT, e.g. 127.0.0.1:9100";
  const std::string host(address.substr(0, colon));
  in_addr ignored{};
  // The Debian build of civetweb that prometheus-cpp uses listens on IPv4 only.
  if (::inet_pton(AF_INET, host.c_str(), &ignored) != 1) return "HOST must be an IPv4 address, e.g. 127.0.0.1";
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return "PORT must be 0..65535";
  }
  return std::nullopt;
}

Server::Server(const std::string& address, const Segment& segment)
    : host_(address.substr(0, address.rfind(':'))), collector_(make_collector(segment)) {
  // The endpoint's threads must never take a process-directed signal (SIGHUP, SIGTERM, SIGCHLD...):
  // those belong to the supervisor's signalfd or the worker's loop. Threads inherit the mask of
  // their creator, so block everything but the synchronous faults while they are created.
  sigset_t all, previous;
  sigfillset(&all);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS}) sigdelset(&all, sig);
  ::pthread_sigmask(SIG_BLOCK, &all, &previous);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, http_threads);
  } catch (const std::exception&) {
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    // civetweb only says "null context"; the usual causes are worth naming.
    throw ServerError("cannot serve metrics on " + address + ": cannot listen (address in use or not local?)");
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  exposer_->RegisterCollectable(collector_);
  auto ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
}

Server::~Server() = default;

std::string Server::url() const { return "http://" + host_ + ":" + std::to_string(port_) + "/metrics"; }

}  // namespace spoa::metrics
