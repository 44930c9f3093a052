// The Redis store: the same SharedStore over a Redis server, for several agents (on several machines)
// behind one HAProxy backend. Blocking calls, each bounded by a timeout, from any number of threads.
//
// Pieces (each usable on its own by an asynchronous client): redis_target (the URL, credentials and
// Sentinel addresses), resp (the wire format), redis_commands (what each operation sends and what its
// reply means), redis_health (outages, back-off, one reconnection at a time), redis_connection (a blocking
// socket with time limits). This class puts them together: a pool of connections, one per calling thread
// at a time, and the Sentinel lookup of the current master.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/engines/shared_store.hpp"
#include "agent/state/redis_async_client.hpp"
#include "agent/state/redis_connection.hpp"
#include "agent/state/redis_health.hpp"
#include "agent/state/redis_target.hpp"

namespace spoa {

struct RedisStoreOptions {
  RedisTarget target;
  std::chrono::milliseconds timeout{50};         ///< connect, and each command
  std::chrono::milliseconds first_backoff{100};  ///< wait after the first failure before reconnecting
  std::chrono::milliseconds max_backoff{2000};   ///< the wait doubles up to this
};

class RedisStore final : public SharedStore {
 public:
  /// Does not connect: each process connects on its first call (a connection is never shared across fork).
  RedisStore(RedisStoreOptions options, LogSink log);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  std::string describe() const override { return name_; }
  bool blocks() const noexcept override { return true; }
  /// Connects (through the sentinels with Sentinel), authenticates and selects the database on a
  /// connection of its own, then closes it. Changes nothing in the store's state.
  StoreCheck check() override;

  /// The master in use (Sentinel), or the configured server; nullopt before Sentinel was first asked.
  std::optional<RedisEndpoint> current_server() const;

 protected:
  std::optional<StateValue> do_get(const StateKey& key) override;
  void do_set(const StateKey& key, const StateValue& value, std::chrono::milliseconds ttl) override;
  std::int64_t do_incr(const StateKey& key, std::int64_t delta, std::chrono::milliseconds ttl) override;
  bool do_del(const StateKey& key) override;
  /// Asynchronous calls: one RedisAsyncClient per event loop (pipelined), the same health and metrics
  /// as the blocking calls. Not with Sentinel: its calls stay blocking (the master lookup is blocking).
  bool has_async() const noexcept override { return !options_.target.uses_sentinel(); }
  void do_start(boost::asio::io_context& loop, const StateRequest& request, const StateKey& key,
                std::shared_ptr<StateCompletion> done) override;

 private:
  /// After a call made with `ticket` succeeded: ends an outage (logging its end).
  void note_success(const RedisHealth::Ticket& ticket);
  /// After a call made with `ticket` failed because of the server: the error the script gets (the
  /// outage's beginning logged and counted).
  StateError note_failure(const RedisHealth::Ticket& ticket, const RedisFailure& e);
  /// What an asynchronous call's reply (or failure) means for the script.
  StateOutcome async_outcome(boost::asio::io_context& loop, const RedisHealth::Ticket& ticket, StateOp op,
                             const std::string& key, std::int64_t delta, RedisAsyncResult& result);
  /// Sends `request` and returns its one reply, through a pooled connection; reports the outcome to
  /// health_ (logging an outage's beginning and end) and throws StateError (unavailable, timeout).
  resp::Reply call(const std::string& request);
  /// A new, set-up connection to the server (with Sentinel: to the master, asking the sentinels first when
  /// `ask_sentinels` or when no master is known yet). Throws RedisFailure.
  RedisConnection connect(bool ask_sentinels);
  /// Asks the sentinels, in turn, where the master is; remembers and returns it. Throws RedisFailure.
  RedisEndpoint ask_sentinels();
  void log(LogLevel level, const std::string& text) const;

  /// Idle connections, each tagged with the health generation it was opened in.
  struct Pooled {
    RedisConnection connection;
    std::uint64_t generation;
  };
  std::optional<RedisConnection> take_pooled(std::uint64_t generation);
  void give_back(RedisConnection connection, std::uint64_t generation);

  const RedisStoreOptions options_;
  const LogSink log_;
  const std::string name_;
  RedisHealth health_;

  std::mutex pool_mutex_;
  std::vector<Pooled> pool_;
  int pool_pid_ = 0;  // the process the pooled connections belong to (a forked child drops them)

  mutable std::mutex master_mutex_;
  std::optional<RedisEndpoint> master_;  // Sentinel: the master last named
  std::size_t next_sentinel_ = 0;        // Sentinel: the one that answered last is asked first
};

}  // namespace spoa
