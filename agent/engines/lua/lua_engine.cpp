// make_lua_engine(): state creation, handler calls and their outcome. Loading is in lua_loader.cpp.
#include "agent/engines/lua/lua_engine.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "agent/engines/lua/lua_coroutines.hpp"
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

/// What run_handler needs, passed as a light userdata (no allocation per call). Read only before the
/// handler first yields.
struct HandlerCall {
  int ref;
  std::span<const spop::Argument> args;
  Task* task;
};

int handler_returned(lua_State* /*L*/, int /*status*/, lua_KContext /*ctx*/) { return 0; }

// The closure that starts every handler call, as the body of the call's coroutine; upvalues are that
// coroutine's ArgumentTables. It builds `args` inside the coroutine (under a memory cap that may fail)
// and calls the handler with a continuation, so that the handler may wait (yield) through it.
int run_handler(lua_State* L) {
  const auto* job = static_cast<const HandlerCall*>(lua_touserdata(L, 1));
  Task& task = *job->task;
  constexpr ArgumentTables tables{lua_upvalueindex(1), lua_upvalueindex(2), lua_upvalueindex(3),
                                  lua_upvalueindex(4), lua_upvalueindex(5)};
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->ref);
  push_arguments(L, tables, job->args, task.argument_count, task.argument_cache);
  lua_callk(L, 1, 0, 0, handler_returned);
  return 0;
}

// Runs under lua_pcall: a new coroutine and its run_handler closure, both anchored in the registry.
int make_task_thread(lua_State* L) {
  auto* task = static_cast<Task*>(lua_touserdata(L, 1));
  lua_State* thread = lua_newthread(L);
  push_argument_tables(L);
  lua_pushcclosure(L, run_handler, 5);
  task->runner_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  task->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);  // the thread, below the closure
  task->thread = thread;
  return 0;
}

// Runs under lua_pcall once per state: libraries, the `spoa` table, coroutine functions that let waits
// through, and the time budget's hooks.
int set_up_state(lua_State* L) {
  luaL_openlibs(L);
  lua_pushcfunction(L, open_spoa_library);
  lua_call(L, 0, 0);
  if (context(L).time.budget.count() > 0) set_up_time_budget(L);
  install_coroutine_functions(L);
  return 0;
}

// Idle coroutines kept beyond this many are let go (a burst of waiting calls made them).
constexpr std::size_t max_idle_tasks = 256;

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
  // Calls still waiting (the worker stops): their waits resume nothing, their sockets close.
  for (auto& task : tasks_) {
    if (task->wait) {
      task->wait->task = nullptr;
      task->wait->abandon();
      task->wait.reset();
    }
    for (auto& thing : task->open) thing->close_at_end();
    task->open.clear();
  }
  context_->memory.enforce = false;  // let __gc finalizers run whatever they need
  lua_close(state_);
}

std::vector<Registration> LuaEngine::registrations() const { return context_->registrations; }


Task* LuaEngine::acquire_task() noexcept {
  Task* task = nullptr;
  if (!idle_.empty()) {
    task = idle_.back();
    if (task->thread != nullptr) {
      idle_.pop_back();
      return task;
    }
  } else {
    try {
      tasks_.reserve(tasks_.size() + 1);
      idle_.reserve(tasks_.size() + 1);  // release() then never allocates
      tasks_.push_back(std::make_unique<Task>());
      tasks_.back()->engine = this;
      idle_.push_back(tasks_.back().get());
    } catch (...) {
      return nullptr;
    }
    task = idle_.back();
  }
  // A new coroutine (with its own `args` tables) for this Task.
  lua_pushcfunction(state_, make_task_thread);
  lua_pushlightuserdata(state_, task);
  if (lua_pcall(state_, 1, 0, 0) != LUA_OK) {
    lua_pop(state_, 1);
    return nullptr;
  }
  task->argument_count = 0;
  task->argument_cache.slots.clear();
  idle_.pop_back();
  return task;
}

void LuaEngine::drop_thread(Task& task) noexcept {
  if (task.thread == nullptr) return;
  luaL_unref(state_, LUA_REGISTRYINDEX, task.runner_ref);
  luaL_unref(state_, LUA_REGISTRYINDEX, task.thread_ref);
  task.runner_ref = task.thread_ref = LUA_NOREF;
  task.thread = nullptr;
}

void LuaEngine::release(Task& task) noexcept {
  task.actions = nullptr;
  task.pending = nullptr;
  task.loop = nullptr;
  task.wait.reset();
  task.open.clear();
  if (task.thread_spent) {
    // A coroutine that ended in an error or was closed is not reused: an error raised by the time
    // budget's hook leaves its hooks disabled for good (Lua restores that only in lua_pcall).
    drop_thread(task);
    task.thread_spent = false;
  }
  if (idle_.size() < max_idle_tasks) {
    idle_.push_back(&task);  // capacity reserved in acquire_task()
    return;
  }
  drop_thread(task);
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
    if (it->get() == &task) {
      tasks_.erase(it);
      break;
    }
  }
}

CallResult LuaEngine::call(const CallInfo& info, std::span<const spop::Argument> args,
                           spop::AckBuilder& actions) {
  const auto found = context_->handlers.find(info.message);
  if (found == context_->handlers.end()) {
    return {CallResult::Kind::script_error,
            "no Lua handler registered for message '" + std::string(info.message) + "'"};
  }
  Task* task = acquire_task();
  if (task == nullptr) {
    lua_gc(state_, LUA_GCCOLLECT);
    return {CallResult::Kind::out_of_memory, std::string(info.message) + ": not enough memory for the handler's coroutine"};
  }
  task->info = info;
  task->actions = &actions;
  // A call may wait only on its executor thread's event loop. Without one nothing can wait: the budget
  // is then the watchdog's alone (no clock read here).
  task->loop = info.pending != nullptr ? info.pending->thread_loop() : nullptr;
  task->pending = task->loop != nullptr ? info.pending : nullptr;
  task->deadline = task->pending != nullptr ? task->pending->deadline() : std::chrono::steady_clock::time_point::max();
  HandlerCall job{found->second.ref, args, task};
  lua_rawgeti(task->thread, LUA_REGISTRYINDEX, task->runner_ref);
  lua_pushlightuserdata(task->thread, &job);
  CallResult result = run_slice(*task, 1, true);
  if (result.kind == CallResult::Kind::pending) {
    task->pending->cancel = &Task::cancel;  // until end(): how the worker stops the wait
    task->pending->cancel_context = task;
    return result;
  }
  end(*task, CallResult{}, false, false);  // the outcome is returned, not reported
  return result;
}

CallResult LuaEngine::run_slice(Task& task, int nargs, bool first) noexcept {
  LuaContext& ctx = *context_;
  const bool budgeted = ctx.time.budget.count() > 0;
  if (budgeted) {
    try {
      // The first run has (within the few microseconds since the call started) the whole budget.
      arm_time_budget(task.thread, ctx.time, first ? std::chrono::steady_clock::time_point::max() : task.deadline);
    } catch (const std::exception& e) {  // the watchdog thread could not start
      lua_settop(task.thread, 0);
      return {CallResult::Kind::script_error, std::string("cannot start the call's time budget: ") + e.what()};
    }
  }
  ctx.actions = task.actions;
  ctx.call = &task.info;
  ctx.task = &task;
  int results = 0;
  const int status = lua_resume(task.thread, state_, nargs, &results);
  if (budgeted) disarm_time_budget(task.thread, ctx.time);
  ctx.actions = nullptr;
  ctx.call = nullptr;
  ctx.task = nullptr;
  return settle(task, status, results);
}

CallResult LuaEngine::settle(Task& task, int status, int results) noexcept {
  lua_State* co = task.thread;
  if (status == LUA_OK) {
    lua_settop(co, 0);
    return {};
  }
  if (status == LUA_YIELD) {
    if (results == 1 && lua_touserdata(co, -1) == wait_marker() && task.wait && !task.wait->done) {
      lua_pop(co, 1);  // only the marker: below it is the stack of the C function that yielded
      return {CallResult::Kind::pending, {}};
    }
    // The handler itself called coroutine.yield(): it has nobody to yield to.
    lua_resetthread(co);
    lua_settop(co, 0);
    task.thread_spent = true;
    return {CallResult::Kind::script_error,
            std::string(task.info.message) + ": attempt to yield from outside a coroutine (coroutine.yield "
                                             "in the handler itself; only the handler's own coroutines may yield)"};
  }
  CallResult result;
  try {
    result = failure(task, status);
  } catch (...) {
    result = {CallResult::Kind::out_of_memory, std::string(task.info.message) + ": not enough memory"};
  }
  lua_resetthread(co);  // closes its to-be-closed variables
  lua_settop(co, 0);
  task.thread_spent = true;
  if (status == LUA_ERRMEM) {
    // Lua already collected once before giving up; collect again now that the handler's frames are
    // gone, so the next call starts with the memory the failed one held.
    lua_gc(state_, LUA_GCCOLLECT);
  }
  return result;
}

CallResult LuaEngine::failure(const Task& task, int status) {
  CallResult result;
  std::string text;
  lua_pushcfunction(state_, thread_traceback);
  lua_pushlightuserdata(state_, task.thread);
  if (lua_pcall(state_, 1, 1, 0) == LUA_OK) {
    text = error_text(state_, -1);
  } else {
    text = error_text(task.thread, -1);  // no memory for the traceback: the message alone
  }
  lua_pop(state_, 1);
  result.detail = std::string(task.info.message) + ": " + with_full_names(std::move(text));
  if (status == LUA_ERRMEM) {
    result.kind = CallResult::Kind::out_of_memory;
    result.detail += " (memory_limit " + std::to_string(context_->memory.limit) + " bytes)";
  } else if (context_->time.expired) {
    result.kind = CallResult::Kind::timeout;
  } else {
    result.kind = CallResult::Kind::script_error;
  }
  return result;
}

void LuaEngine::end(Task& task, CallResult result, bool reset, bool report) noexcept {
  for (auto& thing : task.open) thing->close_at_end();
  if (reset) {
    lua_State* co = task.thread;
    // Closes the coroutine's to-be-closed variables; nothing of the call may run any more.
    lua_resetthread(co);
    lua_settop(co, 0);
    task.thread_spent = true;
  }
  PendingCall* pending = task.pending;
  release(task);
  if (report && pending != nullptr) {
    pending->cancel = nullptr;
    pending->cancel_context = nullptr;
    pending->finish(std::move(result));
  }
}

void LuaEngine::resume(Task& task) noexcept {
  if (std::chrono::steady_clock::now() >= task.deadline) {
    cancel(task, CallResult::Kind::timeout);
    return;
  }
  struct Slice {
    LuaEngine* engine;
    Task* task;
  } slice{this, &task};
  auto run = [](void* p) {
    auto& s = *static_cast<Slice*>(p);
    CallResult result = s.engine->run_slice(*s.task, 0, false);
    if (result.kind == CallResult::Kind::pending) return;  // waits again
    s.engine->end(*s.task, std::move(result), false, true);
  };
  try {
    task.pending->in_context(run, &slice);
  } catch (...) {
  }
}

void LuaEngine::cancel(Task& task, CallResult::Kind why) noexcept {
  std::string what = "a wait";
  if (task.wait) {
    what = task.wait->what();
    task.wait->task = nullptr;
    task.wait->abandon();
  }
  CallResult result{why, {}};
  try {
    result.detail = std::string(task.info.message);
    if (why == CallResult::Kind::timeout) {
      result.detail += ": handler stopped: time budget of " + std::to_string(context_->time.budget.count()) +
                       " ms exceeded while waiting in " + what;
    } else {
      result.detail += ": cancelled while waiting in " + what + ": its connection closed";
    }
  } catch (...) {
  }
  end(task, std::move(result), true, true);
}

}  // namespace lua
}  // namespace spoa
