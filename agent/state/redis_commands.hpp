// The Redis store's side of the conversation, without I/O: the RESP bytes of each store operation, of the
// connection set-up and of the Sentinel query, and what their replies mean (a result, a StateError, or a
// server that cannot serve now).
//
// The blocking client (redis_store.cpp) sends these bytes over its own sockets; an asynchronous client (a
// Lua coroutine, an asyncio transport) can send the very same bytes and hand the replies it parsed
// (resp.hpp) to the same functions, so that every client stores values alike and reports the same errors.
// Keys given here are the stored keys (the key prefix already applied: SharedStore does it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "agent/engines/shared_store.hpp"
#include "agent/state/redis_target.hpp"
#include "agent/state/resp.hpp"

namespace spoa::redis {

/// How values travel through Redis: integers as decimal text (so INCRBY works on them), text as "s" + bytes,
/// bytes as "b" + bytes. A value written by another program (none of these forms) reads as bytes, unchanged.
std::string encode_value(const StateValue& value);
StateValue decode_value(std::string_view stored);

/// What a reply's errors name: the store (describe()) and the key as the script gave it.
struct ReplyContext {
  std::string_view store;
  std::string_view key;
};

// One command each, appended to `out` (so that several can be pipelined in one write).
void append_get(std::string& out, std::string_view stored_key);
void append_set(std::string& out, std::string_view stored_key, const StateValue& value, std::chrono::milliseconds ttl);
/// INCRBY, or with a TTL one EVAL that applies it only to a key without expiry, in the same atomic step.
void append_incr(std::string& out, std::string_view stored_key, std::int64_t delta, std::chrono::milliseconds ttl);
void append_del(std::string& out, std::string_view stored_key);

// The replies of the commands above as results. Each throws StateError naming ctx.store: not_integer and
// overflow for INCRBY's refusals, unavailable for any other unexpected reply.
std::optional<StateValue> get_result(const resp::Reply& reply, const ReplyContext& ctx);
void set_result(const resp::Reply& reply, const ReplyContext& ctx);
std::int64_t incr_result(const resp::Reply& reply, const ReplyContext& ctx, std::int64_t delta);
bool del_result(const resp::Reply& reply, const ReplyContext& ctx);

/// An error reply that says this server cannot serve the store now, whatever the command: READONLY (a
/// master demoted to replica), LOADING, MASTERDOWN, BUSY, NOAUTH/WRONGPASS (credentials changed), cluster
/// redirections. The client should drop the connection and treat it as an outage. nullopt otherwise.
std::optional<std::string> server_unusable(const resp::Reply& reply);

/// The connection set-up: AUTH when there is a password, SELECT when db != 0, then ROLE when the server
/// must be a master (a master found through Sentinel) or else PING. Returns how many replies follow.
std::size_t append_handshake(std::string& out, const RedisCredentials& credentials, int db, bool check_master);

/// Why a set-up did not work: `refused` when the server refuses this configuration (wrong password, no
/// such database, ACL), else the server is just not usable now (a replica, loading). Texts never hold the
/// password.
struct SetupProblem {
  bool refused = false;
  std::string text;
};
/// Checks the replies of append_handshake(); nullopt when the connection is ready.
std::optional<SetupProblem> handshake_problem(std::span<const resp::Reply> replies, const RedisCredentials& credentials,
                                              int db, bool check_master);

/// SENTINEL get-master-addr-by-name, preceded by AUTH when `credentials` is given (a sentinel with
/// requirepass). Returns how many replies follow.
std::size_t append_sentinel_query(std::string& out, std::string_view master, const RedisCredentials* credentials);
/// The master's address from the query's last reply; otherwise a SetupProblem (refused when the sentinel
/// does not know the master, or refuses the credentials).
std::variant<RedisEndpoint, SetupProblem> sentinel_query_result(std::span<const resp::Reply> replies,
                                                                std::string_view master);

/// `text` with every occurrence of `secret` replaced by "***" (server messages never echo the password,
/// but a message must not depend on that).
std::string without_secret(std::string text, const std::optional<std::string>& secret);

}  // namespace spoa::redis
