// spoa.sleep(seconds): suspends the handler on its executor thread's event loop; other calls run meanwhile.
#pragma once

#include <lua.hpp>

namespace spoa::lua {

/// spoa.sleep, for the `spoa` table.
const luaL_Reg* sleep_functions() noexcept;

}  // namespace spoa::lua
