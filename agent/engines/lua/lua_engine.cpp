// make_lua_engine(): state creation, handler calls and their outcome. Loading is in lua_loader.cpp.
#include "agent/engines/lua/lua_engine.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "agent/engines/lua/lua_engine_impl.hpp"
#include "agent/engines/lua/lua_errors.hpp"
#include "agent/engines/lua/lua_library.hpp"
#include "agent/engines/lua/lua_limits.hpp"
#include "agent/engines/lua/lua_values.hpp"

namespace spoa {

std::unique_ptr<Engine> make_lua_engine(const EngineOptions& options) {
  return std::make_unique<lua::LuaEngine>(options);
}

namespace lua {

namespace {

// Only reached if the engine calls Lua outside lua_pcall, which it must not; Lua aborts afterwards.
int on_panic(lua_State* L) {
  const char* message = lua_tostring(L, -1);
  std::fprintf(stderr, "spoa: unprotected Lua error: %s\n", message != nullptr ? message : "?");
  return 0;
}

// Lua warnings (warn() in scripts, errors in __gc metamethods) go to the log as one record each.
void on_warning(void* ud, const char* piece, int to_be_continued) {
  auto& ctx = *static_cast<LuaContext*>(ud);
  const bool first_piece = ctx.warning.empty();
  if (first_piece && to_be_continued == 0 && piece[0] == '@') {  // control message
    if (std::strcmp(piece, "@on") == 0) ctx.warnings_enabled = true;
    if (std::strcmp(piece, "@off") == 0) ctx.warnings_enabled = false;
    return;
  }
  try {
    ctx.warning += piece;
    if (to_be_continued != 0) return;
    if (ctx.warnings_enabled) log_record(ctx, LogLevel::warning, "lua warning: " + ctx.warning);
  } catch (...) {
  }
  ctx.warning.clear();
}

/// What run_handler needs, passed as a light userdata (no allocation per call).
struct HandlerCall {
  int ref;
  std::span<const spop::Argument> args;
};

// The closure called under lua_pcall for every handler call; upvalues are the ArgumentTables.
// It builds `args` inside the protected call (under a memory cap that may fail) and calls the handler.
// lua_call without a continuation also makes coroutine.yield() in the handler an ordinary error
// ("attempt to yield from outside a coroutine") instead of a suspended call.
int run_handler(lua_State* L) {
  const auto* job = static_cast<const HandlerCall*>(lua_touserdata(L, 1));
  LuaContext& ctx = context(L);
  constexpr ArgumentTables tables{lua_upvalueindex(1), lua_upvalueindex(2), lua_upvalueindex(3),
                                  lua_upvalueindex(4), lua_upvalueindex(5)};
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->ref);
  push_arguments(L, tables, job->args, ctx.argument_count, ctx.argument_cache);
  lua_call(L, 1, 0);
  return 0;
}

// Runs under lua_pcall once per state: libraries, the `spoa` table, and the run_handler closure.
int set_up_state(lua_State* L) {
  luaL_openlibs(L);
  lua_pushcfunction(L, open_spoa_library);
  lua_call(L, 0, 0);
  push_argument_tables(L);
  lua_pushcclosure(L, run_handler, 5);
  context(L).runner = luaL_ref(L, LUA_REGISTRYINDEX);
  if (context(L).time.budget.count() > 0) set_up_time_budget(L);
  return 0;
}

}  // namespace

LuaEngine::LuaEngine(const EngineOptions& options) : context_(std::make_unique<LuaContext>()) {
  context_->options = options;
  context_->memory.limit = options.memory_limit;
  context_->time.budget = options.call_budget;

  state_ = lua_newstate(counting_alloc, &context_->memory);
  if (state_ == nullptr) throw std::runtime_error("lua: cannot create a Lua state (out of memory)");
  attach_context(state_, context_.get());
  lua_atpanic(state_, on_panic);
  lua_setwarnf(state_, on_warning, context_.get());

  // The cap is not enforced yet: a limit too small for the libraries then fails the first load with
  // a clear memory error instead of failing here.
  lua_pushcfunction(state_, set_up_state);
  if (lua_pcall(state_, 0, 0, 0) != LUA_OK) {
    const std::string text = error_text(state_, -1);
    lua_close(state_);
    throw std::runtime_error("lua: cannot open the libraries: " + text);
  }
  // Each call makes a few small tables that die when it returns: the generational collector handles
  // that pattern far more cheaply than the incremental one.
  lua_gc(state_, LUA_GCGEN, 0, 0);
  context_->memory.enforce = true;
}

LuaEngine::~LuaEngine() {
  context_->memory.enforce = false;  // let __gc finalizers run whatever they need
  lua_close(state_);
}

std::vector<Registration> LuaEngine::registrations() const { return context_->registrations; }

CallResult LuaEngine::call(const CallInfo& info, std::span<const spop::Argument> args,
                           spop::AckBuilder& actions) {
  const auto found = context_->handlers.find(info.message);
  if (found == context_->handlers.end()) {
    return {CallResult::Kind::script_error,
            "no Lua handler registered for message '" + std::string(info.message) + "'"};
  }
  HandlerCall job{found->second.ref, args};
  const bool budgeted = context_->time.budget.count() > 0;
  if (budgeted) {
    try {
      arm_time_budget(state_, context_->time);
    } catch (const std::exception& e) {  // the watchdog thread could not start
      return {CallResult::Kind::script_error, std::string("cannot start the call's time budget: ") + e.what()};
    }
  }

  const int base = lua_gettop(state_);
  lua_pushcfunction(state_, traceback_handler);
  lua_rawgeti(state_, LUA_REGISTRYINDEX, context_->runner);
  lua_pushlightuserdata(state_, &job);

  context_->actions = &actions;
  context_->call = &info;
  const int status = lua_pcall(state_, 1, 0, base + 1);
  if (budgeted) disarm_time_budget(state_, context_->time);
  context_->actions = nullptr;
  context_->call = nullptr;

  if (status == LUA_OK) {
    lua_settop(state_, base);
    return {};
  }
  CallResult result = failure(info, status);
  lua_settop(state_, base);
  return result;
}

CallResult LuaEngine::failure(const CallInfo& info, int status) {
  CallResult result;
  result.detail = std::string(info.message) + ": " + with_full_names(error_text(state_, -1));
  if (status == LUA_ERRMEM) {
    result.kind = CallResult::Kind::out_of_memory;
    result.detail += " (memory_limit " + std::to_string(context_->memory.limit) + " bytes)";
    // Lua already collected once before giving up; collect again now that the handler's frames are
    // gone, so the next call starts with the memory the failed one held.
    lua_gc(state_, LUA_GCCOLLECT);
  } else if (context_->time.expired) {
    result.kind = CallResult::Kind::timeout;
  } else {
    result.kind = CallResult::Kind::script_error;
  }
  return result;
}

}  // namespace lua
}  // namespace spoa
