#include "agent/engines/lua/lua_state_api.hpp"

#include <cmath>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_errors.hpp"
#include "agent/engines/lua/lua_task.hpp"
#include "agent/engines/shared_store.hpp"

// As in lua_setters.cpp: a Lua error is a longjmp that must not cross a live object with a destructor, and
// no C++ exception may cross Lua's frames. So the store is called from noexcept helpers that leave their
// result (or error text) in a per-thread scratch area, and the Lua functions raise with plain pointers only.
//
// In a handler that can wait, a store with an asynchronous form (Redis) is called without blocking: the
// call is a wait of the handler's coroutine (lua_task.hpp), answered on the executor thread's event loop.
// Elsewhere (at load time, in a callback where Lua cannot suspend) and with the embedded store (whose
// calls never wait), the call is direct, as before.

namespace spoa::lua {

namespace {

struct Scratch {
  std::optional<StateValue> value;
  std::int64_t integer = 0;
  bool existed = false;
  std::string error;
};

thread_local Scratch scratch;

[[noreturn]] void raise_scratch_error(lua_State* L) {
  lua_pushlstring(L, scratch.error.data(), scratch.error.size());
  lua_error(L);
  std::abort();
}

std::string_view check_key(lua_State* L, const char* fn) {
  const int type = lua_type(L, 1);
  if (type != LUA_TSTRING && type != LUA_TNUMBER) raise_type_error(L, fn, 1, "string");
  std::size_t length = 0;
  const char* key = lua_tolstring(L, 1, &length);
  return {key, length};
}

/// An optional TTL in seconds (fractions allowed): nil or absent = no expiry.
std::chrono::milliseconds check_ttl(lua_State* L, const char* fn, int arg) {
  if (lua_isnoneornil(L, arg)) return std::chrono::milliseconds{0};
  int is_number = 0;
  const lua_Number seconds = lua_tonumberx(L, arg, &is_number);
  if (is_number == 0) raise_type_error(L, fn, arg, "number of seconds");
  const auto ttl = state_ttl_from_seconds(static_cast<double>(seconds));
  if (!ttl) {
    luaL_error(L, "%s: bad TTL %s (expected 0..%d seconds; 0 or nil = no expiry)", fn, luaL_tolstring(L, arg, nullptr),
               static_cast<int>(state_limits::max_ttl.count() / 1000));
  }
  return *ttl;
}

SharedStore* check_store(lua_State* L, const char* fn) {
  SharedStore* store = context(L).options.state.get();
  if (store == nullptr) luaL_error(L, "%s: no shared store is configured", fn);
  return store;
}

/// Runs `body` against the store; false with scratch.error set ("<fn>: <store error>") on failure.
template <typename Body>
bool run(const char* fn, Body&& body) noexcept {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    try {
      scratch.error = std::string(fn) + ": " + e.what();
    } catch (...) {
      scratch.error.clear();
    }
  } catch (...) {
    scratch.error.clear();
  }
  if (scratch.error.empty()) {
    // Assigning cannot fail for a string this short once the buffer has been used, but be safe.
    scratch.error.assign(fn);
  }
  return false;
}

// --- waiting on the Redis store (a handler that can wait does not block its thread) ---------------

/// A store call in flight. The request cannot be taken back: a cancelled call just ignores its answer.
class StateWait final : public Wait, public StateCompletion {
 public:
  StateWait(const char* fn, boost::asio::io_context& loop) : Wait(fn), timer_(loop) {}

  /// The call's budget ends the wait at the latest (the store's own timeout is usually shorter).
  void arm(std::chrono::steady_clock::time_point deadline) {
    if (deadline == std::chrono::steady_clock::time_point::max()) return;
    timer_.expires_at(deadline);
    timer_.async_wait([self = shared_from_this(), this](const boost::system::error_code& ec) {
      if (!ec) complete();  // the engine finds the budget spent and ends the call
    });
  }

  void state_done(StateOutcome result) noexcept override {
    if (task == nullptr) return;  // abandoned, or ended by the budget
    outcome = std::move(result);
    stop_timer();
    complete();
  }

  void abandon() noexcept override { stop_timer(); }

  void in_context(void (*fn)(void*), void* arg) override {
    if (task != nullptr && task->pending != nullptr) {
      task->pending->in_context(fn, arg);
    } else {
      fn(arg);
    }
  }

  StateOutcome outcome;

 private:
  void stop_timer() noexcept {
    try {
      timer_.cancel();
    } catch (...) {
    }
  }

  boost::asio::steady_timer timer_;
};

enum class Started : std::uint8_t { waiting, failed, blocking };

/// Starts `request` on the store without blocking, as the running Task's wait. `blocking`: the store
/// has no asynchronous form (the embedded store, Redis through Sentinel): call it directly.
Started start_state(Task& task, lua_State* L, SharedStore& store, const char* fn, const StateRequest& request) noexcept {
  try {
    boost::asio::io_context& loop = *task.loop;
    auto wait = std::make_shared<StateWait>(fn, loop);
    if (!store.start(loop, request, wait)) return Started::blocking;
    wait->arm(task.deadline);
    begin_wait(task, std::move(wait), L);
    return Started::waiting;
  } catch (const std::exception& e) {
    try {
      scratch.error = std::string(fn) + ": " + e.what();
    } catch (...) {
      scratch.error.assign(fn);
    }
    return Started::failed;
  }
}

/// In a continuation: the store's outcome, or raises its error ("<fn>: <store error>").
const StateOutcome& state_result(lua_State* L, const char* fn) {
  const StateOutcome& outcome = take_result<StateWait>(L, fn).outcome;
  if (outcome.error) {
    lua_pushstring(L, fn);
    lua_pushliteral(L, ": ");
    lua_pushstring(L, outcome.error->what());
    lua_concat(L, 3);
    lua_error(L);
  }
  return outcome;
}

void push_state_value(lua_State* L, const std::optional<StateValue>& value) {
  if (!value) {
    lua_pushnil(L);
  } else if (value->is_integer()) {
    lua_pushinteger(L, static_cast<lua_Integer>(value->integer));
  } else {
    lua_pushlstring(L, value->data.data(), value->data.size());
  }
}

/// Tries the waiting form of `request`: returns how the call went on (see Started); raises on failure.
Started try_waiting(lua_State* L, SharedStore& store, const char* fn, const StateRequest& request) {
  Task* task = task_that_can_wait(L);  // else (at load time, in a gsub callback...): a blocking call
  if (task == nullptr) return Started::blocking;
  const Started started = start_state(*task, L, store, fn, request);
  if (started == Started::failed) raise_scratch_error(L);
  return started;
}

int state_get_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  push_state_value(L, state_result(L, "state_get").value);
  return 1;
}

int state_get(lua_State* L) {
  constexpr const char* fn = "state_get";
  const std::string_view key = check_key(L, fn);
  SharedStore* store = check_store(L, fn);
  StateRequest request;
  request.op = StateOp::get;
  request.key = key;
  if (try_waiting(L, *store, fn, request) == Started::waiting) return yield_to_loop(L, state_get_done);
  if (!run(fn, [&] { scratch.value = store->get(key); })) raise_scratch_error(L);
  push_state_value(L, scratch.value);
  return 1;
}

int state_set_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  (void)state_result(L, "state_set");
  return 0;
}

int state_set(lua_State* L) {
  constexpr const char* fn = "state_set";
  const std::string_view key = check_key(L, fn);
  const std::chrono::milliseconds ttl = check_ttl(L, fn, 3);
  SharedStore* store = check_store(L, fn);
  const int type = lua_type(L, 2);
  lua_Integer integer = 0;
  std::string_view text;
  if (type == LUA_TNUMBER) {
    int is_integer = 0;
    integer = lua_tointegerx(L, 2, &is_integer);
    if (is_integer == 0) {
      luaL_error(L, "%s: value %s has no integer representation (store floats as strings)", fn,
                 luaL_tolstring(L, 2, nullptr));
    }
  } else if (type == LUA_TSTRING) {
    std::size_t length = 0;
    const char* bytes = lua_tolstring(L, 2, &length);
    text = {bytes, length};
  } else {
    raise_type_error(L, fn, 2, "string or integer");
  }
  // The value is built in the scratch area (no C++ object may be alive across a Lua error or yield).
  if (!run(fn, [&] { scratch.value = type == LUA_TNUMBER ? StateValue::of_integer(integer) : StateValue::of_text(text); })) {
    raise_scratch_error(L);
  }
  StateRequest request;
  request.op = StateOp::set;
  request.key = key;
  request.value = &*scratch.value;
  request.ttl = ttl;
  if (try_waiting(L, *store, fn, request) == Started::waiting) return yield_to_loop(L, state_set_done);
  if (!run(fn, [&] { store->set(key, *scratch.value, ttl); })) raise_scratch_error(L);
  return 0;
}

int state_incr_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  lua_pushinteger(L, static_cast<lua_Integer>(state_result(L, "state_incr").integer));
  return 1;
}

int state_incr(lua_State* L) {
  constexpr const char* fn = "state_incr";
  const std::string_view key = check_key(L, fn);
  lua_Integer delta = 1;
  if (!lua_isnoneornil(L, 2)) {
    int is_integer = 0;
    delta = lua_tointegerx(L, 2, &is_integer);
    if (is_integer == 0) raise_type_error(L, fn, 2, "integer delta");
  }
  const std::chrono::milliseconds ttl = check_ttl(L, fn, 3);
  SharedStore* store = check_store(L, fn);
  StateRequest request;
  request.op = StateOp::incr;
  request.key = key;
  request.delta = delta;
  request.ttl = ttl;
  if (try_waiting(L, *store, fn, request) == Started::waiting) return yield_to_loop(L, state_incr_done);
  if (!run(fn, [&] { scratch.integer = store->incr(key, delta, ttl); })) raise_scratch_error(L);
  lua_pushinteger(L, static_cast<lua_Integer>(scratch.integer));
  return 1;
}

int state_del_done(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  lua_pushboolean(L, state_result(L, "state_del").existed ? 1 : 0);
  return 1;
}

int state_del(lua_State* L) {
  constexpr const char* fn = "state_del";
  const std::string_view key = check_key(L, fn);
  SharedStore* store = check_store(L, fn);
  StateRequest request;
  request.op = StateOp::del;
  request.key = key;
  if (try_waiting(L, *store, fn, request) == Started::waiting) return yield_to_loop(L, state_del_done);
  if (!run(fn, [&] { scratch.existed = store->del(key); })) raise_scratch_error(L);
  lua_pushboolean(L, scratch.existed ? 1 : 0);
  return 1;
}

constexpr luaL_Reg state_api_functions[] = {
    {"state_get", state_get},
    {"state_set", state_set},
    {"state_incr", state_incr},
    {"state_del", state_del},
    {nullptr, nullptr},
};

}  // namespace

const luaL_Reg* state_functions() noexcept { return state_api_functions; }

}  // namespace spoa::lua
