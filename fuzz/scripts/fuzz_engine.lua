-- Script of the lua_engine fuzz target: touches every argument and calls every setter with values
-- taken from the arguments (names, values, scopes), so the engine's conversions and the ACK size
-- limit see everything a NOTIFY can carry. Setter errors are expected (wrong types, ranges, a full
-- ACK): "touch" catches them, "raw" lets them escape. "sleep" waits on the event loop between them.
local setters = {
  "set_var_null", "set_var_boolean", "set_var_int32", "set_var_uint32", "set_var_int64",
  "set_var_uint64", "set_var_ipv4", "set_var_ipv6", "set_var_str", "set_var_bin",
}

local function touch(args)
  for i, arg in ipairs(args) do
    local name, v = arg.name, arg.value
    local scope = i % 5
    for _, s in ipairs(setters) do
      pcall(spoa[s], name, scope, v)
    end
    if type(v) == "number" then
      pcall(spoa.set_var_int64, name, v, v)            -- the value as a scope: mostly invalid
      pcall(spoa.set_var_str, name, scope, tostring(v))
      pcall(spoa.set_var_ipv4, tostring(v), scope, tostring(v))
    elseif type(v) == "string" then
      pcall(spoa.set_var_int32, v, scope, #v)          -- the value as a variable name
      pcall(spoa.set_var_bin, name, scope, v .. v)
      pcall(spoa.set_var_ipv6, name, scope, v)
      pcall(spoa.set_var_int64, name, scope, v)        -- "12" is an integer for Lua
    elseif type(v) == "boolean" then
      pcall(spoa.set_var_boolean, name, spoa.scope.res, not v)
    end
  end
end

function raw_safe(args)
  for _, arg in ipairs(args) do pcall(spoa.set_var_str, arg.name, spoa.scope.txn, arg.value) end
end

local function raw(args)
  for _, arg in ipairs(args) do
    spoa.set_var_str(arg.name, spoa.scope.txn, arg.value)
  end
end

spoa.register_message("touch", touch)
spoa.register_message("raw", raw)
spoa.register_message("error", function(args) error("fuzz error with " .. #args .. " arguments") end)
-- Waits on the event loop between setters, directly and inside the handler's own coroutines (the
-- harness may cancel it while it waits).
spoa.register_message("sleep", function(args)
  touch(args)
  spoa.sleep(0)
  local inner = coroutine.wrap(function()
    spoa.sleep(0.0001)
    coroutine.yield(#args)
    raw_safe(args)
  end)
  inner()
  spoa.sleep(0)
  inner()
end)
