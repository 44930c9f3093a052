-- The floor of the standard handler in Lua 5.4: bench/scripts/standard_noprint.lua itself, run with its
-- eleven setters replaced by a C function that does nothing (the standard library's rawequal), so the same
-- bytecode makes the same calls with the same arguments. No binding of the setters can cost less than this,
-- whatever it does inside.
local real = spoa
local noop = setmetatable({scope = real.scope}, {__index = real})  -- register_message comes from `real`
for _, name in ipairs({"set_var_null", "set_var_boolean", "set_var_int32", "set_var_uint32", "set_var_int64",
                       "set_var_uint64", "set_var_ipv4", "set_var_ipv6", "set_var_str", "set_var_bin"}) do
  noop[name] = rawequal
end
spoa = noop  -- the handler looks `spoa` up on every call

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "standard_noprint.lua")
