// A non-blocking Redis client on one Asio event loop: one connection (TCP or unix socket) set up with
// the store's handshake (AUTH, SELECT, PING), on which requests are pipelined, each answered through a
// callback on the loop's thread. Built from the store's I/O-free pieces: resp (bytes <-> replies) and
// redis_commands (the handshake and what its replies mean); the caller builds each request with
// redis_commands' append_* and interprets the reply with its *_result functions.
//
// Any event loop will do (an executor thread's, a test's); the client is used from that loop's thread
// only. It knows nothing of scripts, health or metrics: the Redis store (redis_store.hpp) adds those,
// and a future client (Python's asyncio side) can do the same.
//
// Failures: a request gets a RedisFailure instead of a reply when the connection cannot be opened or set
// up, is lost, or when any request waits longer than the timeout (then every request on that connection
// fails with it, and the connection is dropped: a late answer would be taken for the next one's).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/state/redis_connection.hpp"
#include "agent/state/redis_target.hpp"
#include "agent/state/resp.hpp"

namespace spoa {

/// How one request ended: its reply, or why there is none.
struct RedisAsyncResult {
  std::optional<resp::Reply> reply;
  std::optional<RedisFailure> failure;  ///< set when reply is not
};

class RedisAsyncClient {
 public:
  struct Settings {
    RedisEndpoint server;
    RedisCredentials credentials;
    int db = 0;
    std::chrono::milliseconds timeout{50};  ///< connect and set-up, and each request's answer
  };
  /// Called once per request, on the loop's thread, never from within request().
  using Callback = std::function<void(RedisAsyncResult)>;

  /// Does not connect: the first request does.
  RedisAsyncClient(boost::asio::io_context& loop, Settings settings);
  /// Closes the connection; callbacks of requests still waiting are never called.
  ~RedisAsyncClient();
  RedisAsyncClient(const RedisAsyncClient&) = delete;
  RedisAsyncClient& operator=(const RedisAsyncClient&) = delete;

  /// Sends `command` (the bytes of one command) and calls `done` with its one reply. Connects first if
  /// needed; requests made meanwhile wait for the connection and go in the same write.
  void request(std::string command, Callback done);
  /// Drops the connection: requests waiting fail ("connection dropped"); the next request reconnects.
  void reset(const std::string& why);

  /// Requests sent or queued and not answered yet.
  std::size_t in_flight() const noexcept;
  /// A set-up connection is open.
  bool connected() const noexcept;
  /// Connections opened (set up or not) since the client was made.
  std::size_t connects() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the handlers in flight, which outlive the client
};

}  // namespace spoa
