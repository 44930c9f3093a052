// spoa.sleep (see lua_sleep.hpp): a timer on the call's event loop, ending at the budget at the latest.
#include "agent/engines/lua/lua_sleep.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_task.hpp"

// No C++ object with a destructor is alive where a Lua error or a yield may happen (both longjmps).

namespace spoa::lua {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* sleep_name = "spoa.sleep";
// The longest sleep (about 24 days, as a state TTL): far from any overflow of the clock.
constexpr double max_sleep_seconds = 2147483.0;

class SleepWait final : public Wait {
 public:
  explicit SleepWait(boost::asio::io_context& loop) : Wait(sleep_name), timer_(loop) {}

  void start(Clock::time_point until) {
    timer_.expires_at(until);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) {
      static_cast<SleepWait&>(*self).complete();
    });
  }

  void abandon() noexcept override {
    try {
      timer_.cancel();
    } catch (...) {
    }
  }

 private:
  boost::asio::steady_timer timer_;
};

/// Starts the timer and makes it the task's wait; false without memory.
bool start_sleep(Task& task, lua_State* L, double seconds) noexcept {
  try {
    const auto length = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    const auto until = std::min(Clock::now() + length, task.deadline);  // the budget ends the call anyway
    auto wait = std::make_shared<SleepWait>(*task.loop);
    wait->start(until);
    begin_wait(task, std::move(wait), L);
    return true;
  } catch (...) {
    return false;
  }
}

int sleep_ended(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  (void)take_result<SleepWait>(L, sleep_name);
  return 0;
}

// spoa.sleep(seconds)
int sleep(lua_State* L) {
  int is_number = 0;
  const lua_Number seconds = lua_tonumberx(L, 1, &is_number);
  if (is_number == 0) {
    return luaL_error(L, "%s: bad argument #1 (number of seconds expected, got %s)", sleep_name, luaL_typename(L, 1));
  }
  if (!(seconds >= 0.0) || seconds > max_sleep_seconds) {
    return luaL_error(L, "%s: bad argument #1 (%s seconds; expected 0 to %d)", sleep_name, luaL_tolstring(L, 1, nullptr),
                      static_cast<int>(max_sleep_seconds));
  }
  Task& task = check_can_wait(L, sleep_name);
  if (!start_sleep(task, L, static_cast<double>(seconds))) return luaL_error(L, "%s: not enough memory", sleep_name);
  lua_settop(L, 0);
  return yield_to_loop(L, sleep_ended);
}

constexpr luaL_Reg functions[] = {
    {"sleep", sleep},
    {nullptr, nullptr},
};

}  // namespace

const luaL_Reg* sleep_functions() noexcept { return functions; }

}  // namespace spoa::lua
