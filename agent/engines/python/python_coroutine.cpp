// Coroutine handlers on the asyncio loop (see python_coroutine.hpp).
//
// Objects and who owns them (all touched with the GIL held, on the loop's thread unless said otherwise):
//  * EngineScope: the engine's options, in a capsule that every binding of the engine references. The engine
//    clears it when it goes, so a task that outlives it (a script's own background task) cannot reach
//    freed options.
//  * CallBinding: one call (or start-up hook), in a capsule: the context variable's value in the call's task
//    and every task or thread that copied its context. It points at the call's AckBuilder until the call
//    ends, and holds the task until then (to cancel it).
//  * Step: the driver that the task runs instead of the handler's coroutine (a C type with am_send,
//    send, throw and close, registered as a collections.abc.Coroutine).
//  * DeadlineList: the running calls in deadline order (every call of an engine has the same budget, so
//    that is start order, and adding is O(1) from the tail) with one loop timer for the earliest.
#include "agent/engines/python/python_coroutine.hpp"

#include <condition_variable>
#include <mutex>
#include <utility>

#include "agent/engines/python/python_errors.hpp"
#include "agent/engines/python/python_loop.hpp"
#include "agent/engines/python/python_runtime.hpp"
#include "agent/engines/python/python_watchdog.hpp"
#include "agent/engines/python/spoa_module.hpp"

namespace spoa::python {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A step may always run this long, even when the call's deadline has passed (its clean-up after a
// cancellation: `finally:` blocks, closing a connection).
constexpr std::chrono::milliseconds min_step_budget{10};

constexpr const char* scope_capsule = "spoa._engine_scope";
constexpr const char* binding_capsule = "spoa._call_binding";

struct EngineScope {
  const EngineOptions* options;
};

enum class StopReason : std::uint8_t { none, budget, connection };

struct CallBinding {
  Ref scope;  // capsule of EngineScope
  spop::AckBuilder* actions = nullptr;
  std::string message;  // CallInfo::message points here: the worker's copy goes with the call
  CallInfo info;
  bool has_call = false;  // false: a start-up hook
  std::string hook_label;  // a start-up hook's name for messages

  /// "message 'x' (stream 1, frame 2)" or the hook's label: made only for messages, not per call.
  std::string label() const { return has_call ? describe(info) : hook_label; }
  PendingCall* pending = nullptr;
  Ref task;
  std::chrono::milliseconds budget{0};  // 0: no deadline
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  CallBinding* prev = nullptr;  // in the deadline list
  CallBinding* next = nullptr;
  bool listed = false;
  StopReason stop = StopReason::none;
  std::chrono::milliseconds blocked{0};  // longest step past the deadline (no exception reached it)
  bool ended = false;

  const EngineOptions* options() const noexcept {
    auto* s = static_cast<EngineScope*>(PyCapsule_GetPointer(scope.get(), scope_capsule));
    return s != nullptr ? s->options : nullptr;
  }
};

// ---- the context variable -------------------------------------------------------------------------

PyObject* g_current = nullptr;  // contextvars.ContextVar("spoa_call"), created at first use

PyObject* current_var() {
  if (g_current == nullptr) g_current = PyContextVar_New("spoa_call", nullptr);
  return g_current;
}

CallBinding* binding_of(PyObject* capsule) noexcept {
  return static_cast<CallBinding*>(PyCapsule_GetPointer(capsule, binding_capsule));
}

// ---- deadlines --------------------------------------------------------------------------------------

struct DeadlineList {
  CallBinding* head = nullptr;
  CallBinding* tail = nullptr;
  Ref timer;  // TimerHandle for `armed_for`
  SteadyClock::time_point armed_for = SteadyClock::time_point::max();
};
DeadlineList g_deadlines;

void cancel_task(CallBinding& b, StopReason why) {
  if (b.stop == StopReason::none) b.stop = why;
  if (!b.task) return;
  Ref done(PyObject_CallMethod(b.task.get(), "cancel", nullptr));
  if (!done) PyErr_Clear();
}

PyObject* on_deadline(PyObject*, PyObject*);
PyMethodDef g_deadline_def = {"_spoa_deadline", &on_deadline, METH_NOARGS, "Cancels the calls past their budget."};

void arm_timer() {
  DeadlineList& d = g_deadlines;
  if (d.head == nullptr || (d.timer && d.armed_for <= d.head->deadline)) return;
  if (d.timer) {
    Ref cancelled(PyObject_CallMethod(d.timer.get(), "cancel", nullptr));
    if (!cancelled) PyErr_Clear();
  }
  static PyObject* callback = PyCFunction_New(&g_deadline_def, nullptr);  // kept for the process
  d.timer = Ref(AsyncLoop::instance().call_at(d.head->deadline, callback));
  if (!d.timer) {
    PyErr_Clear();  // cannot happen short of memory; the worker's own takeover still answers
    d.armed_for = SteadyClock::time_point::max();
    return;
  }
  d.armed_for = d.head->deadline;
}

void unlist_deadline(CallBinding& b) noexcept {
  if (!b.listed) return;
  DeadlineList& d = g_deadlines;
  (b.prev != nullptr ? b.prev->next : d.head) = b.next;
  (b.next != nullptr ? b.next->prev : d.tail) = b.prev;
  b.prev = b.next = nullptr;
  b.listed = false;
}

void list_deadline(CallBinding& b) {
  DeadlineList& d = g_deadlines;
  CallBinding* before = d.tail;
  while (before != nullptr && before->deadline > b.deadline) before = before->prev;  // O(1) with one budget
  b.prev = before;
  b.next = before != nullptr ? before->next : d.head;
  (b.next != nullptr ? b.next->prev : d.tail) = &b;
  (before != nullptr ? before->next : d.head) = &b;
  b.listed = true;
  arm_timer();
}

PyObject* on_deadline(PyObject*, PyObject*) {
  DeadlineList& d = g_deadlines;
  d.timer = Ref();
  d.armed_for = SteadyClock::time_point::max();
  // The loop's timers may fire a little early (its clock resolution): 1 ms of slack.
  const auto now = SteadyClock::now() + std::chrono::milliseconds(1);
  while (d.head != nullptr && d.head->deadline <= now) {
    CallBinding& b = *d.head;
    unlist_deadline(b);
    cancel_task(b, StopReason::budget);
  }
  arm_timer();
  Py_RETURN_NONE;
}

// ---- finishing ------------------------------------------------------------------------------------

void finish_call(CallBinding& b, CallResult result) noexcept {
  if (b.ended) return;
  b.ended = true;
  b.actions = nullptr;
  unlist_deadline(b);
  b.task = Ref();
  PendingCall* pending = std::exchange(b.pending, nullptr);
  if (pending == nullptr) return;
  pending->cancel = nullptr;
  pending->cancel_context = nullptr;
  pending->finish(std::move(result));  // may start the call's next message (re-entering this file)
}

std::string budget_text(const CallBinding& b) { return std::to_string(b.budget.count()) + " ms"; }

/// The outcome of a coroutine that returned.
CallResult outcome_returned(const CallBinding& b) {
  if (b.stop == StopReason::budget || b.blocked.count() > 0) {
    return {CallResult::Kind::timeout, b.label() + ": ran past its time budget of " + budget_text(b)};
  }
  return {};
}

PyObject* g_cancelled_error = nullptr;  // asyncio.CancelledError

/// The outcome of a coroutine that raised (the exception is taken). `stopped` says that the watchdog
/// interrupted the step that raised, which lasted `step`.
CallResult outcome_raised(const CallBinding& b, bool stopped, std::chrono::milliseconds step) {
  const bool cancelled = g_cancelled_error != nullptr && PyErr_ExceptionMatches(g_cancelled_error) != 0;
  const bool interrupted = PyErr_ExceptionMatches(timeout_class()) != 0;
  PythonError e = take_error();
  if (b.stop == StopReason::connection && cancelled) return {};  // nobody waits for it: not an error
  if (interrupted && (stopped || b.blocked.count() > 0)) {
    const auto held = std::max(step, b.blocked);
    return {CallResult::Kind::timeout, b.label() + ": blocked the event loop for " + std::to_string(held.count()) +
                                           " ms (time budget " + budget_text(b) + "): stopped\n" + e.traceback};
  }
  if (b.stop == StopReason::budget) {
    return {CallResult::Kind::timeout,
            b.label() + ": cancelled after its time budget of " + budget_text(b) + "\n" + e.traceback};
  }
  return {CallResult::Kind::script_error, b.label() + ": " + e.summary + "\n" + e.traceback};
}

// ---- the driver (Step) ----------------------------------------------------------------------------

struct Step {
  PyObject_HEAD
  PyObject* coro;     // the handler's awaitable iterator; null once finished
  PyObject* binding;  // capsule
  bool entered;
  SteadyClock::time_point step_started;
};

PyTypeObject* g_step_type = nullptr;

CallBinding& binding_of(Step* s) noexcept { return *binding_of(s->binding); }

/// The task's first step: the call becomes the context's (the task runs every step in its own context).
bool enter_step(Step* s) {
  if (s->entered) return true;
  s->entered = true;
  Ref token(PyContextVar_Set(current_var(), s->binding));
  return static_cast<bool>(token);
}

bool arm_step(Step* s) {
  CallBinding& b = binding_of(s);
  if (b.budget.count() <= 0) return false;
  s->step_started = SteadyClock::now();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(b.deadline - s->step_started);
  start_budget(std::max(left, min_step_budget));
  return true;
}

/// After one step of the handler's coroutine: NEXT passes its yield on to asyncio; a return or an
/// exception finishes the call, and the task itself always ends normally.
PySendResult after_step(Step* s, PySendResult status, PyObject** result, bool armed) {
  CallBinding& b = binding_of(s);
  const bool stopped = armed && end_budget();
  const auto step = armed ? std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - s->step_started)
                          : std::chrono::milliseconds{0};
  if (status == PYGEN_NEXT) {
    // A step that held the loop past the deadline without the interruption reaching Python code (C
    // code that does not check for signals): its cancellation at the deadline reports it.
    if (stopped) b.blocked = std::max(b.blocked, step);
    return PYGEN_NEXT;
  }
  CallResult outcome;
  if (status == PYGEN_RETURN) {
    Py_CLEAR(*result);
    outcome = outcome_returned(b);
  } else {
    outcome = outcome_raised(b, stopped, step);
  }
  Py_CLEAR(s->coro);
  finish_call(b, std::move(outcome));
  *result = Py_NewRef(Py_None);
  return PYGEN_RETURN;
}

/// While a step of the handler runs, this thread's Session points at its call: the setters' fast path
/// (the sub-tasks a handler starts find the call through the context variable instead).
class StepSession {
 public:
  explicit StepSession(const CallBinding& b) : saved_(session()) {
    session() = Session{b.options(), nullptr, nullptr, b.actions, b.has_call ? &b.info : nullptr};
  }
  ~StepSession() { session() = saved_; }
  StepSession(const StepSession&) = delete;
  StepSession& operator=(const StepSession&) = delete;

 private:
  Session saved_;
};

PySendResult step_am_send(PyObject* self, PyObject* arg, PyObject** result) {
  auto* s = reinterpret_cast<Step*>(self);
  if (s->coro == nullptr) {
    *result = Py_NewRef(Py_None);
    return PYGEN_RETURN;
  }
  if (!enter_step(s)) return after_step(s, PYGEN_ERROR, result, false);
  const bool armed = arm_step(s);
  PySendResult status = PYGEN_ERROR;
  {
    StepSession bound(binding_of(s));
    status = PyIter_Send(s->coro, arg, result);
  }
  return after_step(s, status, result, armed);
}

/// A PySendResult back to the iterator protocol: a value, or null with StopIteration or an exception.
PyObject* as_iteration(PySendResult status, PyObject* result) {
  if (status == PYGEN_NEXT) return result;
  if (status == PYGEN_RETURN) {
    Py_DECREF(result);
    PyErr_SetNone(PyExc_StopIteration);
  }
  return nullptr;
}

PyObject* step_iternext(PyObject* self) {
  PyObject* result = nullptr;
  const PySendResult status = step_am_send(self, Py_None, &result);
  return as_iteration(status, result);
}

PyObject* step_send(PyObject* self, PyObject* arg) {
  PyObject* result = nullptr;
  const PySendResult status = step_am_send(self, arg, &result);
  return as_iteration(status, result);
}

/// throw(exc) / throw(type[, value[, traceback]]): asyncio cancels a task this way.
PyObject* step_throw(PyObject* self, PyObject* args) {
  auto* s = reinterpret_cast<Step*>(self);
  if (s->coro == nullptr) {
    // Finished: behave like a finished coroutine, which raises what it is given.
    PyObject* type = nullptr;
    PyObject* value = nullptr;
    PyObject* tb = nullptr;
    if (!PyArg_UnpackTuple(args, "throw", 1, 3, &type, &value, &tb)) return nullptr;
    if (PyExceptionInstance_Check(type)) {
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(type)), type);
    } else {
      PyErr_SetObject(type, value);
    }
    return nullptr;
  }
  PyObject* result = nullptr;
  if (!enter_step(s)) {
    const PySendResult status = after_step(s, PYGEN_ERROR, &result, false);
    return as_iteration(status, result);
  }
  const bool armed = arm_step(s);
  Ref method(PyObject_GetAttrString(s->coro, "throw"));
  {
    StepSession bound(binding_of(s));
    result = method ? PyObject_Call(method.get(), args, nullptr) : nullptr;
  }
  PySendResult status = PYGEN_NEXT;
  if (result == nullptr) {
    status = PYGEN_ERROR;
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
      PyErr_Clear();
      result = Py_NewRef(Py_None);
      status = PYGEN_RETURN;
    }
  }
  status = after_step(s, status, &result, armed);
  return as_iteration(status, result);
}

PyObject* step_close(PyObject* self, PyObject*) {
  auto* s = reinterpret_cast<Step*>(self);
  if (s->coro == nullptr) Py_RETURN_NONE;
  Ref closed(PyObject_CallMethod(s->coro, "close", nullptr));
  Py_CLEAR(s->coro);
  // Closed without finishing (the loop went away): nobody will hear of this call again.
  finish_call(binding_of(s), {CallResult::Kind::script_error, binding_of(s).label() + ": closed before it finished"});
  if (!closed) return nullptr;
  Py_RETURN_NONE;
}

PyObject* step_await(PyObject* self) { return Py_NewRef(self); }

void step_dealloc(PyObject* self) {
  auto* s = reinterpret_cast<Step*>(self);
  if (s->coro != nullptr) {
    // A task dropped unfinished (only when the loop stops for good): the call ends here.
    Py_CLEAR(s->coro);
    finish_call(binding_of(s), {CallResult::Kind::script_error, binding_of(s).label() + ": dropped before it finished"});
  }
  Py_XDECREF(s->binding);
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyMethodDef g_step_methods[] = {
    {"send", &step_send, METH_O, "Runs the handler until its next await."},
    {"throw", &step_throw, METH_VARARGS, "Raises an exception where the handler waits."},
    {"close", &step_close, METH_NOARGS, "Closes the handler's coroutine."},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot g_step_slots[] = {
    {Py_am_await, reinterpret_cast<void*>(&step_await)},
    {Py_am_send, reinterpret_cast<void*>(&step_am_send)},
    {Py_tp_iter, reinterpret_cast<void*>(&PyObject_SelfIter)},
    {Py_tp_iternext, reinterpret_cast<void*>(&step_iternext)},
    {Py_tp_methods, g_step_methods},
    {Py_tp_dealloc, reinterpret_cast<void*>(&step_dealloc)},
    {0, nullptr},
};

PyType_Spec g_step_spec = {"spoa._CallCoroutine", sizeof(Step), 0, Py_TPFLAGS_DEFAULT, g_step_slots};

/// The Step type and asyncio.CancelledError, made once (loop thread or loading thread, GIL held).
bool ready_types() {
  if (g_step_type != nullptr) return true;
  Ref asyncio(PyImport_ImportModule("asyncio"));
  Ref cancelled = asyncio ? Ref(PyObject_GetAttrString(asyncio.get(), "CancelledError")) : Ref();
  Ref type = cancelled ? Ref(PyType_FromSpec(&g_step_spec)) : Ref();
  // asyncio takes any registered collections.abc.Coroutine as a task's coroutine.
  Ref abc = type ? Ref(PyImport_ImportModule("collections.abc")) : Ref();
  Ref coroutine = abc ? Ref(PyObject_GetAttrString(abc.get(), "Coroutine")) : Ref();
  Ref registered = coroutine ? Ref(PyObject_CallMethod(coroutine.get(), "register", "O", type.get())) : Ref();
  if (!registered) return false;
  g_cancelled_error = cancelled.release();
  g_step_type = reinterpret_cast<PyTypeObject*>(type.release());
  return true;
}

/// A new Step over `awaitable` (a coroutine, or anything with __await__) bound to `binding`.
PyObject* make_step(PyObject* awaitable, PyObject* binding) {
  Ref iterator;
  if (PyCoro_CheckExact(awaitable)) {
    iterator = Ref::borrow(awaitable);
  } else {
    iterator = Ref(PyObject_CallMethod(awaitable, "__await__", nullptr));
    if (!iterator) return nullptr;
  }
  auto* s = PyObject_New(Step, g_step_type);
  if (s == nullptr) return nullptr;
  s->coro = iterator.release();
  s->binding = Py_NewRef(binding);
  s->entered = false;
  s->step_started = {};
  return reinterpret_cast<PyObject*>(s);
}

void delete_binding(PyObject* capsule) { delete binding_of(capsule); }

/// A capsule owning a new CallBinding.
PyObject* make_binding(PyObject* scope, std::chrono::milliseconds budget) {
  auto* b = new CallBinding;
  b->scope = Ref::borrow(scope);
  b->budget = budget;
  if (budget.count() > 0) b->deadline = SteadyClock::now() + budget;
  PyObject* capsule = PyCapsule_New(b, binding_capsule, &delete_binding);
  if (capsule == nullptr) delete b;
  return capsule;
}

/// PendingCall::cancel (loop thread): its connection went away, or the worker took the call over at its
/// budget (normally the engine's own deadline stopped it first).
void cancel_pending(void* binding, CallResult::Kind why) noexcept {
  cancel_task(*static_cast<CallBinding*>(binding),
              why == CallResult::Kind::timeout ? StopReason::budget : StopReason::connection);
}

/// Starts `awaitable` as a task driven by a Step of `binding`; on success the binding holds the task.
bool start_task(PyObject* awaitable, PyObject* binding) {
  Ref step(make_step(awaitable, binding));
  Ref task = step ? Ref(AsyncLoop::instance().create_task(step.get())) : Ref();
  if (!task) return false;
  CallBinding& b = *binding_of(binding);
  b.task = std::move(task);
  if (b.budget.count() > 0) list_deadline(b);
  return true;
}

/// A PendingCall that a waiting thread blocks on.
class CallWaiter final : public PendingCall {
 public:
  void finish(CallResult result) noexcept override {
    std::lock_guard lock(mutex_);
    result_ = std::move(result);
    done_ = true;
    done_cv_.notify_all();
  }
  /// Waits with the GIL released.
  CallResult wait() {
    Py_BEGIN_ALLOW_THREADS
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [this] { return done_; });
    Py_END_ALLOW_THREADS
    return std::move(result_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  CallResult result_;
};

/// A call handed from another thread to the loop (run_and_wait).
struct PostedCall {
  CoroutineRunner* runner;
  Ref handler;
  Ref list;
  CallInfo info;
  spop::AckBuilder* actions;
  CallWaiter* waiter;
};

/// A start-up hook handed to the loop (run_hook).
struct PostedHook {
  Ref hook;
  Ref scope;
  std::string label;
  std::chrono::milliseconds limit;
  CallWaiter* waiter;
};

void delete_scope(PyObject* capsule) { delete static_cast<EngineScope*>(PyCapsule_GetPointer(capsule, scope_capsule)); }

}  // namespace

bool bound_call(BoundCall& out) noexcept {
  if (g_current == nullptr) return false;
  PyObject* value = nullptr;
  if (PyContextVar_Get(g_current, nullptr, &value) < 0) {
    PyErr_Clear();
    return false;
  }
  if (value == nullptr) return false;
  CallBinding* b = binding_of(value);
  Py_DECREF(value);  // the context keeps it
  if (b == nullptr) {
    PyErr_Clear();
    return false;
  }
  out.actions = b->actions;
  out.options = b->options();
  out.call = b->has_call ? &b->info : nullptr;
  out.hook_label = &b->hook_label;
  out.ended = b->ended && b->has_call;
  return true;
}

int is_coroutine_function(PyObject* fn) {
  static PyObject* check = [] {
    Ref inspect(PyImport_ImportModule("inspect"));
    return inspect ? PyObject_GetAttrString(inspect.get(), "iscoroutinefunction") : nullptr;
  }();
  if (check == nullptr) return -1;
  Ref direct(PyObject_CallOneArg(check, fn));
  if (!direct) return -1;
  if (PyObject_IsTrue(direct.get()) != 0) return 1;
  if (PyFunction_Check(fn) != 0 || PyMethod_Check(fn) != 0) return 0;
  Ref call(PyObject_GetAttrString(fn, "__call__"));
  if (!call) {
    PyErr_Clear();
    return 0;
  }
  Ref of_call(PyObject_CallOneArg(check, call.get()));
  if (!of_call) return -1;
  return PyObject_IsTrue(of_call.get());
}

CoroutineRunner::CoroutineRunner(const EngineOptions& options) : options_(std::make_unique<EngineOptions>(options)) {
  auto* scope = new EngineScope{options_.get()};
  scope_ = Ref(PyCapsule_New(scope, scope_capsule, &delete_scope));
  if (!scope_) {
    delete scope;
    PyErr_Clear();
  }
}

CoroutineRunner::~CoroutineRunner() {
  if (!scope_) return;
  if (auto* scope = static_cast<EngineScope*>(PyCapsule_GetPointer(scope_.get(), scope_capsule))) scope->options = nullptr;
}

CallResult CoroutineRunner::start(PyObject* handler, PyObject* list, const CallInfo& info, spop::AckBuilder& actions,
                                  PendingCall& pending) {
  const EngineOptions* options = nullptr;
  if (auto* scope = static_cast<EngineScope*>(PyCapsule_GetPointer(scope_.get(), scope_capsule))) options = scope->options;
  if (!ready_types() || current_var() == nullptr) {
    return {CallResult::Kind::script_error, describe(info) + ": cannot start the coroutine: " + take_error().summary};
  }
  PyObject* stack[2] = {nullptr, list};
  Ref awaitable(PyObject_Vectorcall(handler, stack + 1, 0 | PY_VECTORCALL_ARGUMENTS_OFFSET, runtime().kwnames_args));
  if (!awaitable) {
    PythonError e = take_error();
    return {CallResult::Kind::script_error, describe(info) + ": " + e.summary + "\n" + e.traceback};
  }
  Ref binding(make_binding(scope_.get(), options != nullptr ? options->call_budget : std::chrono::milliseconds{0}));
  if (!binding) return {CallResult::Kind::script_error, describe(info) + ": " + take_error().summary};
  CallBinding& b = *binding_of(binding.get());
  b.message = std::string(info.message);
  b.info = CallInfo{b.message, info.stream_id, info.frame_id};
  b.has_call = true;
  b.actions = &actions;
  if (!start_task(awaitable.get(), binding.get())) {
    PythonError e = take_error();
    b.actions = nullptr;
    b.ended = true;
    return {CallResult::Kind::script_error, describe(info) + ": the handler did not return an awaitable: " + e.summary};
  }
  b.pending = &pending;
  pending.cancel = &cancel_pending;
  pending.cancel_context = &b;
  return {CallResult::Kind::pending, {}};
}

CallResult CoroutineRunner::run_and_wait(PyObject* handler, PyObject* list, const CallInfo& info,
                                         spop::AckBuilder& actions) {
  AsyncLoop& loop = AsyncLoop::instance();
  if (loop.on_loop_thread()) {
    return {CallResult::Kind::script_error, describe(info) + ": a coroutine handler cannot wait on the loop's thread"};
  }
  CallWaiter waiter;
  auto* posted = new PostedCall{this, Ref::borrow(handler), Ref::borrow(list), info, &actions, &waiter};
  const bool sent = loop.post(
      [](void* context) {
        std::unique_ptr<PostedCall> p(static_cast<PostedCall*>(context));
        CallResult r = p->runner->start(p->handler.get(), p->list.get(), p->info, *p->actions, *p->waiter);
        if (r.kind != CallResult::Kind::pending) p->waiter->finish(std::move(r));
      },
      posted);
  if (!sent) {
    delete posted;
    return {CallResult::Kind::script_error, describe(info) + ": the event loop has stopped"};
  }
  return waiter.wait();
}

std::string CoroutineRunner::run_hook(PyObject* hook, const std::string& label, std::chrono::milliseconds limit) {
  AsyncLoop& loop = AsyncLoop::instance();
  if (loop.on_loop_thread()) return label + ": start-up hooks cannot run on the loop's thread";
  CallWaiter waiter;
  auto* posted = new PostedHook{Ref::borrow(hook), scope_, label, limit, &waiter};
  const bool sent = loop.post(
      [](void* context) {
        std::unique_ptr<PostedHook> p(static_cast<PostedHook*>(context));
        Ref binding(make_binding(p->scope.get(), p->limit));
        if (!binding || !ready_types() || current_var() == nullptr) {
          p->waiter->finish({CallResult::Kind::script_error, p->label + ": " + take_error().summary});
          return;
        }
        CallBinding& b = *binding_of(binding.get());
        b.hook_label = p->label;
        // The hook's synchronous part runs in the binding's context too (state functions, logs).
        Ref token(PyContextVar_Set(current_var(), binding.get()));
        Ref result = token ? Ref(PyObject_CallNoArgs(p->hook.get())) : Ref();
        if (token) {
          Ref reset(PyObject_CallMethod(current_var(), "reset", "O", token.get()));
          if (!reset) PyErr_Clear();
        }
        if (!result) {
          PythonError e = take_error();
          p->waiter->finish({CallResult::Kind::script_error, p->label + ": " + e.summary + "\n" + e.traceback});
          return;
        }
        const bool awaitable = PyObject_HasAttrString(result.get(), "__await__") != 0;
        if (!awaitable) {
          p->waiter->finish({});
          return;
        }
        b.pending = p->waiter;
        if (!start_task(result.get(), binding.get())) {
          b.pending = nullptr;
          PythonError e = take_error();
          p->waiter->finish({CallResult::Kind::script_error, p->label + ": " + e.summary});
        }
      },
      posted);
  if (!sent) {
    delete posted;
    return label + ": the event loop has stopped";
  }
  CallResult r = waiter.wait();
  if (r.ok()) return {};
  if (r.kind == CallResult::Kind::timeout) {
    return label + ": did not finish within " + std::to_string(limit.count()) + " ms\n" + r.detail;
  }
  return r.detail;
}

}  // namespace spoa::python
