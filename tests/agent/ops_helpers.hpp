// Test helpers for the production features of spoa (reload, metrics, supervision): scripts on disk,
// log counting, ACK variables, and scraping /metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/options.hpp"
#include "tests/agent/test_client.hpp"

namespace spoa::test {

/// parse_options() on `spoa <args...>`; what it wrote to stderr goes to `err` when given.
ParseResult parse_args(std::vector<std::string> args, std::string* err = nullptr);

/// True when spoa was built with the engine for `suffix` (".lua", ".py").
bool engine_available(const std::string& suffix);

/// Writes `text` to `dir/name` atomically (temporary file and rename) and returns the path.
std::filesystem::path put_script(const std::filesystem::path& dir, const std::string& name, const std::string& text);

/// Occurrences of `needle` in `haystack`.
std::size_t count_of(const std::string& haystack, const std::string& needle);

/// The int value of variable `name` in an ACK, or nullopt when the ACK does not set it.
std::optional<std::int64_t> ack_int(const ReceivedFrame& ack, const std::string& name);

/// The port in the agent's "metrics on http://127.0.0.1:PORT/metrics" log line, or 0.
std::uint16_t metrics_port(const std::string& log);

/// GET http://127.0.0.1:port/metrics: the body, or nullopt when nothing answers with 200.
std::optional<std::string> scrape(std::uint16_t port);

/// The value of the sample `series` (e.g. `spoa_frames_sent_total{type="ack"}`), or nullopt.
std::optional<double> sample_value(const std::string& exposition, const std::string& series);

/// Polls `pred` every 10 ms until it holds or `timeout` passes; returns its last value.
template <class Pred>
bool poll_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace spoa::test

#include <thread>

template <class Pred>
bool spoa::test::poll_until(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}
