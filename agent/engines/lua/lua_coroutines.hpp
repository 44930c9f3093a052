// coroutine.resume and coroutine.wrap for scripts whose own coroutines wait.
//
// A handler runs as a coroutine, and may create coroutines of its own. When one of those calls a
// function that waits (spoa.sleep, a socket, a Redis state call), the wait must suspend the whole
// handler, not just return to the script's coroutine.resume as if the coroutine had yielded. So
// resume and wrap are replaced: when the coroutine they resume yields for a wait (the wait marker),
// they yield it on to their own resumer, up to the handler's Task; when the wait completes, the
// engine resumes the Task, and each of them resumes its coroutine again (OpenResty does the same).
// Ordinary yields, errors, and every message are those of Lua's own functions.
#pragma once

#include <lua.hpp>

namespace spoa::lua {

/// Replaces coroutine.resume and coroutine.wrap (wrap creates through the current coroutine.create,
/// which the time budget may have replaced). Run under lua_pcall, after the libraries are open.
void install_coroutine_functions(lua_State* L);

}  // namespace spoa::lua
