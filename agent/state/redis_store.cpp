// The Redis store (see redis_store.hpp): pooled blocking connections, shared fault state, Sentinel.
#include "agent/state/redis_store.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cstdio>
#include <unordered_map>
#include <utility>

#include "agent/state/redis_commands.hpp"

namespace spoa {

namespace {

using Clock = std::chrono::steady_clock;

// Idle connections kept at most: one per thread that calls at once is all a pool ever needs.
constexpr std::size_t max_pooled = 64;

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return text;
}

StateErrc errc_of(const RedisFailure& e) {
  return e.kind() == RedisFailure::Kind::timeout ? StateErrc::timeout : StateErrc::unavailable;
}

}  // namespace

RedisStore::RedisStore(RedisStoreOptions options, LogSink log)
    : options_(std::move(options)),
      log_(std::move(log)),
      name_(options_.target.describe()),
      health_(options_.first_backoff, options_.max_backoff),
      pool_pid_(static_cast<int>(::getpid())) {}

RedisStore::~RedisStore() = default;

void RedisStore::log(LogLevel level, const std::string& text) const {
  if (!log_) return;
  try {
    log_(level, text);
  } catch (...) {  // logging must not turn a store error into another failure
  }
}

std::optional<RedisEndpoint> RedisStore::current_server() const {
  if (!options_.target.uses_sentinel()) return options_.target.servers.front();
  std::lock_guard lock(master_mutex_);
  return master_;
}

std::optional<RedisConnection> RedisStore::take_pooled(std::uint64_t generation) {
  std::lock_guard lock(pool_mutex_);
  const int pid = static_cast<int>(::getpid());
  if (pool_pid_ != pid) {  // forked: the parent's connections are not ours to use (closing our copies is fine)
    pool_.clear();
    pool_pid_ = pid;
  }
  while (!pool_.empty()) {
    Pooled p = std::move(pool_.back());
    pool_.pop_back();
    if (p.generation == generation) return std::move(p.connection);
    // Opened before the last outage began: closed here, never used again.
  }
  return std::nullopt;
}

void RedisStore::give_back(RedisConnection connection, std::uint64_t generation) {
  std::lock_guard lock(pool_mutex_);
  if (pool_pid_ != static_cast<int>(::getpid()) || generation != health_.generation() || pool_.size() >= max_pooled) {
    return;  // closed by its destructor
  }
  pool_.push_back({std::move(connection), generation});
}

RedisEndpoint RedisStore::ask_sentinels() {
  const RedisTarget& t = options_.target;
  std::size_t first = 0;
  {
    std::lock_guard lock(master_mutex_);
    first = next_sentinel_;
  }
  std::string problems;
  bool all_refused = true;
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const std::size_t index = (first + i) % t.servers.size();
    const RedisEndpoint& sentinel = t.servers[index];
    std::string problem;
    try {
      RedisConnection c = RedisConnection::open(sentinel, options_.timeout);
      std::string request;
      std::size_t replies = redis::append_sentinel_query(request, t.master_name, nullptr);
      auto answer = c.exchange(request, replies, options_.timeout);
      if (answer.back().error_code() == "NOAUTH" && t.credentials.password) {
        // A sentinel with requirepass: ask again with the same credentials as the master's.
        request.clear();
        replies = redis::append_sentinel_query(request, t.master_name, &t.credentials);
        answer = c.exchange(request, replies, options_.timeout);
      }
      auto result = redis::sentinel_query_result(answer, t.master_name);
      if (auto* master = std::get_if<RedisEndpoint>(&result)) {
        std::lock_guard lock(master_mutex_);
        next_sentinel_ = index;
        if (master_ && *master_ != *master) {
          log(LogLevel::warning, name_ + ": the sentinels name " + master->display() + " as the master now (was " +
                                     master_->display() + ")");
          if (counters() != nullptr) add_one(counters()->failovers);
        } else if (!master_) {
          log(LogLevel::debug, name_ + ": sentinel " + sentinel.display() + " names " + master->display() + " as the master");
        }
        master_ = *master;
        return *master;
      }
      const auto& setup = std::get<redis::SetupProblem>(result);
      all_refused = all_refused && setup.refused;
      problem = redis::without_secret(setup.text, t.credentials.password);
    } catch (const RedisFailure& e) {
      all_refused = false;
      problem = e.what();
    }
    problems += (problems.empty() ? "" : "; ") + ("sentinel " + sentinel.display() + ": " + problem);
  }
  throw RedisFailure(all_refused ? RedisFailure::Kind::refused : RedisFailure::Kind::io,
                     "no sentinel named the master (" + problems + ")");
}

RedisConnection RedisStore::connect(bool ask) {
  const RedisTarget& t = options_.target;
  const bool sentinel = t.uses_sentinel();
  try {
    std::optional<RedisEndpoint> server;
    if (!sentinel) {
      server = t.servers.front();
    } else if (!ask) {
      std::lock_guard lock(master_mutex_);
      server = master_;
    }
    if (!server) server = ask_sentinels();
    try {
      RedisConnection c = RedisConnection::open(*server, options_.timeout);
      std::string request;
      const std::size_t replies = redis::append_handshake(request, t.credentials, t.db, sentinel);
      const auto answer = c.exchange(request, replies, options_.timeout);
      if (auto problem = redis::handshake_problem(answer, t.credentials, t.db, sentinel)) {
        throw RedisFailure(problem->refused ? RedisFailure::Kind::refused : RedisFailure::Kind::io, problem->text);
      }
      if (counters() != nullptr) add_one(counters()->connects);
      return c;
    } catch (const RedisFailure& e) {
      if (!sentinel) throw;
      // With Sentinel the server changes: the message says which one failed.
      throw RedisFailure(e.kind(), "master " + server->display() + ": " + e.what());
    }
  } catch (const RedisFailure&) {
    if (counters() != nullptr) add_one(counters()->connect_failures);
    throw;
  }
}

void RedisStore::note_success(const RedisHealth::Ticket& ticket) {
  if (auto recovery = health_.succeeded(ticket, Clock::now())) {
    if (counters() != nullptr) counters()->unavailable.store(0, std::memory_order_relaxed);
    log(LogLevel::info, name_ + ": connected again after " + seconds_text(recovery->lasted) + " (" +
                            std::to_string(recovery->refused_calls) + " calls failed at once meanwhile, " +
                            std::to_string(recovery->failed_attempts) + " reconnection attempts failed)");
  }
}

StateError RedisStore::note_failure(const RedisHealth::Ticket& ticket, const RedisFailure& e) {
  const auto failure = health_.failed(ticket, e.what(), Clock::now());
  const std::string next = "next attempt in " + std::to_string(failure.backoff.count()) + " ms";
  if (failure.began_outage) {
    if (counters() != nullptr) {
      add_one(counters()->outages);
      counters()->unavailable.store(1, std::memory_order_relaxed);
    }
    log(LogLevel::error, name_ + ": " + e.what() + "; state calls fail until it is back (" + next + ")");
  } else if (ticket.kind == RedisHealth::Ticket::Kind::probe) {
    log(LogLevel::debug, name_ + ": still unavailable: " + e.what() + " (" + next + ")");
  }
  return StateError(errc_of(e), name_ + ": " + e.what());
}

resp::Reply RedisStore::call(const std::string& request) {
  using Kind = RedisHealth::Ticket::Kind;
  const RedisHealth::Ticket ticket = health_.admit(Clock::now());
  if (ticket.kind == Kind::refused) throw StateError(StateErrc::unavailable, name_ + ": " + ticket.refusal);
  std::optional<RedisConnection> connection;
  if (ticket.kind == Kind::use) connection = take_pooled(ticket.generation);
  try {
    if (!connection) connection.emplace(connect(ticket.kind == Kind::probe));
    auto replies = connection->exchange(request, 1, options_.timeout);
    if (auto why = redis::server_unusable(replies.front())) throw RedisFailure(RedisFailure::Kind::io, *why);
    note_success(ticket);
    give_back(std::move(*connection), ticket.generation);
    return std::move(replies.front());
  } catch (const RedisFailure& e) {
    throw note_failure(ticket, e);
  } catch (...) {
    // Out of memory and the like: a probe must not stay "in flight" for ever, or nobody would reconnect.
    if (ticket.kind == Kind::probe) health_.failed(ticket, "reconnection interrupted", Clock::now());
    throw;
  }
}

// --- asynchronous calls -------------------------------------------------------------------------

namespace {

/// The asynchronous clients of one event loop, one per store (an Asio service: each executor thread's
/// loop has its own, closed with the loop).
class AsyncClients : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;  // NOLINT: Asio's service identification
  explicit AsyncClients(boost::asio::execution_context& context) : service(context) {}

  struct Entry {
    std::unique_ptr<RedisAsyncClient> client;
    std::uint64_t generation = 0;  // of the store's health when its connection was (re)made
  };
  std::unordered_map<const void*, Entry> clients;

 private:
  void shutdown() override { clients.clear(); }
};

}  // namespace

void RedisStore::do_start(boost::asio::io_context& loop, const StateRequest& request, const StateKey& key,
                          std::shared_ptr<StateCompletion> done) {
  std::string command;
  switch (request.op) {
    case StateOp::get: redis::append_get(command, key.stored); break;
    case StateOp::set: redis::append_set(command, key.stored, *request.value, request.ttl); break;
    case StateOp::incr: redis::append_incr(command, key.stored, request.delta, request.ttl); break;
    case StateOp::del: redis::append_del(command, key.stored); break;
  }
  const RedisHealth::Ticket ticket = health_.admit(Clock::now());
  if (ticket.kind == RedisHealth::Ticket::Kind::refused) {
    // Failed at once, without the network; reported from the loop, as every outcome is.
    StateOutcome outcome;
    outcome.error.emplace(StateErrc::unavailable, name_ + ": " + ticket.refusal);
    count_error(StateErrc::unavailable);
    boost::asio::post(loop, [done = std::move(done), outcome = std::move(outcome)]() mutable {
      done->state_done(std::move(outcome));
    });
    return;
  }
  auto& entry = boost::asio::use_service<AsyncClients>(loop).clients[this];
  if (!entry.client) {
    RedisAsyncClient::Settings settings{options_.target.servers.front(), options_.target.credentials,
                                        options_.target.db, options_.timeout};
    entry.client = std::make_unique<RedisAsyncClient>(loop, std::move(settings));
  } else if (entry.generation != ticket.generation) {
    entry.client->reset("opened before the last outage (connection dropped)");
  }
  entry.generation = ticket.generation;
  const std::size_t connects_before = entry.client->connects();
  entry.client->request(std::move(command), [this, &loop, ticket, op = request.op, name = std::string(key.name),
                                             delta = request.delta, done = std::move(done)](RedisAsyncResult result) {
    auto report = [&] {
      StateOutcome outcome = async_outcome(loop, ticket, op, name, delta, result);
      if (outcome.error) count_error(outcome.error->code());
      done->state_done(std::move(outcome));
    };
    done->in_context([](void* job) { (*static_cast<decltype(report)*>(job))(); }, &report);
  });
  if (counters() != nullptr && entry.client->connects() != connects_before) add_one(counters()->connects);
}

StateOutcome RedisStore::async_outcome(boost::asio::io_context& loop, const RedisHealth::Ticket& ticket, StateOp op,
                                       const std::string& key, std::int64_t delta, RedisAsyncResult& result) {
  StateOutcome outcome;
  try {
    try {
      if (result.failure) throw *result.failure;
      const resp::Reply& reply = *result.reply;
      if (auto why = redis::server_unusable(reply)) {
        auto& clients = boost::asio::use_service<AsyncClients>(loop).clients;
        if (auto it = clients.find(this); it != clients.end()) it->second.client->reset(*why);
        throw RedisFailure(RedisFailure::Kind::io, *why);
      }
      note_success(ticket);
      const redis::ReplyContext context{name_, key};
      switch (op) {
        case StateOp::get: outcome.value = redis::get_result(reply, context); break;
        case StateOp::set: redis::set_result(reply, context); break;
        case StateOp::incr: outcome.integer = redis::incr_result(reply, context, delta); break;
        case StateOp::del: outcome.existed = redis::del_result(reply, context); break;
      }
    } catch (const RedisFailure& e) {
      // "cannot connect: ...", "cannot resolve ...": the connection could not be opened.
      if (counters() != nullptr && result.failure && std::string_view(e.what()).rfind("cannot ", 0) == 0) {
        add_one(counters()->connect_failures);
      }
      throw note_failure(ticket, e);
    }
  } catch (const StateError& e) {
    outcome.error = e;
  } catch (const std::exception& e) {
    outcome.error.emplace(StateErrc::unavailable, name_ + ": " + e.what());
  }
  return outcome;
}

StoreCheck RedisStore::check() {
  const RedisTarget& t = options_.target;
  try {
    RedisConnection c = connect(true);
    std::string text = name_;
    if (t.uses_sentinel()) {
      if (auto server = current_server()) text += ": master " + server->display();
    }
    text += t.credentials.password ? (t.credentials.user.empty() ? ": reachable, password accepted"
                                                                 : ": reachable, logged in as '" + t.credentials.user + "'")
                                   : ": reachable";
    return {StoreCheck::Verdict::ok, text};
  } catch (const RedisFailure& e) {
    const auto verdict = e.kind() == RedisFailure::Kind::refused ? StoreCheck::Verdict::refused
                                                                : StoreCheck::Verdict::unreachable;
    return {verdict, name_ + ": " + e.what()};
  }
}

std::optional<StateValue> RedisStore::do_get(const StateKey& key) {
  std::string request;
  redis::append_get(request, key.stored);
  return redis::get_result(call(request), {name_, key.name});
}

void RedisStore::do_set(const StateKey& key, const StateValue& value, std::chrono::milliseconds ttl) {
  std::string request;
  redis::append_set(request, key.stored, value, ttl);
  redis::set_result(call(request), {name_, key.name});
}

std::int64_t RedisStore::do_incr(const StateKey& key, std::int64_t delta, std::chrono::milliseconds ttl) {
  std::string request;
  redis::append_incr(request, key.stored, delta, ttl);
  return redis::incr_result(call(request), {name_, key.name}, delta);
}

bool RedisStore::do_del(const StateKey& key) {
  std::string request;
  redis::append_del(request, key.stored);
  return redis::del_result(call(request), {name_, key.name});
}

}  // namespace spoa
